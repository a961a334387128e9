"""JSON API of service delivery (issue #20 item 6): a holder (or the employer's staff) requests a service of a card
and follows it; a responsible unit reads its queue and takes the steps of the work order. Every write goes through
the same actions as the portal and the admin (``services.RequestService``, ``services.StepAction``); their errors
become 400 / 403 / 409 with a Chinese message in huicai/api/exceptions.py."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from casefiles.models import Card, Membership, ServiceRequester, TimeLimitUnit
from huicai.api.pagination import paginated, paginated_schema

from . import selectors
from .models import ServiceRequest, ServiceRequestState
from .services import STEPS, RequestService, StepAction, may_request_for, steps_available


class HolderSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField(help_text="The holder's phone, for the unit to reach them")
    id_number = serializers.CharField(help_text="Masked ID number (first and last characters only)")


class ServiceRequestSerializer(serializers.ModelSerializer):
    scheme = serializers.CharField(source="scheme.name")
    card = serializers.CharField(source="card.number")
    service = serializers.SerializerMethodField()
    unit = serializers.CharField(source="unit.name")
    state_label = serializers.CharField(source="get_state_display")
    holder = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()
    time_limit = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "id", "scheme", "card", "service", "unit", "state", "state_label", "through_employer", "detail",
            "requested_at", "accepted_at", "completed_at", "closed_at", "time_limit", "time_limit_working_days",
            "limit_is_setting", "limit_article", "due_on", "overdue", "working_days_taken", "on_time", "material_note",
            "refusal_reason", "refusal_article", "holder", "steps",
        ]  # fmt: skip

    @extend_schema_field(
        inline_serializer(
            "RequestedService",
            {
                "id": serializers.CharField(),
                "title": serializers.CharField(),
                "article": serializers.CharField(),
                "requested_by": serializers.ChoiceField(
                    choices=ServiceRequester.choices, help_text="Who asks for it: holder, employer or either"
                ),
            },
        )
    )
    def get_service(self, obj):
        service = obj.service
        return {"id": service.ref, "title": service.title, "article": service.article,
                "requested_by": service.requested_by}  # fmt: skip

    @extend_schema_field(
        inline_serializer(
            "ServiceTimeLimit",
            {
                "amount": serializers.IntegerField(),
                "unit": serializers.ChoiceField(choices=TimeLimitUnit.choices),
                "text": serializers.CharField(help_text="The limit as shown: “1个月”, “10个工作日”"),
            },
            allow_null=True,
        )
    )
    def get_time_limit(self, obj):
        """The limit in its own unit (``time_limit_working_days`` is set only for a limit in working days)."""
        if not obj.time_limit:
            return None
        amount, unit = obj.time_limit
        return {"amount": amount, "unit": unit, "text": obj.time_limit_text}

    @extend_schema_field(HolderSerializer)
    def get_holder(self, obj):
        return selectors.holder_view(obj)

    def get_overdue(self, obj) -> bool:
        return bool(obj.state == ServiceRequestState.ACCEPTED and obj.due_on and obj.due_on < timezone.localdate())

    def get_steps(self, obj) -> list[str]:
        return steps_available(obj, self.context["request"].user)


def _serialize(request, items):
    return ServiceRequestSerializer(items, many=True, context={"request": request}).data


class RequestIn(serializers.Serializer):
    card = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="The card's id")
    service = serializers.CharField(max_length=40, help_text="The service item's id in the scheme (e.g. 9.2.1)")
    detail = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class StepIn(serializers.Serializer):
    step = serializers.ChoiceField(choices=list(STEPS), help_text="accept, ask_material, supply, complete or refuse")
    note = serializers.CharField(
        max_length=4000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Material needed, or the reason of a refusal",
    )
    article = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text="The article a refusal rests on (第…条)"
    )
    expected_state = serializers.ChoiceField(
        choices=ServiceRequestState.values,
        required=False,
        allow_blank=True,
        default="",
        help_text="Refused (409) if the request has moved on",
    )


@extend_schema(
    methods=["GET"],
    operation_id="service_requests_list",
    responses={200: paginated_schema(ServiceRequestSerializer)},
    summary="The caller's service requests",
)
@extend_schema(
    methods=["POST"],
    operation_id="service_requests_create",
    request=RequestIn,
    responses={201: ServiceRequestSerializer},
    summary="Request a service of a card",
)
@api_view(["GET", "POST"])
@permission_classes([IsAuthenticated])
def requests(request):
    if request.method == "POST":
        return _create(request)
    mine = ServiceRequest.objects.filter(card__holder=request.user) | ServiceRequest.objects.filter(
        requested_by=request.user
    )
    items = mine.select_related("card__dossier", "service", "unit", "scheme").order_by("-requested_at", "-id")
    return paginated(request, None, items, lambda page: _serialize(request, page))


def _create(request):
    given = RequestIn(data=request.data)
    given.is_valid(raise_exception=True)
    card = Card.objects.select_related("scheme", "tier", "dossier").filter(pk=given.validated_data["card"]).first()
    if card is None or not may_request_for(request.user, card)[0]:
        raise NotFound()
    service = card.scheme.services.filter(ref=given.validated_data["service"]).first()
    if service is None:
        raise serializers.ValidationError({"service": [_("The scheme of this card has no such service.")]})
    made = RequestService(card, service, request.user, detail=given.validated_data["detail"]).execute()
    return Response(_serialize(request, [selectors.request_for(request.user, made.pk)])[0], status=201)


def _visible(request, pk):
    found = selectors.request_for(request.user, pk)
    if found is None:
        raise NotFound()
    return found


@extend_schema(
    operation_id="service_requests_retrieve", responses={200: ServiceRequestSerializer}, summary="One service request"
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def request_detail(request, pk):
    return Response(_serialize(request, [_visible(request, pk)])[0])


@extend_schema(
    operation_id="service_requests_steps_create",
    request=StepIn,
    responses={200: ServiceRequestSerializer},
    summary="Take a step on a service request",
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def request_step(request, pk):
    found = _visible(request, pk)
    given = StepIn(data=request.data)
    given.is_valid(raise_exception=True)
    data = given.validated_data
    StepAction(found, data["step"], request.user, note=data["note"], article=data["article"],
               expected_state=data["expected_state"] or None).execute()  # fmt: skip
    return Response(_serialize(request, [_visible(request, pk)])[0])


@extend_schema(
    operation_id="service_queue_retrieve",
    parameters=[
        OpenApiParameter("unit", OpenApiTypes.INT, description="The unit's id (the caller's first unit if omitted)"),
        OpenApiParameter("state", OpenApiTypes.STR, enum=list(selectors.QUEUE_FILTERS), description="open by default"),
    ],
    responses={
        200: inline_serializer(
            "ServiceQueuePage",
            {
                "unit": serializers.CharField(),
                "count": serializers.CharField(help_text="The count, “1,000+” beyond the cap"),
                "next": serializers.CharField(allow_null=True, help_text="The `after` value of the next page"),
                "results": ServiceRequestSerializer(many=True),
                "previous": serializers.CharField(allow_null=True),
            },
        )
    },
    summary="A responsible unit's queue",
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def unit_queue(request):
    units = selectors.units_of(request.user)
    wanted = request.query_params.get("unit")
    unit = units.filter(pk=int(wanted)).first() if (wanted or "").isdigit() and len(wanted) < 10 else units.first()
    if unit is None or not Membership.objects.filter(user=request.user, department=unit).exists():
        raise NotFound()
    state = request.query_params.get("state") or "open"
    if state not in selectors.QUEUE_FILTERS:
        raise serializers.ValidationError({"state": [_("Unknown state.")]})
    rows, count, capped, next_key = selectors.queue(
        unit, state=state, after=selectors.decode_key(request.query_params.get("after"))
    )
    return Response(
        {
            "unit": unit.name,
            "count": selectors.count_label(count, capped),
            "next": selectors.encode_key(next_key) or None,
            "previous": None,
            "results": _serialize(request, rows),
        }
    )
