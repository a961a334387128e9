"""People are named as staff read names: 李明远, family name first, in our pages and in Wagtail's.

The user model is Django's ``auth.User``, whose ``get_full_name`` writes "given family" ("明远 李"), and Wagtail names
people through it everywhere (``get_user_display_name``: the dashboard's account summary, page history, workflow
and lock notices, reports); its sidebar names the signed-in account by ``first_name`` alone
(``wagtail.admin.ui.sidebar.MainMenuModule``). Both are set once at start-up (``CasefilesConfig.ready``) to
``person_name``, which keeps "John Smith" for names in Latin letters."""

from ..selectors_opinions import person_name


def name_people_family_first():
    from django.contrib.auth import get_user_model
    from wagtail.admin.telepath import register
    from wagtail.admin.ui.sidebar import BaseSidebarAdapter, MainMenuModule

    User = get_user_model()
    if getattr(User, "_huicai_family_first", False):
        return

    def get_full_name(self):
        return person_name(self)

    User.get_full_name = get_full_name
    User._huicai_family_first = True

    class NamedMainMenuModuleAdapter(BaseSidebarAdapter):
        js_constructor = "wagtail.sidebar.MainMenuModule"

        def js_args(self, obj):
            menu_items, account_menu_items, account = obj.js_args()
            return [menu_items, account_menu_items, {**account, "name": person_name(obj.user) or account["name"]}]

    register(NamedMainMenuModuleAdapter(), MainMenuModule)
