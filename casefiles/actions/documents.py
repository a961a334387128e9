"""Documents in the case file (案卷文件): add one, upload a new version, withdraw one.

In the manner of ``casefiles/actions/transition.py``: ``check()`` says whether the user may do it now and as which
side (applicant, employer, department) without writing anything; ``execute()`` locks the dossier, checks again
and writes everything in one transaction: the rows, the journal entry, the search outbox, the text extraction
task (run by the worker after the commit, never in the request) and the ``document_changed`` signal. The portal,
the API and the admin all go through here.

Who may: the applicant while the dossier is theirs to edit (a draft, or returned for supplement); staff and the
employer's contacts while they act on the dossier's current state (the state's ``actor`` in the scheme data, with
the self-dealing floor of ``acting_principal``). A new version or a withdrawal is made by the side that added the
document. Nothing is added, versioned or withdrawn once the dossier has been decided (:func:`dossier_decided`).
"""

import datetime

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from search import outbox

from ..exceptions import CaseFileError, SelfDealing, TransitionDenied
from ..models import OTHER_MATERIAL, Attachment, Document, DocumentSide, Dossier, StateKind
from ..permissions import EMPLOYER, acting_principal
from ..services.journal import journal_write
from ..services.locks import lock_dossier
from ..workflow.states import APPLICANT, applicant_may_edit

#: Sent after a document is added, versioned or withdrawn: ``sender=Document, document, version, action, user``.
document_changed = Signal()


class DocumentDenied(TransitionDenied):
    """The user may not add, version or withdraw this document (HTTP 403)."""


def dossier_decided(dossier):
    """Has the dossier been decided? Read from the scheme data: it is in an end state, or a step that issues the
    card has granted it a tier. Its documents are then the record of the decision and stay as they are."""
    return dossier.state.kind == StateKind.END or dossier.granted_tier_id is not None


def _lock(dossier_pk):
    lock_dossier(dossier_pk)  # lock first, then read with the joins (services/locks.py)
    return Dossier.objects.select_related("scheme", "state", "employer", "authority").get(pk=dossier_pk)


def side_of(user, dossier, *, applicant_only=False):
    """(side, department) the user adds documents to ``dossier`` as now; raises why not."""
    if applicant_only and dossier.applicant_id != user.pk:
        raise DocumentDenied(_("Only the applicant may add attachments."))
    if dossier_decided(dossier):
        raise CaseFileError(
            _("The dossier has been decided (“%(state)s”); its documents can no longer be changed.") % {"state": dossier.state.name},
            code="decided",
        )
    if dossier.applicant_id == user.pk:
        if not applicant_may_edit(dossier.state):
            raise CaseFileError(_("Attachments can only be added while the application is a draft or returned for supplement."))
        return DocumentSide.APPLICANT, None
    state = dossier.state
    if not state.actor or state.actor == APPLICANT:
        raise DocumentDenied(_("You may not add documents to this dossier now."))
    departments = {d.code: d for d in dossier.scheme.departments.all()}
    acting_as, refusal = acting_principal(user, dossier, [state.actor], departments)
    if refusal is not None:
        raise SelfDealing(refusal[1], code=refusal[0])
    if acting_as is None:
        raise DocumentDenied(_("You may not add documents to this dossier now."))
    if acting_as == EMPLOYER:
        return DocumentSide.EMPLOYER, dossier.employer
    if acting_as == "authority":
        return DocumentSide.DEPARTMENT, dossier.authority
    return DocumentSide.DEPARTMENT, departments.get(acting_as)


def _same_side(user, document, side):
    if document.side != side:
        raise DocumentDenied(_("Only the side that added a document may change it."))


def _enqueue_extraction(version):
    from huicai.background import enqueue_with_transaction

    from ..tasks import extract_document_text

    enqueue_with_transaction(extract_document_text, version_id=version.pk)


def _after_change(*, user, document, version, action, data):
    journal_write(action=f"casefiles.document.{action}", actor=user, dossier=document.dossier, obj=version or document,
                  data=data)
    outbox.enqueue("dossier", document.dossier_id)
    if version is not None:
        _enqueue_extraction(version)
    transaction.on_commit(lambda: document_changed.send(sender=Document, document=document, version=version,
                                                        action=action, user=user))


def _clean_metadata(title, issuing_body, issue_date):
    title = (title or "").strip()
    issuing_body = (issuing_body or "").strip()
    if len(title) > 200:
        raise CaseFileError(_("The title is longer than 200 characters."), code="title")
    if len(issuing_body) > 200:
        raise CaseFileError(_("The issuing body is longer than 200 characters."), code="issuing_body")
    if isinstance(issue_date, str) and issue_date.strip():
        try:
            issue_date = datetime.date.fromisoformat(issue_date.strip())
        except ValueError:
            raise CaseFileError(_("The issue date is not a date (YYYY-MM-DD)."), code="issue_date") from None
    issue_date = issue_date or None
    if issue_date is not None and issue_date > timezone.localdate():
        raise CaseFileError(_("The issue date lies in the future."), code="issue_date")
    return title, issuing_body, issue_date


class AddDocument:
    """``AddDocument(dossier, user, file, kind=..., title=...).execute()`` → version 1 (an ``Attachment``)."""

    def __init__(self, dossier, user, uploaded_file, *, kind=OTHER_MATERIAL, title="", issuing_body="", issue_date=None,
                 note="", applicant_only=False):
        self.dossier, self.user, self.uploaded_file = dossier, user, uploaded_file
        self.kind = kind or OTHER_MATERIAL
        self.title, self.issuing_body, self.issue_date, self.note = title, issuing_body, issue_date, (note or "").strip()
        self.applicant_only = applicant_only

    def check(self):
        from ..selectors_materials import material_kinds

        side = side_of(self.user, self.dossier, applicant_only=self.applicant_only)
        if self.kind not in {code for code, _name in material_kinds(self.dossier.scheme)}:
            raise CaseFileError(_("Unknown attachment kind."))
        self.title, self.issuing_body, self.issue_date = _clean_metadata(self.title, self.issuing_body, self.issue_date)
        return side

    @transaction.atomic
    def execute(self):
        from ..services.attachments import read_upload, version_store

        self.dossier = _lock(self.dossier.pk)
        side, department = self.check()
        data, content_type, extension = read_upload(self.uploaded_file)
        name = getattr(self.uploaded_file, "name", "") or ""
        document = Document.objects.create(
            dossier=self.dossier, title=self.title or (name.rsplit(".", 1)[0].strip() or _("Document"))[:200],
            kind=self.kind, issuing_body=self.issuing_body, issue_date=self.issue_date, side=side, department=department,
            added_by=self.user, added_at=timezone.now(),
        )
        version = version_store(document=document, user=self.user, data=data, content_type=content_type,
                                extension=extension, name=name, version=1, note=self.note)
        _after_change(user=self.user, document=document, version=version, action="add", data={
            "name": version.original_name, "kind": document.kind, "side": side, "type": content_type,
            "size": version.size, "sha256": version.sha256})
        return version


def _locked(document):
    """The document read again under a row lock, with its dossier locked first (the order every action locks in)."""
    dossier = _lock(document.dossier_id)
    document = Document.objects.select_for_update().get(pk=document.pk)
    document.dossier = dossier
    return document


class AddDocumentVersion:
    """``AddDocumentVersion(document, user, file, note="why").execute()`` → the new version; earlier ones stay."""

    def __init__(self, document, user, uploaded_file, *, note="", applicant_only=False):
        self.document, self.user, self.uploaded_file = document, user, uploaded_file
        self.note = (note or "").strip()
        self.applicant_only = applicant_only

    def check(self):
        side, _department = side_of(self.user, self.document.dossier, applicant_only=self.applicant_only)
        _same_side(self.user, self.document, side)
        if self.document.withdrawn_at is not None:
            raise CaseFileError(_("This document has been withdrawn."), code="document_withdrawn")
        return side

    @transaction.atomic
    def execute(self):
        from ..services.attachments import read_upload, version_store

        self.document = _locked(self.document)
        self.check()
        data, content_type, extension = read_upload(self.uploaded_file)
        last = self.document.versions.order_by("-version").values_list("version", flat=True).first() or 0
        version = version_store(document=self.document, user=self.user, data=data, content_type=content_type,
                                extension=extension, name=getattr(self.uploaded_file, "name", "") or "",
                                version=last + 1, note=self.note)
        _after_change(user=self.user, document=self.document, version=version, action="version", data={
            "version": version.version, "name": version.original_name, "type": content_type, "size": version.size,
            "sha256": version.sha256})
        return version


class WithdrawDocument:
    """``WithdrawDocument(document, user, reason="...").execute()``: recorded, never deleted."""

    def __init__(self, document, user, *, reason=""):
        self.document, self.user, self.reason = document, user, (reason or "").strip()

    def check(self):
        side, _department = side_of(self.user, self.document.dossier)
        _same_side(self.user, self.document, side)
        if self.document.withdrawn_at is not None:
            raise CaseFileError(_("This document has been withdrawn."), code="document_withdrawn")
        if not self.reason:
            raise CaseFileError(_("Please give the reason for withdrawing the document."), code="reason_required")
        return side

    @transaction.atomic
    def execute(self):
        self.document = _locked(self.document)
        self.check()
        self.document.withdrawn_at = timezone.now()
        self.document.withdrawn_by = self.user
        self.document.withdrawal_reason = self.reason
        self.document.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        _after_change(user=self.user, document=self.document, version=None, action="withdraw",
                      data={"title": self.document.title, "reason": self.reason})
        return self.document


def document_for(user, pk):
    """A document of a dossier the user may see, else Document.DoesNotExist (404)."""
    from ..selectors import row_of_visible_dossier

    return row_of_visible_dossier(user, Document.objects.select_related("dossier__state", "dossier__scheme"), pk)


__all__ = ["AddDocument", "AddDocumentVersion", "Attachment", "DocumentDenied", "WithdrawDocument", "document_changed",
           "document_for", "dossier_decided"]
