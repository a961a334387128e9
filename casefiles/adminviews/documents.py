"""Documents of a dossier in the Wagtail admin (案卷文件): staff add one, upload a new version, withdraw one.

Each form is a page of its own under the dossier (admin/dossiers/<pk>/documents/…), reached from the dossier page's
Documents section; a withdrawal cannot be undone, so it is asked for on a confirmation page with the reason. The
views only read the form: every change is one action of casefiles/actions/documents.py (AddDocument,
AddDocumentVersion, WithdrawDocument), which decides who may, and its typed errors become 400 / 403 / 409 with the
Chinese message through casefiles/errors.py, as on the dossier page. The dossier is read through ``dossier_for``
(404 for a dossier the user may not see), a document only among that dossier's.
"""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSet

from ..actions.documents import AddDocument, AddDocumentVersion, WithdrawDocument
from ..errors import CASE_FILE_ERRORS, http_status, user_message
from ..models import OTHER_MATERIAL, Document
from ..selectors_materials import material_kinds
from ..selectors_opinions import person_name
from .dossiers import NAMESPACE as DOSSIERS
from .dossiers import DossierDetailView

NAMESPACE = "casefiles_documents"
ACCEPT = ".pdf,.jpg,.jpeg,.png,.ofd,application/pdf,image/jpeg,image/png"


def documents_panel(user, dossier, documents):
    """What the dossier page's Documents section needs beyond the documents: people's names (never logins) on each
    document and version, and what the user may do, asked of the actions' own ``check()``: ``may_add`` and the ids
    of the documents the user may give a new version or withdraw (``changeable``)."""
    for document in documents:
        document.added_by_name = person_name(document.added_by) or "—"
        document.withdrawn_by_name = person_name(document.withdrawn_by) or "—"
        for version in getattr(document, "version_list", ()):
            version.uploaded_by_name = person_name(version.uploaded_by) or "—"
    try:
        AddDocument(dossier, user, None).check()
    except CASE_FILE_ERRORS:
        return {"may_add": False, "changeable": set()}
    changeable = set()
    for document in documents:
        if document.withdrawn_at is not None:
            continue
        document.dossier = dossier
        try:
            # A new version and a withdrawal are allowed to the same people (the side that added the document,
            # while it acts on the dossier); the withdrawal's check only adds that a reason is given.
            AddDocumentVersion(document, user, None).check()
        except CASE_FILE_ERRORS:
            continue
        changeable.add(document.pk)
    return {"may_add": True, "changeable": changeable}


CHOOSE_FILE = {"required": gettext_lazy("Choose the file to upload.")}


class UploadField(forms.FileField):
    widget = forms.FileInput(attrs={"accept": ACCEPT})


class DocumentAddForm(forms.Form):
    file = UploadField(label=gettext_lazy("File"), error_messages=CHOOSE_FILE)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False,
                            help_text=gettext_lazy("Left empty: the file's name."))
    issuing_body = forms.CharField(label=gettext_lazy("Issuing body"), max_length=200, required=False)
    issue_date = forms.DateField(
        label=gettext_lazy("Issue date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("The issue date is not a date (YYYY-MM-DD).")},
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = material_kinds(scheme)
        self.fields["kind"].initial = OTHER_MATERIAL


class DocumentVersionForm(forms.Form):
    file = UploadField(label=gettext_lazy("File"), error_messages=CHOOSE_FILE)
    note = forms.CharField(
        label=gettext_lazy("Why a new version"), widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Please say why a new version is uploaded.")},
    )


class DocumentWithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the withdrawal"), widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Please give the reason for withdrawing the document.")},
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that the withdrawal cannot be undone; the document and its versions stay on "
                           "record as withdrawn."),
        error_messages={"required": gettext_lazy("Please confirm the withdrawal.")},
    )


class _DocumentFormView(DossierDetailView):
    """A form page under the dossier; the dossier (404 unless visible) and its breadcrumbs come from the detail view."""

    template_name = "casefiles/admin/document_form.html"
    form_class = None
    heading = ""

    def get_page_title(self):
        return self.heading

    def get_page_subtitle(self):
        return self.dossier.reference

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(f"{DOSSIERS}:todo"), "label": _("Dossier handling")},
            {"url": reverse(f"{DOSSIERS}:detail", args=[self.dossier.pk]), "label": self.dossier.reference},
            {"url": "", "label": self.heading},
        ]

    def get_form(self, data=None, files=None):
        return self.form_class(data, files)

    def get(self, request, *args, **kwargs):
        try:
            self.check()
        except CASE_FILE_ERRORS as exc:  # say at once why not, instead of a form that cannot succeed
            messages.error(request, user_message(exc, "admin"))
            return self.render_form(None, status=http_status(exc))
        return self.render_form(self.get_form())

    def check(self):
        """The action's own check(), without a file: may the user do this now?"""
        raise NotImplementedError

    def render_form(self, form, status=200):
        context = self.get_context_data(dossier=self.dossier, form=form, **self.form_context())
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def form_context(self):
        return {}

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Please correct the errors below."))
            return self.render_form(form, status=400)
        try:
            message = self.act(form.cleaned_data)
        except CASE_FILE_ERRORS as exc:  # one mapping to status and message: casefiles/errors.py
            messages.error(request, user_message(exc, "admin"))
            return self.render_form(form, status=http_status(exc))
        messages.success(request, message)
        return redirect(reverse(f"{DOSSIERS}:detail", args=[self.dossier.pk]) + "#cf-attachments")

    def act(self, data):
        raise NotImplementedError


class DocumentAddView(_DocumentFormView):
    """GET the form, POST a new document (version 1) through AddDocument."""

    form_class = DocumentAddForm
    heading = gettext_lazy("Add a document")

    def get_form(self, data=None, files=None):
        return DocumentAddForm(data, files, scheme=self.dossier.scheme)

    def check(self):
        AddDocument(self.dossier, self.request.user, None).check()

    def act(self, data):
        version = AddDocument(
            self.dossier, self.request.user, data["file"], kind=data["kind"], title=data["title"],
            issuing_body=data["issuing_body"], issue_date=data["issue_date"], note=data["note"],
        ).execute()
        return _("“%(title)s” has been added to the dossier.") % {"title": version.document.title}


class _OneDocumentView(_DocumentFormView):
    """A form about one document of the dossier (404 for a document of another dossier)."""

    def dispatch(self, request, pk, document_pk):
        self.document_pk = document_pk
        return super().dispatch(request, pk)

    def setup_document(self):
        try:
            self.document = Document.objects.get(pk=self.document_pk, dossier=self.dossier)
        except Document.DoesNotExist:
            raise Http404 from None
        self.document.dossier = self.dossier
        self.document.version_list = list(self.document.versions.select_related("uploaded_by").order_by("version"))

    def get(self, request, *args, **kwargs):
        self.setup_document()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.setup_document()
        return super().post(request, *args, **kwargs)

    def form_context(self):
        return {"document": self.document}

    def check(self):
        # The same people may give a document a new version or withdraw it (see documents_panel).
        AddDocumentVersion(self.document, self.request.user, None).check()


class DocumentVersionView(_OneDocumentView):
    """GET the form, POST a new version with the reason through AddDocumentVersion; earlier versions stay."""

    form_class = DocumentVersionForm
    heading = gettext_lazy("Upload a new version")

    def act(self, data):
        version = AddDocumentVersion(self.document, self.request.user, data["file"], note=data["note"]).execute()
        return _("Version %(version)s of “%(title)s” has been uploaded; the earlier versions are kept.") % {
            "version": version.version, "title": self.document.title}


class DocumentWithdrawView(_OneDocumentView):
    """GET the confirmation page, POST the withdrawal (reason and confirmation required) through WithdrawDocument."""

    template_name = "casefiles/admin/document_withdraw.html"
    form_class = DocumentWithdrawForm
    heading = gettext_lazy("Withdraw a document")

    def act(self, data):
        WithdrawDocument(self.document, self.request.user, reason=data["reason"]).execute()
        return _("“%(title)s” has been withdrawn; it stays on record with the reason.") % {"title": self.document.title}


class DossierDocumentViewSet(ViewSet):
    """Under the dossier pages' prefix (admin/dossiers/), in a namespace of its own."""

    name = NAMESPACE
    url_prefix = "dossiers"
    icon = "doc-full"

    def get_urlpatterns(self):
        return [
            path("<int:pk>/documents/add/", DocumentAddView.as_view(), name="add"),
            path("<int:pk>/documents/<int:document_pk>/version/", DocumentVersionView.as_view(), name="version"),
            path("<int:pk>/documents/<int:document_pk>/withdraw/", DocumentWithdrawView.as_view(), name="withdraw"),
        ]


@hooks.register("register_admin_viewset")
def register_document_views():
    return DossierDocumentViewSet()
