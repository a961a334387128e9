"""GET /api/v1/search/?q=…&scheme=… — published content only, the same service as the search page."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from . import service


class SearchUnavailableError(exceptions.APIException):
    status_code = 503
    default_code = "search_unavailable"


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(label=_("Query"), max_length=100, allow_blank=True, required=False, default="")
    scheme = serializers.SlugField(label=_("Scheme"), required=False, allow_blank=True)
    kind = serializers.ChoiceField(label=_("Type"), choices=["policy", "guide", "announcement"], required=False)
    year = serializers.IntegerField(label=_("Year"), required=False, min_value=1990, max_value=2100)
    page = serializers.IntegerField(
        label=pgettext("page number", "Page"), required=False, default=1, min_value=1, max_value=500
    )


SearchResponse = inline_serializer(
    "SearchResponse",
    {
        "results": inline_serializer(
            "SearchHit",
            {
                "title": serializers.CharField(),
                "scheme": serializers.CharField(),
                "citation": serializers.CharField(),
                "snippet": serializers.CharField(help_text="HTML: escaped text, matches in <mark>"),
                "url": serializers.CharField(),
            },
            many=True,
        ),
        "total": serializers.IntegerField(help_text="Exact up to 10,000; see total_capped"),
        "total_capped": serializers.BooleanField(help_text="True: more than `total` documents match"),
    },
)


@extend_schema(
    parameters=[
        OpenApiParameter("q", str, description="Words to find; separate terms with spaces (all must match)"),
        OpenApiParameter("scheme", str, description="Scheme slug, e.g. tonghua"),
        OpenApiParameter("kind", str, enum=["policy", "guide", "announcement"]),
        OpenApiParameter("year", int),
        OpenApiParameter("page", int),
    ],
    responses={200: SearchResponse},
    summary="Search published policies, service guides and announcements",
)
@api_view(["GET"])
@permission_classes([AllowAny])
@throttle_classes([AnonRateThrottle])
def search(request):
    params = SearchQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = params.validated_data
    filters = {name: data[name] for name in ("kind", "year") if data.get(name)}
    try:
        result = service.search_public(data.get("q", ""), scheme=data.get("scheme") or None, page=data["page"],
                                       filters=filters)
    except Exception as exc:  # the engine is down: say so, do not 500
        raise SearchUnavailableError(_("Search is temporarily unavailable. Please try again later.")) from exc
    return Response({"results": [hit.as_public_dict() for hit in result.hits], "total": result.total,
                     "total_capped": result.total_capped})
