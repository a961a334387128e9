from django.core.exceptions import PermissionDenied
from wagtail import hooks

from . import cache, workflows


@hooks.register("before_serve_page")
def allow_page_cache(page, request, serve_args, serve_kwargs):
    """Let ``policypages.cache.PageCacheMiddleware`` keep this response for anonymous visitors."""
    cache.mark_cacheable(page, request)


@hooks.register("before_publish_page")
def refuse_publish_outside_the_workflow(request, page):
    """Direct publishing is for approvers, and never of one's own submission in progress (policypages.workflows)."""
    refusal = workflows.publish_refusal(page, request.user)
    if refusal is not None:
        raise PermissionDenied(refusal)


@hooks.register("construct_page_action_menu")
def hide_publish_outside_the_workflow(menu_items, request, context):
    page = context.get("page") or context.get("parent_page")
    if page is None or not menu_items:
        return
    if any(item.name == "action-publish" for item in menu_items) and workflows.publish_refusal(page, request.user):
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]


# Reports on the whole site's upkeep: "Page types usage" counts every page type, "Aging pages" lists pages long
# unpublished with their publishers' logins. For the site's administrators, not for officers who edit their
# programme's pages.
SITE_UPKEEP_REPORTS = {"page-types-usage", "aging-pages"}


@hooks.register("construct_reports_menu")
def hide_site_upkeep_reports(request, menu_items):
    if not request.user.is_superuser:
        menu_items[:] = [item for item in menu_items if item.name not in SITE_UPKEEP_REPORTS]
