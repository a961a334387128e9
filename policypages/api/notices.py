"""Notices and announcements: the notice list, 公示 lists during their period (names masked), exit announcements
with their rows (names masked) and PDF link, and catalogue additions. Public, read-only, cached like the pages."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from huicai.api.pagination import paginated, paginated_schema

from . import selectors
from .caching import cached_data
from .policies import PublicView, scheme_param

SCHEME_PARAMETER = OpenApiParameter("scheme", str, description="Only this scheme's (slug)")


class NoticeEntrySerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="notice, exit_announcement or public_notice (公示)")
    id = serializers.IntegerField(help_text="Id for the detail of an exit announcement or a 公示")
    title = serializers.CharField()
    date = serializers.DateField()
    scheme = serializers.CharField(help_text="Scheme slug (empty for a notice page)")
    number = serializers.CharField(help_text="Document number")
    url = serializers.CharField(help_text="Public page (empty for a 公示)")
    body = serializers.CharField(help_text="A notice page's text (HTML)")


class MaskedCandidateSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Masked name, e.g. 张*明")
    employer = serializers.CharField()
    tier = serializers.CharField()


class PublicNoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scheme = serializers.CharField()
    scheme_name = serializers.CharField()
    number = serializers.CharField()
    title = serializers.CharField()
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()
    working_days = serializers.IntegerField()
    how_to_object = serializers.CharField()
    rows = MaskedCandidateSerializer(many=True)


class ExitRowSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Masked name")
    employer = serializers.CharField()
    card = serializers.CharField()
    tier = serializers.CharField()
    reason = serializers.CharField()
    article = serializers.CharField()
    date = serializers.CharField()


class ExitAnnouncementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scheme = serializers.CharField()
    scheme_name = serializers.CharField()
    year = serializers.IntegerField()
    title = serializers.CharField()
    issuing_body = serializers.CharField()
    document_number = serializers.CharField()
    issued_on = serializers.DateField()
    intro = serializers.CharField()
    url = serializers.CharField()
    pdf_url = serializers.CharField(help_text="The announcement as PDF")
    rows = ExitRowSerializer(many=True)


class CatalogueChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scheme = serializers.CharField()
    ref = serializers.CharField()
    article = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()
    category = serializers.CharField()
    tiers = serializers.ListField(child=serializers.CharField())
    responsible_units = serializers.ListField(child=serializers.CharField())
    announced_on = serializers.DateField(allow_null=True)


class NoticeListView(PublicView):
    @extend_schema(
        operation_id="notices_list",
        summary=gettext_lazy("Notices and announcements"),
        description=gettext_lazy(
            "Notices, exit announcements and the public notice (公示) lists during their period, newest first. Public."
        ),
        parameters=[SCHEME_PARAMETER],
        responses={200: paginated_schema(NoticeEntrySerializer)},
        tags=["notices"],
    )
    def get(self, request):
        scheme = scheme_param(request)
        today = selectors._today()
        data = cached_data(request, ("notices", scheme or "", today), lambda: selectors.notice_entries(scheme, today))
        return paginated(request, self, data, lambda page: NoticeEntrySerializer(page, many=True).data)


class PublicNoticeView(PublicView):
    @extend_schema(
        operation_id="notices_public_notices_retrieve",
        summary=gettext_lazy("A public notice (公示) list"),
        description=gettext_lazy("A 公示 list during its period, with the candidates' names masked. Public."),
        responses={200: PublicNoticeSerializer},
        tags=["notices"],
    )
    def get(self, request, pk):
        today = selectors._today()

        def build():
            notice = selectors.public_notices_open(today=today).filter(pk=pk).first()
            if notice is None:
                raise NotFound(_("No public notice with this id is open."))
            return selectors.public_notice_data(notice)

        return Response(PublicNoticeSerializer(cached_data(request, ("public-notice", pk, today), build)).data)


class ExitAnnouncementView(PublicView):
    @extend_schema(
        operation_id="notices_exit_announcements_retrieve",
        summary=gettext_lazy("An exit announcement"),
        description=gettext_lazy(
            "A published exit announcement with its rows (names masked) and the link to its PDF. Public."
        ),
        responses={200: ExitAnnouncementSerializer},
        tags=["notices"],
    )
    def get(self, request, pk):
        def build():
            page = selectors.exit_announcements().filter(pk=pk).first()
            if page is None:
                raise NotFound(_("No published exit announcement with this id."))
            return selectors.exit_announcement_data(page)

        return Response(ExitAnnouncementSerializer(cached_data(request, ("exit-announcement", pk), build)).data)


class CatalogueChangeListView(PublicView):
    @extend_schema(
        operation_id="notices_catalogue_changes_list",
        summary=gettext_lazy("Catalogue additions"),
        description=gettext_lazy("Approved additions and changes to the service catalogue, newest first. Public."),
        parameters=[SCHEME_PARAMETER],
        responses={200: paginated_schema(CatalogueChangeSerializer)},
        tags=["notices"],
    )
    def get(self, request):
        scheme = scheme_param(request)
        data = cached_data(request, ("catalogue", scheme or ""), lambda: selectors.catalogue_additions(scheme))
        return paginated(request, self, data, lambda page: CatalogueChangeSerializer(page, many=True).data)
