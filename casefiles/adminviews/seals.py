"""Wagtail admin: the departments' seal images (issue #22 item 4). Superusers upload the image a department's signed
documents show as their visible seal; nothing else of a department is edited here, and no one adds or deletes
departments on these pages (they come from the scheme files)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from huicai.admin_scope import ScopedModelViewSet, ScopedPolicy

from ..models import Department, DepartmentKind


class DepartmentSealPolicy(ScopedPolicy):
    def model_actions(self, user):
        if user.is_authenticated and user.is_active and user.is_superuser:
            return {"view", "change"}
        return set()

    def scope(self, user, queryset):
        return queryset.exclude(kind=DepartmentKind.EMPLOYER) if user.is_superuser else queryset.none()


register_permission_policy(Department, DepartmentSealPolicy(Department), exact_class=True)


class DepartmentSealViewSet(ScopedModelViewSet):
    model = Department
    icon = "image"
    menu_label = _("Department seals")
    add_to_admin_menu = True
    menu_order = 880
    copy_view_enabled = False
    list_display = ["name", "jurisdiction", "kind", "seal_image"]
    list_filter = ["jurisdiction"]
    search_fields = ["name"]
    form_fields = ["seal_image"]


@hooks.register("register_admin_viewset")
def register_department_seal_viewset():
    return DepartmentSealViewSet("department_seals")
