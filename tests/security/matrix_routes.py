"""Every URL pattern that could show or change case-file data, classified for the permission matrix.

``TESTED`` routes are exercised by test_permission_matrix_full.py (the run fails if one of them gets no cell), or
by a matrix of their own (``OWN_MATRIX``);
``EXEMPT`` routes carry no dossier, card, attachment, journal, PDF, search result or export of other people, and
say why. The guard test fails when a pattern of our apps (or one that looks like it touches case files) is in
neither list, so a new endpoint cannot slip past the matrix.
"""

import re

from django.db.models import Model
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
    # --- documents in the case file (issue #24): a matrix of their own (OWN_MATRIX below), every user × route over
    # a sample of dossiers, both versions of the applicant's and of the other side's document
    "api/v1/dossiers/<int:pk>/documents/": "documents with every version per user × dossier (GET); add one and a "
    "new version (POST): the applicant while editable, staff or the employer while acting",
    "api/v1/documents/<int:pk>/withdraw/": "change: withdraw a document (the side that added it, not once decided)",
    "api/v1/attachments/<int:pk>/preview/": "page image of a version, current and earlier (attachment_for)",
    "attachments/<int:pk>/preview/": "page image of a version for the portal and the admin (attachment_for)",
    "attachments/<int:pk>/reader/": "the reader of a version with links to every version (attachment_for)",
    "admin/dossiers/<int:pk>/documents/add/": "add a document: form (GET) and POST (AddDocument)",
    "admin/dossiers/<int:pk>/documents/<int:document_pk>/version/": "a new version: form (GET) and POST "
                                                                     "(AddDocumentVersion)",
    "admin/dossiers/<int:pk>/documents/<int:document_pk>/withdraw/": "withdrawal: confirmation page (GET) and POST "
                                                                      "(WithdrawDocument)",
    # --- requests for opinions (会签 / 征求意见 / 专家评审): tests/security/matrix_opinions.py
    "api/v1/opinion-requests/": "list of the requests waiting on the caller (ids per user × open request)",
    "api/v1/opinion-requests/<int:pk>/answer/": "change: answer a request",
    "api/v1/dossiers/<int:pk>/experts/": "change: name an expert",
    "admin/opinion-requests/": "worklist 征求意见 (references per user × open request)",
    "admin/opinion-requests/results/": "worklist 征求意见 results fragment",
    "admin/opinion-requests/dossier/<int:pk>/answer/<int:request_pk>/": "change: a department answers in the admin",
    "admin/opinion-requests/dossier/<int:pk>/experts/": "change: the stage's actor names experts in the admin",
    "expert/": "the expert's open requests (references per user × open request)",
    "expert/<int:pk>/": "the expert's page of one request (GET per user × request, answer POST)",
    # --- Wagtail admin: cards
    "admin/card-registry/<int:pk>/": "card page (GET) and card actions (POST)",
    "admin/card-registry/<int:pk>/<str:action>/": "a card list action's confirmation page (GET) and the action (POST): "
                                                  "end (or request to end) a card, swept per user × card",
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
    # --- Wagtail admin: public notices (公示), the notice department only (casefiles/adminviews/notices.py)
    "admin/public-notices/": "open-notice page (candidates at the notice stage, notices): no reference of a dossier "
                             "the user cannot see; 403 outside the notice department",
    "admin/public-notices/objections/": "objection list: no reference of a dossier the user cannot see; 403 outside "
                                        "the notice department",
    "admin/programmes/meetings/<int:pk>/": "meeting detail (agenda with dossiers): programme office",
    "admin/programmes/meetings/<int:pk>/minutes.pdf": "minutes PDF: programme office",
}

EXEMPT = {
    # --- service delivery report and 好差评 (issue #20 items 3, 5)
    "delivery-report/": "public delivery report: counts, shares and averages per scheme, unit and month, no person, "
                        "card or comment (tests/delivery/test_report_pages.py checks the page for personal data)",
    "delivery-report/export.xlsx": "the same figures as an Excel file for the programme office of its own schemes "
                                   "(404 for others) — tests/delivery/test_report_pages.py",
    "service-requests/<int:pk>/rate/": "the holder's rating of a request of their own (404 for anyone else) — "
                                       "tests/delivery/test_report_pages.py, test_ratings.py",
    "api/v1/service-requests/<int:pk>/rating/": "the holder's rating of a request of their own (404 for anyone "
                                                "else) — tests/delivery/test_rating_api.py",
    # service requests and the units' work orders (issue #20 items 1, 2, 4, 6; delivery/): swept over every (service,
    # unit) pair of the five schemes in tests/delivery/test_requests.py (test_every_unit_of_every_scheme_sees_...)
    "cards/<int:pk>/services/": "the holder's own card's services and requests (404 for anyone else's card) — "
                                "tests/delivery/test_requests.py (portal test)",
    "admin/delivery/holders/": "the holders on the caller's own units' lists (name, card number, dates); 404 for "
                               "anyone in no unit or programme office — tests/delivery/test_holder_lists.py",
    # the officer's workbench (casefiles/adminviews/workbench.py)
    "admin/workbench/": "the caller's own 待办 and 已办 only: the first page of dossiers_actionable_page and of "
                        "requests_waiting_on (both in this matrix through admin/dossiers/ and admin/opinion-requests/), "
                        "and the caller's own journal entries; swept for every demo officer of every scheme against "
                        "those selectors in tests/casefiles/test_workbench.py; a department head's 督办 lists only "
                        "the supervised departments' overdue items (supervised_by, swept over every demo head there)",
    "admin/workbench/remind/": "POST only, changes nothing it may not: overdue_reminder_send refuses (403 message, "
                               "nothing journaled) unless the caller heads a department supervising the item's "
                               "department and the item is overdue; tests/casefiles/test_workbench.py",
    # background jobs (casefiles/adminviews/jobs.py)
    "admin/background-jobs/": "the caller's own jobs (an administrator's: all): kind, batch number or scheme, "
                              "status, counts; a print file downloads through cards/batches/<int:pk>/certificates.pdf",
    # API plumbing and reference data
    "api/v1/schema/": "OpenAPI schema, no data",
    "api/v1/docs/": "API docs page, no data",
    "api/v1/auth/token/": "token for one's own credentials",
    "api/v1/auth/logout/": "ends the caller's own token",
    "accounts/logout/": "ends the caller's own session (and clears the site's stored data)",
    "accounts/phone/login/": "signs the caller in with an SMS code sent to a number they hold (phoneauth); shows "
                             "nobody's data, the number masked, and answers alike for numbers without an account",
    "accounts/phone/register/": "creates the caller's account from an SMS code sent to a number they hold",
    "accounts/two-factor/enrol/": "the caller's own authenticator (a replacement only from a verified session)",
    "accounts/two-factor/verify/": "the caller's own second step after the password",
    "accounts/two-factor/recovery-codes/": "POST only: the caller's own new recovery codes, from a verified session",
    "admin/logout/": "Wagtail's logout: ends the caller's own session (and clears the site's stored data)",
    "admin/password_reset/": "Wagtail's password reset form, rate-limited (huicai.accounts): sends a link to the address",
    "api/v1/whoami/": "the caller's own identity",
    "api/v1/schemes/": "published scheme rules",
    "api/v1/schemes/<slug:slug>/": "published scheme rules",
    "api/v1/eligibility/": "stateless eligibility check of facts the caller sends",
    "api/v1/policies/": "published policies only (live, public pages), read-only",
    "api/v1/policies/<slug:scheme>/": "a published policy's text, read-only",
    "api/v1/policies/<slug:scheme>/articles/<str:citation>/": "one unit of a published policy, read-only",
    "api/v1/policies/<slug:scheme>/revisions/": "revisions that went live (drafts never: tests/api/test_policies_api.py)",
    "api/v1/policies/<slug:scheme>/revisions/<int:revision>/": "a revision that went live, read-only",
    "api/v1/policies/<slug:scheme>/revisions/<int:revision>/articles/<str:citation>/": "a unit of a revision that went "
                                                                                       "live, read-only",
    "api/v1/notices/": "published notices, exit announcements and open 公示 lists (titles only)",
    "api/v1/notices/public-notices/<int:pk>/": "a 公示 list during its period: names masked (casefiles.masking), "
                                               "tested in tests/api/test_notices_api.py",
    "api/v1/notices/exit-announcements/<int:pk>/": "a published exit announcement: names masked, same tests",
    "api/v1/notices/catalogue-changes/": "approved catalogue additions (no personal data)",
    "api/v1/verify/": "public verification by number + holder's name or ID tail: masked data only, tested in "
                      "tests/casefiles/test_card_status_everywhere.py",
    "verify/": "public verification form (number + name or ID tail): masked data only, same tests",
    "verify/document/": "public check of an uploaded PDF's signatures: the verdict, the signing departments and, for "
                        "a valid certificate, the card check's masked fields; tested in tests/casefiles/test_seals.py",
    "cards/sw.js": "the e-card's service worker script, no data",
    # the public notice page (公示, casefiles/views_notices.py), tested in tests/casefiles/test_public_notice.py
    "public-notices/": "candidates on an open 公示: masked name (casefiles.masking), employer and tier only; never cached",
    "public-notices/objection-sent/": "thank-you page after an objection, no data",
    "public-notices/<int:notice_pk>/candidates/<int:dossier_pk>/objection/": "objection form for a candidate on a 公示: "
        "masked name, employer, tier; 404 when not on it; the objector's own input shown back only to them",
    # required materials (issue #16 item 3): swept per scheme in tests/casefiles/test_materials.py
    "api/v1/dossiers/<int:pk>/materials/<slug:code>/waive/": "change: waive a material — the receiving/acting "
    "department only; the applicant 403, another department 403/404, a draft 404 (test_materials.py, every scheme)",
    "admin/dossiers/<int:pk>/materials/waive/": "change: waive a material (admin form) — same service and sweep "
                                                "(test_materials.py)",
    "applications/<int:pk>/materials/waive/": "change: waive a material (portal form of an employer receiving the "
                                              "dossier) — same service and sweep (test_materials.py)",
    "applications/<int:pk>/confirm/<slug:transition>/": "the applicant's own confirmation page (404 for a dossier "
                                                        "not visible, 403 for anyone but the applicant)",
    "schemes/<slug:slug>/materials/": "published materials checklist of a scheme (一次告知), no dossier data",
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
    # card actions' second step (issue #19 item 3): swept per scheme in tests/casefiles/test_card_confirm.py
    "admin/card-registry/requests/": "requests to end a card on the cards the caller's departments manage "
                                     "(revocation_requests_pending, cards_managed_by); 403 for anyone managing none",
    "admin/card-registry/requests/<int:pk>/<str:decision>/": "approve/decline a request: 404 outside the caller's "
        "cards, 403 unless the service's check lets the caller decide (the requester never) — test_card_confirm.py",
    # Wagtail's page view, wrapped (policypages.routing.serve): public pages, view restrictions enforced by Wagtail
    r"^((?:[\w\-]+/)*)$": "Wagtail pages (policypages.routing.serve wraps wagtail.views.serve; its hooks check privacy)",
}

# TESTED routes whose cells come from a matrix of their own instead of test_permission_matrix_full.py (which then
# does not require cells of them): the document routes' cells took the full matrix past its 15-minute limit on
# PostgreSQL (23,874 cells; ecf69b8), so test_permission_matrix_documents.py sweeps them over a sample of dossiers.
OWN_MATRIX = {
    route: "tests/security/test_permission_matrix_documents.py" for route in (
        "api/v1/dossiers/<int:pk>/documents/", "api/v1/documents/<int:pk>/withdraw/",
        "api/v1/attachments/<int:pk>/preview/", "attachments/<int:pk>/preview/", "attachments/<int:pk>/reader/",
        "admin/dossiers/<int:pk>/documents/add/", "admin/dossiers/<int:pk>/documents/<int:document_pk>/version/",
        "admin/dossiers/<int:pk>/documents/<int:document_pk>/withdraw/",
    )
}

# Scheme rules (tiers, criteria, workflow …) and commissioners hold no dossier or card data of applicants; the
# framework's own admin (pages, images, documents, users, Django admin) does not know case files. (Their pages with
# an object id are nevertheless swept: see ADMIN_OBJECT_* below.)
EXEMPT_PREFIXES = {
    "admin/schemes/": "scheme rules", "admin/tiers/": "scheme rules", "admin/criteria/": "scheme rules",
    "admin/department_seals/": "departments' seal images (no applicant data): superusers only (DepartmentSealPolicy)",
    "admin/preconditions/": "scheme rules", "admin/service_items/": "scheme rules",
    "admin/revocation_reasons/": "scheme rules", "admin/workflow_states/": "scheme rules",
    "admin/workflow_transitions/": "scheme rules", "admin/recognised_cards/": "scheme rules (recognised other cards)",
    "admin/programmes_commissioners/": "commissioners of the caller's programme office (listing checked by the sweep)",
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


# --- every Wagtail admin URL that takes an object id (issue #15 item 2) ----------------------------------------------
# Such a route is either swept by the admin object sweep of test_permission_matrix_full.py (its view names a model
# that matrix_expectations.admin_object_audience knows: every role × one object of every scheme), or is a case-file
# page with cells of its own in the matrix (ADMIN_OBJECT_COVERED), or belongs to Wagtail's own models
# (ADMIN_OBJECT_EXEMPT_PREFIXES, never a model of our apps). EXEMPT_PREFIXES above do not apply here.

ADMIN_OBJECT_COVERED = {
    "admin/dossiers/<int:pk>/": "dossier × user cells (read)",
    "admin/dossiers/<int:pk>/transition/": "dossier × user cells (transitions)",
    "admin/dossiers/<int:pk>/materials/waive/": "material waiver: dossier_for (404) then the waiver service's "
                                                "principal check, swept per scheme in tests/casefiles/test_materials.py",
    "admin/card-registry/<int:pk>/": "card × user cells (page and card actions)",
    "admin/card-registry/<int:pk>/<str:action>/": "card × user cells (ending a card through its confirmation page)",
    "admin/card-registry/requests/<int:pk>/<str:decision>/": "request decisions: cards_visible_to (404) then the "
        "service's decision check (403), swept per scheme in tests/casefiles/test_card_confirm.py",
    "admin/dossiers/<int:pk>/documents/add/": "user × sampled dossier cells (form and add), "
                                              "test_permission_matrix_documents.py",
    "admin/dossiers/<int:pk>/documents/<int:document_pk>/version/": "user × sampled dossier × both sides' documents "
                                                                     "(form and new version), the same matrix",
    "admin/dossiers/<int:pk>/documents/<int:document_pk>/withdraw/": "user × sampled dossier × both sides' documents "
                                                                      "(page and withdrawal), the same matrix",
    "admin/opinion-requests/dossier/<int:pk>/answer/<int:request_pk>/": "user × open request cells (answer)",
    "admin/opinion-requests/dossier/<int:pk>/experts/": "user × dossier cells (naming experts)",
    **{f"admin/department_seals/{view}/<int:pk>/": "a department's seal image: superusers only (DepartmentSealPolicy); "
       "every route refused to an officer in tests/casefiles/test_seals.py"
       for view in ("edit", "delete", "history", "history-results", "usage")},
    "admin/delivery/requests/<int:pk>/": "one request for the caller's unit (or programme office): steps only for the "
                                         "unit, holder as name, phone and masked ID; 404 for others — "
                                         "tests/delivery/test_requests.py",
    "admin/delivery_limit_settings/copy/<int:pk>/": "administrative time limits (a scheme and a number of days, no "
                                                    "person); Django model permissions (administrators)",
    "admin/delivery_limit_settings/delete/<int:pk>/": "administrative time limits, no person; model permissions",
    "admin/delivery_limit_settings/edit/<int:pk>/": "administrative time limits, no person; model permissions",
    "admin/delivery_limit_settings/history-results/<int:pk>/": "administrative time limits, no person",
    "admin/delivery_limit_settings/history/<int:pk>/": "administrative time limits, no person",
    "admin/delivery_limit_settings/usage/<int:pk>/": "administrative time limits, no person",
}
ADMIN_OBJECT_EXEMPT_PREFIXES = {
    "admin/api/main/": "Wagtail's admin API (pages, images, documents)",
    "admin/pages/": "Wagtail pages (page permissions)", "admin/choose-page/": "Wagtail page chooser",
    "admin/bulk/": "Wagtail bulk actions on pages", "admin/tag-autocomplete/": "tags of Wagtail models",
    "admin/collections/": "Wagtail collections", "admin/workflows/": "Wagtail page moderation",
    "admin/editing-sessions/": "Wagtail editing sessions (pages and snippets)",
    "admin/forms/": "Wagtail form pages", "admin/redirects/": "Wagtail redirects", "admin/settings/": "Wagtail settings",
    "admin/documents/": "Wagtail documents (attachments are not documents)", "admin/images/": "Wagtail images",
    "admin/sites/": "Wagtail sites", "admin/users/": "accounts", "admin/groups/": "accounts",
    "admin/password_reset/": "the caller's own password reset link", "admin/snippets/": "Wagtail snippets",
}
OBJECT_ARGUMENT = re.compile(r"<[^>]+>|\(\?P<")


def view_model(pattern):
    """The model a view works on: the view class's ``model`` or the one its viewset passed to ``as_view``."""
    callback = pattern.callback
    model = (getattr(callback, "view_initkwargs", None) or {}).get("model")
    model = model or getattr(getattr(callback, "view_class", None), "model", None)
    return model if isinstance(model, type) and issubclass(model, Model) else None


def admin_object_routes():
    """(route, url pattern, model or None) for every admin URL pattern that takes an argument (an object id)."""
    for route, pattern in walk():
        if route.startswith("admin/") and OBJECT_ARGUMENT.search(route):
            yield route, pattern, view_model(pattern)


def admin_object_classification(known_labels):
    """{route: "swept" | "covered" | "exempt"} and the unclassified routes, for every admin object route."""
    classified, unclassified = {}, []
    for route, _pattern, model in admin_object_routes():
        label = model._meta.label_lower if model is not None else None
        ours = model is not None and model._meta.app_label in OUR_APPS + ("casefiles", "programmes")
        if label in known_labels:
            classified[route] = "swept"
        elif route in ADMIN_OBJECT_COVERED:
            classified[route] = "covered"
        elif any(route.startswith(p) for p in ADMIN_OBJECT_EXEMPT_PREFIXES) and not ours:
            classified[route] = "exempt"
        else:
            unclassified.append(route)
    return classified, sorted(unclassified)
