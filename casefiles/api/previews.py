"""``GET /api/v1/attachments/<id>/preview/``: a page of a document version as PNG (issue #24 item 2).

The same check as the download beside it (``attachment_for``: 404 unless the caller may see the dossier); the
image comes from casefiles/services/previews.py (drawn once, cached in private storage). A version that cannot be
drawn answers 422 with the reason in Chinese, code ``preview_unavailable``.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from huicai.api.exceptions import error_response

from ..models import Attachment, Dossier
from ..services.attachments import attachment_for
from ..services.previews import SIZES, PreviewUnavailable, preview_journal, preview_png
from ..views_documents import page_and_size, png_response


class AttachmentPreview(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("page", int, description="页码，从 1 开始（默认 1）"),
            OpenApiParameter("size", str, enum=list(SIZES),
                             description="thumb：缩略图；page：阅读用整页（默认 thumb）"),
        ],
        responses={(200, "image/png"): OpenApiTypes.BINARY,
                   422: OpenApiResponse(
                       description="无法生成预览（文件损坏、格式不支持等），error.code = preview_unavailable")},
    )
    def get(self, request, pk):
        try:
            attachment = attachment_for(request.user, pk)
        except (Attachment.DoesNotExist, Dossier.DoesNotExist):
            raise NotFound(_("Not found.")) from None
        wanted = page_and_size(request.query_params)
        if wanted is None:
            raise ParseError(_("The page must be a number from 1 and the size one of: thumb, page."))
        page, size = wanted
        try:
            png = preview_png(attachment, page=page, size=size)
        except PreviewUnavailable as error:
            return error_response(422, _(error.reason), code="preview_unavailable")
        preview_journal(attachment=attachment, user=request.user)
        return png_response(png)
