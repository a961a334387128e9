"""Officers are shown by their names in the admin's own furniture.

Wagtail's sidebar names the signed-in account by ``first_name`` alone, else the login
(``wagtail.admin.ui.sidebar.MainMenuModule``): for a Chinese name that is the given name without the family name.
The sidebar module is adapted here as Wagtail adapts it, with the name as staff read it everywhere else
(``person_name``: 李明远, family name first)."""

from wagtail.admin.telepath import register
from wagtail.admin.ui.sidebar import BaseSidebarAdapter, MainMenuModule

from ..selectors_opinions import person_name


class NamedMainMenuModuleAdapter(BaseSidebarAdapter):
    js_constructor = "wagtail.sidebar.MainMenuModule"

    def js_args(self, obj):
        menu_items, account_menu_items, account = obj.js_args()
        return [menu_items, account_menu_items, {**account, "name": person_name(obj.user) or account["name"]}]


register(NamedMainMenuModuleAdapter(), MainMenuModule)
