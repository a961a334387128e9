"""Wagtail admin: load a scheme file (``/admin/schemes/load-file/``), administrators only.

Step 1 (POST a file): the service checks it and keeps its bytes under their SHA-256; the page shows every problem
with its line, or what the file would change. Step 2 (POST ``confirm`` with that SHA-256): the kept file is loaded
and journaled. The view stays thin: casefiles/services/scheme_files.py decides and writes.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import include, path, reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..exceptions import CaseFileError
from ..services import scheme_files as service

NAMESPACE = "casefiles_scheme_files"
SESSION_KEY = "casefiles_scheme_files_checked"
KEPT_IN_SESSION = 5


def forbidden(message):
    return HttpResponseForbidden(escape(str(message)))


class SchemeFileForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Scheme file (.yaml)"))


class SchemeFileView(WagtailAdminTemplateMixin, View):
    template_name = "casefiles/admin/scheme_file_upload.html"
    header_icon = "upload"
    page_title = gettext_lazy("Load a scheme file")

    def dispatch(self, request, *args, **kwargs):
        if not service.may_load_scheme_files(request.user):
            return forbidden(_("Only an administrator may load scheme files."))
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("schemes:index"), "label": _("Schemes")},
            {"url": "", "label": self.page_title},
        ]

    def render(self, form, status=200, **extra):
        context = self.get_context_data(form=form, max_kb=service.MAX_BYTES // 1024, **extra)
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render(SchemeFileForm())

    def post(self, request):
        if "confirm" in request.POST:
            return self.confirm(request)
        form = SchemeFileForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(form, status=400)
        upload = form.cleaned_data["file"]
        # One byte past the limit is enough to refuse the file; the rest is never read.
        content = upload.read(service.MAX_BYTES + 1)
        try:
            report = service.scheme_file_check(user=request.user, name=upload.name, content=content)
        except PermissionDenied as exc:
            return forbidden(exc)
        if report.loadable:
            checked = [h for h in request.session.get(SESSION_KEY, []) if h != report.sha256]
            request.session[SESSION_KEY] = (checked + [report.sha256])[-KEPT_IN_SESSION:]
        return self.render(SchemeFileForm(), report=report)

    def confirm(self, request):
        sha256 = request.POST.get("sha256", "")
        checked = request.session.get(SESSION_KEY, [])
        if sha256 not in checked:
            messages.error(
                request, _("No checked file with this SHA-256 is waiting to be loaded; please upload it again.")
            )
            return redirect(f"{NAMESPACE}:upload")
        request.session[SESSION_KEY] = [h for h in checked if h != sha256]
        try:
            schemes = service.scheme_file_load(user=request.user, sha256=sha256)
        except PermissionDenied as exc:
            return forbidden(exc)
        except CaseFileError as exc:
            messages.error(request, _("Nothing was loaded: %(detail)s") % {"detail": exc.message})
            return redirect(f"{NAMESPACE}:upload")
        for scheme in schemes:
            messages.success(
                request,
                _("%(name)s loaded (SHA-256 %(sha256)s): %(counts)s.")
                % {
                    "name": scheme.name,
                    "sha256": sha256,
                    "counts": service.describe_counts(service.data_counts(scheme.source_data)),
                },
            )
            if scheme.grants_job is not None:
                messages.info(request, _(
                    "Access to %(count)s dossiers is being brought in line with the changed states in the background; "
                    "its progress is shown under Background jobs."
                ) % {"count": scheme.grants_job.total})
        return redirect(f"{NAMESPACE}:upload")


@hooks.register("register_admin_urls")
def register_scheme_file_urls():
    patterns = [path("", SchemeFileView.as_view(), name="upload")]
    return [path("schemes/load-file/", include((patterns, NAMESPACE), namespace=NAMESPACE))]


class SchemeFileMenuItem(MenuItem):
    def is_shown(self, request):
        return service.may_load_scheme_files(request.user)


@hooks.register("register_admin_menu_item")
def register_scheme_file_menu_item():
    return SchemeFileMenuItem(
        gettext_lazy("Load a scheme file"),
        reverse(f"{NAMESPACE}:upload"),
        name="scheme-file-load",
        icon_name="upload",
        order=211,
    )
