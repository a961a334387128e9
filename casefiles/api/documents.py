"""Documents of a dossier through the API: list them with every version, add one (any side that may), upload a
new version, withdraw one. The actions in casefiles/actions/documents.py decide; a version downloads through
``api/v1/attachments/<id>/`` (the checked, journaled download path the portal and the admin use too)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..actions.documents import AddDocument, AddDocumentVersion, WithdrawDocument, document_for
from ..models import OTHER_MATERIAL, Document
from ..selectors import dossier_for
from ..selectors_documents import documents_of


def _version_payload(version):
    return {
        "id": version.pk, "version": version.version, "name": version.original_name,
        "content_type": version.content_type, "size": version.size, "sha256": version.sha256,
        "note": version.note, "uploaded_by": version.uploaded_by.get_full_name() or version.uploaded_by.get_username(),
        "uploaded_at": version.uploaded_at, "text": version.get_text_status_display(),
        "text_problem": _(version.text_error) if version.text_error else "",
        "download": reverse("api-attachment", args=[version.pk]),
        "preview": reverse("api-attachment-preview", args=[version.pk]),
    }


def document_payload(document):
    return {
        "id": document.pk, "title": document.title, "kind": document.kind, "kind_name": document.kind_name,
        "issuing_body": document.issuing_body, "issue_date": document.issue_date, "side": document.side,
        "side_name": document.get_side_display(),
        "added_by": document.added_by.get_full_name() or document.added_by.get_username(),
        "added_at": document.added_at,
        "withdrawn": document.withdrawn_at is not None, "withdrawn_at": document.withdrawn_at,
        "withdrawal_reason": document.withdrawal_reason,
        "versions": [_version_payload(v) for v in document.version_list],
    }


def _map_errors(call):
    """The actions' typed errors reach the API's one exception handler (huicai/api/exceptions.py) as they are."""
    return call()


def _dossier_or_404(user, pk):
    from ..models import Dossier

    try:
        return dossier_for(user, pk)
    except Dossier.DoesNotExist:
        raise NotFound(_("Not found.")) from None


UPLOAD = inline_serializer("DocumentUpload", {
    "file": serializers.FileField(),
    "kind": serializers.CharField(required=False, help_text="申请材料代码（见方案的 materials），或 other"),
    "title": serializers.CharField(required=False), "issuing_body": serializers.CharField(required=False),
    "issue_date": serializers.DateField(required=False),
    "document": serializers.IntegerField(required=False, help_text="已有文件的 id：上传其新版本"),
    "note": serializers.CharField(required=False, help_text="新版本的原因"),
})


class WithdrawalSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DossierDocuments(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: dict})
    def get(self, request, pk):
        dossier = _dossier_or_404(request.user, pk)
        return Response({"results": [document_payload(d) for d in documents_of(dossier)]})

    @extend_schema(request={"multipart/form-data": UPLOAD}, responses={201: dict})
    def post(self, request, pk):
        dossier = _dossier_or_404(request.user, pk)
        upload = request.FILES.get("file")
        if upload is None:
            raise ParseError(_("No file was uploaded."))
        document_id = request.data.get("document")
        if document_id:
            try:
                document = Document.objects.select_related("dossier__state").get(pk=int(document_id), dossier=dossier)
            except (Document.DoesNotExist, ValueError, TypeError):
                raise NotFound(_("Not found.")) from None
            version = _map_errors(lambda: AddDocumentVersion(document, request.user, upload,
                                                             note=request.data.get("note", "")).execute())
        else:
            version = _map_errors(lambda: AddDocument(
                dossier, request.user, upload, kind=request.data.get("kind") or OTHER_MATERIAL,
                title=request.data.get("title", ""), issuing_body=request.data.get("issuing_body", ""),
                issue_date=request.data.get("issue_date") or None, note=request.data.get("note", ""),
            ).execute())
        return Response({"document": version.document_id, "version": version.version, "id": version.pk,
                         "name": version.original_name}, status=status.HTTP_201_CREATED)


class DocumentWithdraw(APIView):
    """JSON or form; the JSON goes through the project's checked parser (huicai/api/parsers.py), as everywhere."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=inline_serializer("DocumentWithdrawal", {"reason": serializers.CharField()}),
                   responses={200: dict})
    def post(self, request, pk):
        try:
            document = document_for(request.user, pk)
        except Document.DoesNotExist:
            raise NotFound(_("Not found.")) from None
        # A reason that is not text (a list, an object: the API fuzz test sends them) is a 400, not a 500.
        given = WithdrawalSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        reason = given.validated_data["reason"]
        document = _map_errors(lambda: WithdrawDocument(document, request.user, reason=reason).execute())
        return Response({"id": document.pk, "withdrawn_at": document.withdrawn_at})
