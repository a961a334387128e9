"""Documents of a dossier with all their versions (read side; casefiles/actions/documents.py writes)."""

from django.db.models import Prefetch

from .models import Attachment, Document
from .selectors_materials import material_kinds


def documents_of(dossier):
    """Every document of the dossier, withdrawn ones too (their record stays), each with ``kind_name`` and its
    versions, oldest first, in ``version_list``; the caller has checked that the user may see the dossier."""
    names = dict(material_kinds(dossier.scheme))
    versions = Attachment.objects.select_related("uploaded_by").order_by("version")
    documents = list(
        Document.objects.filter(dossier=dossier)
        .select_related("added_by", "withdrawn_by", "department")
        .prefetch_related(Prefetch("versions", queryset=versions, to_attr="version_list"))
        .order_by("added_at", "pk")
    )
    for document in documents:
        document.kind_name = names.get(document.kind, document.kind)
        document.current = document.version_list[-1] if document.version_list else None
    return documents
