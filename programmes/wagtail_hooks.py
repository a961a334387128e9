"""Wagtail admin of programme operations: one submenu "Programme operations" with statistics, the feedback
queue and report, joint meetings, catalogue changes and service commissioners."""

from django.forms import modelform_factory
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic

from casefiles.models import Card, Department, Scheme
from huicai.admin_scope import ScopedModelViewSet

from . import permissions, selectors, services
from .adminviews import NAMESPACE, ProgrammesViewSet, is_unit_staff
from .models import ServiceCommissioner


def _office(request):
    if not hasattr(request, "_programmes_office"):
        request._programmes_office = selectors.is_programme_office(request.user)
    return request._programmes_office


class OfficeMenuItem(MenuItem):
    def is_shown(self, request):
        return _office(request)


def _unit_staff(request):
    """Asked once per request for all the units' menu items (every admin page draws the menu)."""
    if not hasattr(request, "_programmes_unit_staff"):
        request._programmes_unit_staff = is_unit_staff(request.user)
    return request._programmes_unit_staff


class UnitMenuItem(MenuItem):
    def is_shown(self, request):
        return _unit_staff(request)


class CommissionerForm(WagtailAdminModelForm):
    """Choices only from the user's own programmes: their schemes, those schemes' departments and cards."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        schemes = selectors.office_schemes(user) if user is not None else Scheme.objects.none()
        self.fields["scheme"].queryset = schemes.order_by("slug")
        departments = Department.objects.filter(schemes__in=schemes).distinct().order_by("jurisdiction__code", "code")
        for name in ("unit", "served_department"):
            self.fields[name].queryset = departments
        self.fields["holder_card"].queryset = Card.objects.filter(scheme__in=schemes).order_by("number")


class CommissionerCreateView(generic.CreateView):
    def save_instance(self):
        return services.commissioner_save(commissioner=self.form.instance, user=self.request.user)


class CommissionerEditView(generic.EditView):
    def save_instance(self):
        return services.commissioner_save(commissioner=self.form.instance, user=self.request.user)


class CommissionerViewSet(ScopedModelViewSet):
    """Every view (listing, export, edit, delete, history, usage) is scoped by ``programmes.permissions``."""

    model = ServiceCommissioner
    icon = "user"
    menu_label = _("Service commissioners")
    add_to_admin_menu = False
    copy_view_enabled = False
    add_view_class = CommissionerCreateView
    edit_view_class = CommissionerEditView
    # Published as a word (是/否), not Python's True/False.
    list_display = ["name", "unit", "office_phone", "scope", "scheme",
                    Column("published", label=ServiceCommissioner._meta.get_field("published").verbose_name,
                           accessor=lambda commissioner: _("Yes") if commissioner.published else _("No"),
                           sort_key="published")]
    list_filter = ["scheme", "scope", "published"]
    search_fields = ["name"]
    form_fields = ["scheme", "name", "unit", "position", "office_phone", "personal_phone", "scope", "served_department",
                   "holder_card", "published", "order"]

    def get_form_class(self, for_update=False):
        return modelform_factory(self.model, form=CommissionerForm, fields=self.form_fields,
                                 formfield_callback=self.formfield_for_dbfield)


# The policies of programme records, registered the Wagtail 7+ way (a viewset's own ``permission_policy`` is
# deprecated and goes away in Wagtail 9), before any view is built.
permissions.register()
commissioner_viewset = CommissionerViewSet("programmes_commissioners")


@hooks.register("register_admin_viewset")
def register_programme_viewsets():
    return [ProgrammesViewSet(), commissioner_viewset]


@hooks.register("register_admin_menu_item")
def register_programme_menu():
    items = [
        OfficeMenuItem(_("Statistics"), reverse(f"{NAMESPACE}:statistics"), name="programme-statistics", icon_name="table", order=100),
        UnitMenuItem(_("Feedback queue"), reverse(f"{NAMESPACE}:feedback"), name="programme-feedback", icon_name="mail", order=200),
        UnitMenuItem(_("Feedback report"), reverse(f"{NAMESPACE}:feedback_report"), name="programme-feedback-report",
                     icon_name="doc-full", order=300),
        OfficeMenuItem(_("Joint meetings"), reverse(f"{NAMESPACE}:meetings"), name="programme-meetings", icon_name="group", order=400),
        OfficeMenuItem(_("Catalogue changes"), reverse(f"{NAMESPACE}:changes"), name="programme-catalogue", icon_name="list-ul",
                       order=500),
        OfficeMenuItem(_("Service commissioners"), commissioner_viewset.menu_url, name="programme-commissioners",
                       icon_name="user", order=600),
    ]
    return SubmenuMenuItem(_("Programme operations"), Menu(items=items), name="programme-operations",
                           icon_name="clipboard-list", order=160)
