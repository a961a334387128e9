"""Opinion request API (会签 / 征求意见 / 专家评审): the requests waiting on the caller, answering one, and the
state's actor naming experts. Requests the caller is not asked (or no longer asked) answer 404."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from huicai.api.pagination import paginated, paginated_schema

from ..masking import mask_name
from ..models import Dossier, OpinionRequest
from ..selectors import dossier_for
from ..selectors_opinions import request_waiting_on, requests_waiting_on
from ..services.opinions import experts_request, opinion_answer


class OpinionRequestSerializer(serializers.ModelSerializer):
    dossier = serializers.IntegerField(source="dossier_id")
    reference = serializers.CharField(source="dossier.reference")
    applicant = serializers.SerializerMethodField()
    scheme = serializers.CharField(source="dossier.scheme.slug")
    stage = serializers.CharField(source="state.name")
    department = serializers.CharField(source="department.name", default=None)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = OpinionRequest
        fields = [
            "id",
            "dossier",
            "reference",
            "applicant",
            "scheme",
            "stage",
            "department",
            "topic",
            "article",
            "setting",
            "requested_at",
            "due_date",
            "overdue",
            "status",
        ]

    def get_applicant(self, obj) -> str:
        return mask_name(obj.dossier.applicant_name)

    def get_overdue(self, obj) -> bool:
        return bool(getattr(obj, "overdue", False))


class OpinionAnswerSerializer(serializers.Serializer):
    agree = serializers.BooleanField(help_text="true = 同意, false = 有异议（须填写意见）")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class OpinionAnswerResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    answered_at = serializers.DateTimeField()


class ExpertsRequestSerializer(serializers.Serializer):
    experts = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, help_text="专家账户的 id")
    working_days = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=60)


class ExpertRequestCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    expert = serializers.IntegerField()
    due_date = serializers.DateField(allow_null=True)


def _service_errors(call):
    """The service's errors become 400 / 403 / 409 in huicai/api/exceptions.py (casefiles/errors.py)."""
    return call()


class OpinionRequestList(APIView):
    """The open requests waiting on the caller (their departments', and their own as expert), overdue first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="opinion_requests_list", responses={200: paginated_schema(OpinionRequestSerializer)})
    def get(self, request):
        return paginated(
            request,
            self,
            requests_waiting_on(request.user),
            lambda page: OpinionRequestSerializer(page, many=True).data,
        )


class OpinionRequestAnswer(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=OpinionAnswerSerializer, responses={200: OpinionAnswerResultSerializer})
    def post(self, request, pk):
        try:
            target = request_waiting_on(request.user, pk)
        except OpinionRequest.DoesNotExist:
            raise NotFound(_("Not found.")) from None
        serializer = OpinionAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        answered = _service_errors(
            lambda: opinion_answer(request=target, user=request.user, agree=data["agree"], comment=data["comment"])
        )
        return Response({"id": answered.pk, "status": answered.status, "answered_at": answered.answered_at})


class DossierExperts(APIView):
    """The state's actor names the experts asked to review the dossier in its current stage."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ExpertsRequestSerializer, responses={201: ExpertRequestCreatedSerializer(many=True)})
    def post(self, request, pk):
        try:
            dossier = dossier_for(request.user, pk)
        except Dossier.DoesNotExist:
            raise NotFound(_("Not found.")) from None
        serializer = ExpertsRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ids = list(dict.fromkeys(data["experts"]))
        accounts = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)}
        unknown = [i for i in ids if i not in accounts]
        if unknown:
            raise ValidationError({"experts": _("Unknown account: %(ids)s") % {"ids": "、".join(map(str, unknown))}})
        created = _service_errors(
            lambda: experts_request(
                dossier=dossier,
                experts=[accounts[i] for i in ids],
                user=request.user,
                working_days=data["working_days"],
            )
        )
        return Response([{"id": r.pk, "expert": r.expert_id, "due_date": r.due_date} for r in created], status=201)
