"""Wagtail admin of programme operations: one submenu "Programme operations" with statistics, the feedback
queue and report, joint meetings, catalogue changes and service commissioners."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from . import selectors, services
from .adminviews import NAMESPACE, ProgrammesViewSet, is_unit_staff
from .models import ServiceCommissioner


def _office(request):
    if not hasattr(request, "_programmes_office"):
        request._programmes_office = selectors.is_programme_office(request.user)
    return request._programmes_office


class OfficeMenuItem(MenuItem):
    def is_shown(self, request):
        return _office(request)


class UnitMenuItem(MenuItem):
    def is_shown(self, request):
        return is_unit_staff(request.user)


class OfficePolicy(ModelPermissionPolicy):
    """Commissioners are managed by the programme office of their scheme (聊城 第三十八条: the HR department)."""

    def user_has_permission(self, user, action):
        return action in ("add", "change", "view", "delete") and selectors.is_programme_office(user)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, a) for a in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and selectors.office_schemes(user).filter(pk=instance.scheme_id).exists()

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def instances_user_has_permission_for(self, user, action):
        if not self.user_has_permission(user, action):
            return self.model.objects.none()
        return self.model.objects.filter(scheme__in=selectors.office_schemes(user))


class CommissionerCreateView(generic.CreateView):
    def save_instance(self):
        return services.commissioner_save(commissioner=self.form.instance, user=self.request.user)


class CommissionerEditView(generic.EditView):
    def save_instance(self):
        return services.commissioner_save(commissioner=self.form.instance, user=self.request.user)


class CommissionerIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().filter(scheme__in=selectors.office_schemes(self.request.user))


class CommissionerViewSet(ModelViewSet):
    model = ServiceCommissioner
    icon = "user"
    menu_label = _("Service commissioners")
    add_to_admin_menu = False
    copy_view_enabled = False
    index_view_class = CommissionerIndexView
    add_view_class = CommissionerCreateView
    edit_view_class = CommissionerEditView
    list_display = ["name", "unit", "office_phone", "scope", "scheme", "published"]
    list_filter = ["scheme", "scope", "published"]
    search_fields = ["name"]
    form_fields = ["scheme", "name", "unit", "position", "office_phone", "personal_phone", "scope", "served_department",
                   "holder_card", "published", "order"]


# The programme office's policy for commissioners, registered the Wagtail 7+ way (a viewset's own
# ``permission_policy`` is deprecated and goes away in Wagtail 9).
register_permission_policy(ServiceCommissioner, OfficePolicy(ServiceCommissioner), exact_class=True)
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
