"""Admin menu of service delivery: the units' queues and holder lists, the programme office's overdue list."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.viewsets.model import ModelViewSet

from .adminviews import NAMESPACE, DeliveryViewSet, sees_delivery
from .models import DeliveryLimitSetting


def shown_to(request):
    """Whether the request's user sees service delivery, asked once per request for the menu and its items (every
    admin page draws the menu: two to three queries each time otherwise)."""
    if not hasattr(request, "_delivery_shown"):
        request._delivery_shown = sees_delivery(request.user)
    return request._delivery_shown


class DeliveryMenuItem(MenuItem):
    def is_shown(self, request):
        return shown_to(request)


@hooks.register("register_admin_viewset")
def register_delivery_viewset():
    return DeliveryViewSet()


@hooks.register("register_admin_menu_item")
def register_delivery_menu():
    items = [
        DeliveryMenuItem(
            _("Service requests"), reverse(f"{NAMESPACE}:queue"), name="delivery-queue", icon_name="tasks", order=100
        ),
        DeliveryMenuItem(
            _("Card holders served"),
            reverse(f"{NAMESPACE}:holders"),
            name="delivery-holders",
            icon_name="user",
            order=200,
        ),
    ]

    class DeliveryMenu(SubmenuMenuItem):
        def is_shown(self, request):
            return shown_to(request)

    return DeliveryMenu(_("Service delivery"), Menu(items=items), name="service-delivery", icon_name="tasks", order=170)


class LimitSettingViewSet(ModelViewSet):
    """The programme office's administrative time limits (for schemes whose policy names none), under Settings."""

    model = DeliveryLimitSetting
    icon = "time"
    add_to_settings_menu = True
    menu_label = _("Administrative time limits")
    form_fields = ["scheme", "working_days", "note"]
    list_display = ["scheme", "working_days", "note"]


@hooks.register("register_admin_viewset")
def register_limit_setting_viewset():
    return LimitSettingViewSet("delivery_limit_settings")
