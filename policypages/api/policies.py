"""Published policies by citation: the list per scheme, one policy with its structure, one article, paragraph (款)
or item by its citation or numeric id, and the versions that went live. Public, read-only, cached like the pages."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_slug
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from huicai.api.pagination import paginated, paginated_schema

from . import selectors
from .caching import cached_data

# --------------------------------------------------------------------------- response shapes


class RevisionSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Revision id (for /revisions/<id>/)")
    published_at = serializers.DateTimeField(allow_null=True)
    is_live = serializers.BooleanField(help_text="The version the policy page shows now")


class PolicySummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scheme = serializers.CharField()
    scheme_name = serializers.CharField()
    title = serializers.CharField()
    document_type = serializers.CharField()
    document_number = serializers.CharField()
    issuer = serializers.CharField()
    is_trial = serializers.BooleanField()
    issue_date = serializers.DateField(allow_null=True)
    effective_date = serializers.DateField(allow_null=True)
    expiry_date = serializers.DateField(allow_null=True, help_text="First day on which the policy no longer applies")
    status = serializers.CharField(help_text="in_force, expired or repealed, as of today")
    url = serializers.CharField(help_text="The public policy page")
    revision = RevisionSerializer()


class ChapterSerializer(serializers.Serializer):
    number = serializers.IntegerField(allow_null=True)
    label = serializers.CharField(help_text="e.g. 第二章")
    title = serializers.CharField()
    anchor = serializers.CharField()
    url = serializers.CharField()


class UnitFields(serializers.Serializer):
    kind = serializers.CharField(help_text="article, paragraph (款) or item")
    id = serializers.CharField(help_text="Numeric id: 31 for an article, 3.k2 for a paragraph (款), 5.2.3 for an item")
    label = serializers.CharField(help_text="As printed: 第三十一条, 第二款, （二）, 3., ②")
    caption = serializers.CharField()
    text = serializers.CharField()
    tail = serializers.CharField(help_text="Text after the items")
    citation = serializers.CharField(help_text="《title》第五条第（二）项第3目, 《title》第三条第二款")
    anchor = serializers.CharField(help_text="Fragment of the unit on the policy page, e.g. art-5-2-3, art-3-k2")
    url = serializers.CharField(help_text="Public URL of the unit (policy page with the anchor)")


class ItemSerializer(UnitFields):
    parent = serializers.CharField(help_text="Numeric id of the enclosing article or item")


class ParagraphSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="paragraph")
    id = serializers.CharField(help_text="Numeric id: 3.k2 for 第三条第二款")
    number = serializers.IntegerField(help_text="The paragraph's number in its article (1 for 第一款)")
    label = serializers.CharField(help_text="第二款")
    text = serializers.CharField(
        help_text="The paragraph's own text (without its items), one printed paragraph per line"
    )
    citation = serializers.CharField(help_text="《title》第三条第二款")
    anchor = serializers.CharField(help_text="Fragment of the paragraph on the policy page, e.g. art-3-k2")
    url = serializers.CharField(help_text="Public URL of the paragraph (policy page with the anchor)")
    parent = serializers.CharField(help_text="Numeric id of the article")
    item_ids = serializers.ListField(
        child=serializers.CharField(), help_text="Ids of the items (项) the paragraph introduces, e.g. 3.1 … 3.9"
    )


class ArticleSerializer(UnitFields):
    number = serializers.IntegerField()
    chapter = serializers.IntegerField(allow_null=True, help_text="Number of the chapter (章), null if none")
    paragraphs = ParagraphSerializer(
        many=True,
        help_text="款 in order; an article of one paragraph has 第一款 only. Items hang on the 款 in item_ids",
    )
    items = ItemSerializer(many=True, help_text="项, 目 and 子目 in document order")


class PolicyDetailSerializer(PolicySummarySerializer):
    chapters = ChapterSerializer(many=True)
    articles = ArticleSerializer(many=True)


class ArticleBriefSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()
    caption = serializers.CharField()
    citation = serializers.CharField()
    anchor = serializers.CharField()
    url = serializers.CharField()


class UnitDetailSerializer(UnitFields):
    number = serializers.IntegerField(
        allow_null=True, help_text="The article's number, or the paragraph's number in its article (null for an item)"
    )
    chapter = serializers.IntegerField(
        allow_null=True, help_text="Number of the article's chapter (null for a paragraph or an item)"
    )
    parent = serializers.CharField(
        allow_null=True, help_text="The enclosing unit of an item or a paragraph (null for an article)"
    )
    paragraphs = ParagraphSerializer(
        many=True, help_text="An article's paragraphs (款) (empty for a paragraph or item)"
    )
    item_ids = serializers.ListField(
        child=serializers.CharField(), help_text="A paragraph's items (ids; empty for an article or an item)"
    )
    items = ItemSerializer(many=True, help_text="The items of an article or of a paragraph (empty for an item)")


class UnitSerializer(serializers.Serializer):
    policy = PolicySummarySerializer()
    unit = UnitDetailSerializer(help_text="The article, the paragraph (款) or the item")
    article = ArticleBriefSerializer(
        allow_null=True, help_text="The enclosing article of a paragraph or an item, null for an article"
    )


# --------------------------------------------------------------------------- views


def _policy(scheme):
    page = selectors.scheme_policy(scheme)
    if page is None:
        raise NotFound(_("No published policy for this scheme."))
    return page


def _revision(page, revision):
    old = selectors.policy_at_revision(page, revision)
    info = selectors.revision_info(page, revision) if old is not None else None
    if info is None:
        raise NotFound(_("No published revision with this id."))
    return old, info


def _detail(page, info=None, base=None):
    return {**selectors.policy_summary(page, info), **selectors.policy_structure(page, base)}


def _unit(page, citation, info=None):
    found = selectors.find_unit(page, citation)
    if found is None:
        raise NotFound(_("This policy has no article, paragraph or item %(citation)s.") % {"citation": citation[:40]})
    unit, article = found
    unit = {"number": None, "chapter": None, "parent": None, "paragraphs": [], "item_ids": [], "items": [], **unit}
    return {"policy": selectors.policy_summary(page, info), "unit": unit, "article": article}


def scheme_param(request):
    """The ``?scheme=`` filter of a list: None for none, else a slug (anything else is a 400, never a query)."""
    scheme = request.query_params.get("scheme") or None
    if scheme is not None:
        try:
            validate_slug(scheme)
        except DjangoValidationError as exc:
            raise ValidationError({"scheme": exc.messages}) from None
    return scheme


class PublicView(APIView):
    """Public, read-only content: the same answer for every caller. A 200 to a GET may be stored whole by the page
    cache (policypages/cache.py, ``API_PREFIXES``) until the content changes; a view whose answer could change
    without a change the page cache watches would set ``whole_answer_cacheable = False``."""

    authentication_classes = []
    permission_classes = []
    whole_answer_cacheable = True

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.whole_answer_cacheable and response.status_code == 200:
            from .. import cache as page_cache

            page_cache.mark_api_cacheable(request._request)
        return response


class PolicyListView(PublicView):
    @extend_schema(
        operation_id="policies_list",
        summary=gettext_lazy("Published policies"),
        description=gettext_lazy(
            "The published policy documents of every scheme (or of one: ?scheme=), with their revision and "
            "dates. Public."
        ),
        parameters=[OpenApiParameter("scheme", str, description="Only this scheme's policies (slug)")],
        responses={200: paginated_schema(PolicySummarySerializer)},
        tags=["policies"],
    )
    def get(self, request):
        scheme = scheme_param(request)
        data = cached_data(
            request,
            ("policies", scheme or ""),
            lambda: [selectors.policy_summary(page) for page in selectors.published_policies(scheme)],
        )
        return paginated(request, self, data, lambda page: PolicySummarySerializer(page, many=True).data)


class PolicyDetailView(PublicView):
    @extend_schema(
        operation_id="policies_retrieve",
        summary=gettext_lazy("A scheme's policy with its structure"),
        description=gettext_lazy(
            "The published policy of a scheme: chapters, articles, paragraphs (款) and items with their numeric ids, "
            "citations, anchors and public URLs. Public."
        ),
        responses={200: PolicyDetailSerializer},
        tags=["policies"],
    )
    def get(self, request, scheme):
        data = cached_data(request, ("policy", scheme), lambda: _detail(_policy(scheme)))
        return Response(PolicyDetailSerializer(data).data)


class PolicyUnitView(PublicView):
    @extend_schema(
        operation_id="policies_articles_retrieve",
        summary=gettext_lazy("One article, paragraph or item by citation"),
        description=gettext_lazy(
            "An article, paragraph (款) or item of the published policy, named by its citation "
            "(第三十一条, 第三条第二款, 第三条末款, 第五条第（二）项, 第三条第二款第8项; with or without the "
            "policy's title in 《》; article and paragraph numbers also in Arabic numerals: 第3条第2款), its numeric "
            "id (31, 3.k2, 5.2.3) or its anchor (art-3-k2), with the revision and effective dates. A paragraph "
            "comes with its items and a paragraph or item with its article. Public."
        ),
        responses={200: UnitSerializer},
        tags=["policies"],
    )
    def get(self, request, scheme, citation):
        data = cached_data(request, ("policy-unit", scheme, citation), lambda: _unit(_policy(scheme), citation))
        return Response(UnitSerializer(data).data)


class PolicyRevisionListView(PublicView):
    @extend_schema(
        operation_id="policies_revisions_list",
        summary=gettext_lazy("Published revisions of a policy"),
        description=gettext_lazy(
            "The versions of the scheme's policy that went live, newest first. Drafts are never listed. Public."
        ),
        responses={200: paginated_schema(RevisionSerializer)},
        tags=["policies"],
    )
    def get(self, request, scheme):
        data = cached_data(request, ("policy-revisions", scheme), lambda: selectors.policy_revisions(_policy(scheme)))
        return paginated(request, self, data, lambda page: RevisionSerializer(page, many=True).data)


class PolicyRevisionView(PublicView):
    @extend_schema(
        operation_id="policies_revisions_retrieve",
        summary=gettext_lazy("A policy as published in an older revision"),
        description=gettext_lazy("The scheme's policy with its structure as published in the given revision. Public."),
        responses={200: PolicyDetailSerializer},
        tags=["policies"],
    )
    def get(self, request, scheme, revision):
        def build():
            page = _policy(scheme)
            old, info = _revision(page, revision)
            return _detail(old, info, base=selectors.public_path(page))

        data = cached_data(request, ("policy-revision", scheme, revision), build)
        return Response(PolicyDetailSerializer(data).data)


class PolicyRevisionUnitView(PublicView):
    @extend_schema(
        operation_id="policies_revisions_articles_retrieve",
        summary=gettext_lazy("One article, paragraph or item of an older revision"),
        description=gettext_lazy(
            "An article, paragraph (款) or item as published in the given revision, by citation or numeric id. Public."
        ),
        responses={200: UnitSerializer},
        tags=["policies"],
    )
    def get(self, request, scheme, revision, citation):
        def build():
            old, info = _revision(_policy(scheme), revision)
            return _unit(old, citation, info)

        data = cached_data(request, ("policy-revision-unit", scheme, revision, citation), build)
        return Response(UnitSerializer(data).data)
