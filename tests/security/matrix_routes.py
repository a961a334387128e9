"""Every URL pattern that could show or change case-file data, classified for the permission matrix.

``TESTED`` routes are exercised by test_permission_matrix_full.py (the run fails if one of them gets no cell);
``EXEMPT`` routes carry no dossier, card, attachment, journal, PDF, search result or export of other people, and
say why. The guard test fails when a pattern of our apps (or one that looks like it touches case files) is in
neither list, so a new endpoint cannot slip past the matrix.
"""

import re

from django.urls import URLPattern, URLResolver, get_resolver

TESTED = {
    # --- JSON API
    "api/v1/dossiers/": "list (ids per user) + create as self",
    "api/v1/dossiers/<int:pk>/": "detail per user × dossier",
    "api/v1/dossiers/<int:pk>/transitions/": "change: fire a transition",
    "api/v1/dossiers/<int:pk>/attachments/": "change: upload",
    "api/v1/dossiers/<int:pk>/journal/": "journal per user × dossier",
    "api/v1/attachments/<int:pk>/": "attachment download",
    "api/v1/cards/": "card list",
    "api/v1/cards/<int:pk>/": "card detail",
    "api/v1/cards/<int:pk>/report-loss/": "change: report a card lost",
    "api/v1/cards/<int:pk>/revocation-requests/": "change: request the end of a card",
    "api/v1/verify/<str:token>/": "public verification: masked data only, bad tokens 404",
    "api/v1/search/": "public search never returns dossiers",
    # --- portal pages
    "applications/": "own applications list",
    "applications/<int:pk>/": "detail per user × dossier",
    "applications/<int:pk>/edit/": "edit page (GET) and change (POST)",
    "applications/<int:pk>/transition/": "change: fire a transition",
    "applications/<int:pk>/attachments/": "change: upload",
    "attachments/<int:pk>/download/": "attachment download",
    "employer/applications/": "employer's recommendation list",
    "verify/<str:token>/": "public verification page: masked data only, bad tokens 404",
    "cards/": "the holder's own cards",
    "cards/<int:pk>/": "e-card (holder only)",
    "cards/<int:pk>/certificate.pdf": "certificate PDF",
    "cards/batches/<int:pk>/certificates.pdf": "production batch PDF",
    "cards/batches/<int:pk>/export.xlsx": "production batch export",
    "cards/notices/<int:pk>/notice.pdf": "public notice PDF",
    "search/": "public search page never shows dossiers",
    "inbox/": "notifications list: no reference of a dossier the user cannot see",
    # --- Wagtail admin: dossiers
    "admin/dossiers/": "worklist (to do) page + Excel export",
    "admin/dossiers/results/": "worklist (to do) results fragment",
    "admin/dossiers/done/": "worklist (done) page + Excel export",
    "admin/dossiers/done/results/": "worklist (done) results fragment",
    "admin/dossiers/overdue/": "worklist (overdue) page + Excel export",
    "admin/dossiers/overdue/results/": "worklist (overdue) results fragment",
    "admin/dossiers/<int:pk>/": "admin detail per user × dossier",
    "admin/dossiers/<int:pk>/transition/": "change: fire a transition",
    "admin/search-dossiers/": "staff search by applicant name",
    # --- Wagtail admin: cards
    "admin/card-registry/<int:pk>/": "card page (GET) and card actions (POST)",
    "admin/cards/": "cardholder registry + export",
    "admin/cards/results/": "cardholder registry results fragment",
    "admin/cards/new/": "no one may add a card by form",
    "admin/cards/edit/<int:pk>/": "no one may edit a card by form",
    "admin/cards/delete/<int:pk>/": "no one may delete a card by form",
    "admin/cards/history/<int:pk>/": "history of a card",
    "admin/cards/history-results/<int:pk>/": "history of a card (fragment)",
    "admin/cards/usage/<int:pk>/": "usage of a card",
    "admin/cards/inspect/<int:pk>/": "inspect a card",
    "admin/card_revocation_requests/": "revocation requests list",
    "admin/card_revocation_requests/results/": "revocation requests results fragment",
    "admin/card_revocation_requests/inspect/<int:pk>/": "inspect a revocation request",
    "admin/card_revocation_requests/edit/<int:pk>/": "no form edits",
    "admin/card_revocation_requests/new/": "no form adds",
    "admin/card_revocation_requests/delete/<int:pk>/": "no form deletes",
    "admin/card_revocation_requests/history/<int:pk>/": "history",
    "admin/card_revocation_requests/history-results/<int:pk>/": "history fragment",
    "admin/card_revocation_requests/usage/<int:pk>/": "usage",
    "admin/card_exit_candidates/": "exit candidates list",
    "admin/card_exit_candidates/results/": "exit candidates results fragment",
    "admin/card_exit_candidates/inspect/<int:pk>/": "inspect an exit candidate",
    "admin/card_exit_candidates/edit/<int:pk>/": "no form edits",
    "admin/card_exit_candidates/new/": "no form adds",
    "admin/card_exit_candidates/delete/<int:pk>/": "no form deletes",
    "admin/card_exit_candidates/history/<int:pk>/": "history",
    "admin/card_exit_candidates/history-results/<int:pk>/": "history fragment",
    "admin/card_exit_candidates/usage/<int:pk>/": "usage",
    "admin/card_production_batches/": "production batches list",
    "admin/card_production_batches/results/": "production batches results fragment",
    "admin/card_production_batches/inspect/<int:pk>/": "inspect a production batch",
    "admin/card_production_batches/edit/<int:pk>/": "no form edits",
    "admin/card_production_batches/new/": "no form adds",
    "admin/card_production_batches/delete/<int:pk>/": "no form deletes",
    "admin/card_production_batches/history/<int:pk>/": "history",
    "admin/card_production_batches/history-results/<int:pk>/": "history fragment",
    "admin/card_production_batches/usage/<int:pk>/": "usage",
    # --- Wagtail admin: programme operations (meetings decide case-by-case dossiers; exports)
    "admin/programmes/statistics/": "aggregated statistics + export: programme office only",
    "admin/programmes/feedback/report/": "feedback report + export: unit staff only",
    "admin/programmes/meetings/": "meeting list: no reference of a dossier the user cannot see",
    "admin/programmes/meetings/<int:pk>/": "meeting detail (agenda with dossiers): programme office",
    "admin/programmes/meetings/<int:pk>/minutes.pdf": "minutes PDF: programme office",
}

EXEMPT = {
    # API plumbing and reference data
    "api/v1/schema/": "OpenAPI schema, no data",
    "api/v1/docs/": "API docs page, no data",
    "api/v1/auth/token/": "token for one's own credentials",
    "api/v1/whoami/": "the caller's own identity",
    "api/v1/schemes/": "published scheme rules",
    "api/v1/schemes/<slug:slug>/": "published scheme rules",
    "api/v1/eligibility/": "stateless eligibility check of facts the caller sends",
    # portal pages about the caller only
    "accounts/register/": "creates the caller's account",
    "applications/new/": "creates a dossier for the caller only (applicant=request.user)",
    "self-check/": "public self-check, no stored data",
    "schemes/<slug:slug>/self-check/": "public self-check, no stored data",
    "schemes/<slug:slug>/commissioners/": "published commissioners (office phone only)",
    "schemes/<slug:slug>/catalogue-changes/": "published catalogue changes",
    "feedback/": "the caller's own feedback",
    "feedback/new/": "the caller's own feedback",
    "feedback/<int:pk>/": "the caller's own feedback (selector feedback_of_submitter)",
    "inbox/read/": "marks the caller's own notifications",
    "inbox/<int:pk>/": "the caller's own notification (selector inbox_for)",
    "inbox/preferences/": "the caller's own preferences",
    # Wagtail admin without case-file data of individuals
    "admin/programmes/feedback/": "feedback queue of the caller's units (no dossier data)",
    "admin/programmes/feedback/<int:pk>/": "feedback of the caller's units (no dossier data)",
    "admin/programmes/catalogue/": "service catalogue changes (no personal data)",
    "admin/programmes/catalogue/<int:pk>/": "service catalogue changes (no personal data)",
    "admin/choose-page/search/": "Wagtail page chooser (pages only)",
    "admin/card-registry/import/": "upload form for new holders; shows no existing dossier or card",
    "admin/card-registry/import/template/": "empty spreadsheet template",
    # Wagtail's page view, wrapped (policypages.routing.serve): public pages, view restrictions enforced by Wagtail
    r"^((?:[\w\-]+/)*)$": "Wagtail pages (policypages.routing.serve wraps wagtail.views.serve; its hooks check privacy)",
}

# Scheme rules (tiers, criteria, workflow …) and commissioners hold no dossier or card data of applicants; the
# framework's own admin (pages, images, documents, users, Django admin) does not know case files.
EXEMPT_PREFIXES = {
    "admin/schemes/": "scheme rules", "admin/tiers/": "scheme rules", "admin/criteria/": "scheme rules",
    "admin/preconditions/": "scheme rules", "admin/service_items/": "scheme rules",
    "admin/revocation_reasons/": "scheme rules", "admin/workflow_states/": "scheme rules",
    "admin/workflow_transitions/": "scheme rules", "admin/recognised_cards/": "scheme rules (recognised other cards)",
    "admin/programmes_commissioners/": "commissioners of the caller's programme office",
    "django-admin/": "Django admin: no case-file model is registered (checked by the guard test)",
    "admin/pages/": "Wagtail pages", "admin/images/": "Wagtail images", "admin/documents/": "Wagtail documents",
    "admin/reports/": "Wagtail reports (pages, audit of pages)", "admin/snippets/": "Wagtail snippets",
    "admin/users/": "accounts", "admin/groups/": "accounts", "admin/forms/": "Wagtail form pages",
    "admin/bulk/": "Wagtail bulk actions on pages", "admin/workflows/": "Wagtail page moderation",
    "documents/": "Wagtail documents (attachments are not documents: checked by the public-URL test)",
    "_util/": "Wagtail page privacy",
}

OUR_APPS = ("casefiles", "search", "programmes", "huicai", "policypages")
LOOKS_LIKE_CASE_DATA = re.compile(
    r"dossier|card|attachment|journal|pdf|search|export|application|batch|notice|verify|meeting|minute|registry|"
    r"holder|inbox|report|xlsx|download",
    re.I,
)


def _view_module(pattern):
    callback = pattern.callback
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return (view_class or callback).__module__


def walk(patterns=None, prefix=""):
    """(route, url pattern) for every pattern of the project, routes as written (with converters)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def needs_classification(route, pattern):
    if any(route.startswith(p) for p in EXEMPT_PREFIXES):
        return False
    ours = _view_module(pattern).split(".")[0] in OUR_APPS
    return ours or bool(LOOKS_LIKE_CASE_DATA.search(route))


def unclassified():
    return sorted(
        route for route, pattern in walk()
        if needs_classification(route, pattern) and route not in TESTED and route not in EXEMPT
    )
