"""Public JSON API of scheme rules and the eligibility self-check (no login needed).

Views stay thin: reads come from ``casefiles.selectors_schemes``, the check from ``casefiles.eligibility``.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from huicai.api.pagination import paginated, paginated_schema

from ..eligibility import FACT_TYPES, UnknownCriterion, evaluate
from ..selectors_schemes import scheme_detail, scheme_get, scheme_summary, schemes_public


class UnknownReference(exceptions.APIException):
    """400 naming a scheme slug or criterion id that does not exist (code says which)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "unknown_reference"

    def __init__(self, message, code):
        super().__init__(message, code)


# --------------------------------------------------------------------------- response shapes


class SchemeSummarySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    jurisdiction = serializers.CharField(help_text="Name of the jurisdiction (e.g. 通化市)")
    policy_url = serializers.CharField(allow_null=True, help_text="Published policy page, else the scheme section")


class RuleSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Article and item numbers, e.g. 7.2")
    article = serializers.CharField(help_text="Citation in the policy's numbering, e.g. 第七条第②项")
    text = serializers.CharField(help_text="The policy's own words")


class ServiceSerializer(RuleSerializer):
    title = serializers.CharField()
    responsible_units = serializers.ListField(child=serializers.CharField())


class TierSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    criteria = RuleSerializer(many=True)
    services = ServiceSerializer(many=True, help_text="Direct services plus those of included tiers")


class RevocationReasonSerializer(RuleSerializer):
    effect = serializers.CharField(help_text="revoke | contact_list | terminate_all | keep_until_end | recall")


class StageSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    department = serializers.CharField(help_text="Acting department, authority kind or role")


class WorkflowSerializer(serializers.Serializer):
    stages = StageSerializer(many=True)


class ValiditySerializer(serializers.Serializer):
    max_years = serializers.IntegerField(allow_null=True, help_text="null where the policy sets no period")
    article = serializers.CharField(allow_blank=True)


class SchemeDetailSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    preconditions = RuleSerializer(many=True)
    tiers = TierSerializer(many=True, help_text="Highest first")
    revocation_reasons = RevocationReasonSerializer(many=True)
    workflow = WorkflowSerializer()
    validity = ValiditySerializer()


# --------------------------------------------------------------------------- eligibility


class FactsSerializer(serializers.Serializer):
    contract_years = serializers.FloatField(required=False, allow_null=True, min_value=0)
    self_employed = serializers.BooleanField(required=False, allow_null=True)
    flexible_introduction = serializers.BooleanField(required=False, allow_null=True)
    employer_operating_years = serializers.FloatField(required=False, allow_null=True, min_value=0)
    employer_is_district_institution = serializers.BooleanField(required=False, allow_null=True)
    months_per_year_in_jurisdiction = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=12)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(FACT_TYPES))
            if unknown:
                raise serializers.ValidationError(_("Unknown fact: %(names)s") % {"names": "、".join(unknown)})
        return super().to_internal_value(data)


class EligibilityRequestSerializer(serializers.Serializer):
    scheme = serializers.SlugField(help_text="Scheme slug, e.g. tonghua")
    criteria = serializers.ListField(
        child=serializers.CharField(), allow_empty=True, help_text="Ids of the criteria the person meets"
    )
    facts = FactsSerializer(required=False, help_text="Optional; a precondition whose fact is missing is unknown")


class BasisSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    article = serializers.CharField()


class EligibilityResponseSerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    tier = serializers.CharField(allow_null=True)
    basis = BasisSerializer(many=True)
    unmet = RuleSerializer(many=True)
    unknown = RuleSerializer(many=True)
    case_by_case = serializers.BooleanField(help_text="The scheme offers 一事一议")


def result_data(result):
    return {
        "eligible": result.eligible,
        "tier": result.tier.code if result.tier else None,
        "basis": [{"criterion": c.ref, "article": c.article} for c in result.basis],
        "unmet": [{"id": p.ref, "article": p.article, "text": p.text} for p in result.unmet],
        "unknown": [{"id": p.ref, "article": p.article, "text": p.text} for p in result.unknown],
        "case_by_case": result.case_by_case,
    }


# --------------------------------------------------------------------------- views


class SchemeListView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        operation_id="schemes_list",
        responses={200: paginated_schema(SchemeSummarySerializer)},
        summary="The schemes (卡种)",
        tags=["schemes"],
    )
    def get(self, request):
        return paginated(request, self, schemes_public(), lambda page: [scheme_summary(s) for s in page])


class SchemeDetailView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        responses={200: SchemeDetailSerializer},
        summary="A scheme's rules: preconditions, tiers with criteria and services, exits, stages, validity",
        tags=["schemes"],
    )
    def get(self, request, slug):
        scheme = scheme_get(slug)
        if scheme is None:
            raise Http404
        return Response(scheme_detail(scheme))


class EligibilityView(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        request=EligibilityRequestSerializer,
        responses={200: EligibilityResponseSerializer},
        summary="Eligibility self-check: the tier the given criteria reach and how the preconditions stand",
        tags=["schemes"],
        examples=[
            OpenApiExample(
                "通化 B卡",
                value={"scheme": "tonghua", "criteria": ["7.2"], "facts": {"contract_years": 3}},  # OpenAPI example
                request_only=True,
            )
        ],
    )
    def post(self, request):
        serializer = EligibilityRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scheme = scheme_get(data["scheme"])
        if scheme is None:
            raise UnknownReference(_("Unknown scheme: %(slug)s") % {"slug": data["scheme"]}, "unknown_scheme")
        try:
            result = evaluate(scheme, data["criteria"], data.get("facts") or {})
        except UnknownCriterion as exc:
            raise UnknownReference(
                _("Unknown criterion id: %(ids)s") % {"ids": "、".join(exc.refs)}, "unknown_criterion"
            ) from None
        return Response(result_data(result))
