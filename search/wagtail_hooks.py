"""Staff search in the Wagtail admin (搜索档案): dossiers and cardholders the user may see, plus policies.

Visibility is the search service's: the dossier index is filtered on the user's own principals, so the
list never shows a dossier outside the user's grants (guardian view_dossier), whatever is searched.
"""

from urllib.parse import urlencode

from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import service


def _dossier_admin_url(pk, fallback):
    try:
        return reverse("casefiles_dossiers:detail", args=[pk])
    except NoReverseMatch:
        return fallback


class StaffSearchView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "search/admin_search.html"
    page_title = gettext_lazy("Search dossiers")
    header_icon = "search"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        q = (request.GET.get("q") or "").strip()[:100]
        filters = {name: request.GET.get(name) for name in service.STAFF_FILTERS if request.GET.get(name)}
        dossiers = policies = None
        error = None
        try:
            dossiers = service.search_staff(request.user, q, filters=filters, page=request.GET.get("page", 1))
            policies = service.search_public(q, page_size=10) if q else None
        except Exception:  # the engine is down: say so instead of a server error
            error = _("Search is temporarily unavailable. Please try again later.")
        if dossiers:
            for hit in dossiers.hits:
                hit.admin_url = _dossier_admin_url(hit.key, hit.url)
            for name, buckets in dossiers.facets.items():
                for bucket in buckets:
                    params = {"q": q, **filters}
                    if bucket.selected:
                        params.pop(name, None)
                    else:
                        params[name] = bucket.value
                    bucket.url = "?" + urlencode(params)
        titles = {"scheme": _("Scheme"), "jurisdiction": _("Jurisdiction"), "tier": _("Tier"), "stage": _("Stage"),
                  "year": _("Year")}
        facets = [
            (name, titles.get(name, name), buckets)
            for name, buckets in (dossiers.facets.items() if dossiers else [])
            if buckets
        ]
        pages = {}
        if dossiers:
            for label, number in (("previous", dossiers.page - 1), ("next", dossiers.page + 1)):
                if 1 <= number <= dossiers.pages:
                    pages[label] = "?" + urlencode({"q": q, **filters, "page": number})
        context.update(
            q=q, filters=filters, dossiers=dossiers, policies=policies, facets=facets, pages=pages, error=error
        )
        return context


@hooks.register("register_admin_urls")
def register_staff_search_urls():
    return [path("search-dossiers/", StaffSearchView.as_view(), name="huicai_search_staff")]


@hooks.register("register_admin_menu_item")
def register_staff_search_menu():
    return MenuItem(gettext_lazy("Search dossiers"), reverse("huicai_search_staff"), name="search-dossiers",
                    icon_name="search", order=160)
