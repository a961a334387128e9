"""The permission matrix's document part (issue #24: "the permission matrix covers versions and previews"): every
user × every route of the documents in the case file, over a sample of dossiers — per scheme one dossier of every
kind of state present (start, stage, waiting, end), told apart by who acts on it (the applicant, the employer, the
competent authority, a department, nobody) and whether it has been decided; each such class in two schemes,
the schemes taking the classes in turn (see ``sample``). Every sampled dossier carries two
documents of two versions each: the applicant's (the demo's first document, given a second version) and one of
the other side (a department's, or the employer's while the employer acts), so that the current and the earlier
version are both read through the previews and the reader, and the changes of both sides are tried.

Who may do what comes from the scheme data files (a state's ``view``, ``actor`` and ``kind``), the Membership rows
and the document's own rows (its side, whether it is withdrawn) — never from the permission code under test
(casefiles.services.attachments.attachment_for, the document actions' check(), casefiles.permissions):
- read the documents, their previews and the reader: whoever may see the dossier (World.dossier_viewers);
- add a document: the applicant while the dossier is a draft or returned; the people of the current state's actor
  (an employer's contact only when the actor is the employer; never the applicant as staff); nobody once decided;
- a new version or a withdrawal: those who may add now, as the side that added the document, while it is not
  withdrawn;
- the admin's forms: the same, for users with access to the Wagtail admin.
"""

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from .matrix_expectations import state_spec

ROUTES = {
    "api/v1/dossiers/<int:pk>/documents/": "documents with every version (GET), add one or a new version (POST)",
    "api/v1/documents/<int:pk>/withdraw/": "change: withdraw a document",
    "api/v1/attachments/<int:pk>/preview/": "page image of a version (API)",
    "attachments/<int:pk>/preview/": "page image of a version (portal and admin)",
    "attachments/<int:pk>/reader/": "the reader of a version",
    "admin/dossiers/<int:pk>/documents/add/": "add a document: form (GET) and POST",
    "admin/dossiers/<int:pk>/documents/<int:document_pk>/version/": "a new version: form (GET) and POST",
    "admin/dossiers/<int:pk>/documents/<int:document_pk>/withdraw/": "withdrawal: confirmation page (GET) and POST",
}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf"
    "c0f01f0005000201a5f5f0a40000000049454e44ae426082"
)
HIDDEN_PROBES = 3  # requests per (user, dossier the user may not see), rotated so each user meets every route


# --- expectations (scheme data and rows only) -----------------------------------------------------------------------


def decided(dossier):
    """Decided (documents frozen): an end state of the scheme data, or a tier granted on the dossier row."""
    return state_spec(dossier.scheme.slug, dossier.state.code)["kind"] == "end" or dossier.granted_tier_id is not None


def actor_of(dossier):
    return state_spec(dossier.scheme.slug, dossier.state.code).get("actor")


def adders(world, dossier):
    """Who may add a document now (see the module's docstring)."""
    if decided(dossier):
        return set()
    users = set(world.dossier_editors(dossier))
    actor = actor_of(dossier)
    if actor and actor != "applicant":
        acting = world.principal_users(dossier, actor) - {dossier.applicant_id}
        if actor != "employer":
            acting = {u for u in acting if not any(world.department[d].kind == "employer"
                                                   for d in world.departments_of.get(u, ()))}
        users |= acting
    return users


def side_of(dossier, uid):
    """The side a user adds documents as on this dossier now (a DocumentSide value)."""
    if uid == dossier.applicant_id:
        return "applicant"
    return "employer" if actor_of(dossier) == "employer" else "department"


def may_change(world, dossier, document, uid):
    """A new version or a withdrawal of ``document`` (the side that added it, not withdrawn, may add now)."""
    return uid in adders(world, dossier) and document.withdrawn_at is None and side_of(dossier, uid) == document.side


# --- the sample and its documents ------------------------------------------------------------------------------------


def state_class(dossier):
    """What tells dossiers apart for documents: the state's kind, who acts on it, whether it is decided."""
    spec = state_spec(dossier.scheme.slug, dossier.state.code)
    actor = spec.get("actor")
    who = actor if actor in (None, "applicant", "employer", "authority") else "department"
    return spec["kind"], who, decided(dossier)


def sample(dossiers, schemes_per_class=2):
    """Every state class present (see state_class), each in ``schemes_per_class`` schemes taken in turn so that the
    schemes share the classes out (the first dossier by id of that scheme and class). With 2: 13 of the demo's 54
    dossiers, every scheme among them; with 5, every (scheme, class): 27, too slow for PostgreSQL in 150 s."""
    by_class = {}
    for dossier in sorted(dossiers, key=lambda d: d.pk):
        by_class.setdefault(state_class(dossier), {}).setdefault(dossier.scheme.slug, dossier)
    schemes = sorted({d.scheme.slug for d in dossiers})
    chosen, turn = [], 0
    for key in sorted(by_class, key=repr):
        present = [slug for slug in schemes[turn:] + schemes[:turn] if slug in by_class[key]]
        taken = present[:schemes_per_class]
        chosen.extend(by_class[key][slug] for slug in taken)
        if taken:  # the next class starts after the last scheme taken
            turn = (schemes.index(taken[-1]) + 1) % len(schemes)
    return sorted(chosen, key=lambda d: d.pk)


def _store(document, user, number):
    from casefiles.services.attachments import version_store

    return version_store(document=document, user=user, data=PNG, content_type="image/png", extension=".png",
                         name=f"矩阵文件第{number}版.png", version=number, note="" if number == 1 else "矩阵：新版本")


def prepare(world, dossiers):
    """Give every sampled dossier its two documents of two versions (rows written directly, as history: the
    actions would refuse some of them now, e.g. on a decided dossier). Returns {dossier id: [documents]}."""
    from casefiles.models import Department, Document, DocumentSide

    User = get_user_model()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    documents = {}
    for dossier in dossiers:
        applicant_document = (Document.objects.filter(dossier=dossier, side=DocumentSide.APPLICANT)
                              .order_by("pk").first())
        if applicant_document is None:
            applicant_document = Document.objects.create(dossier=dossier, title="矩阵文件（申请人）", side="applicant",
                                                         added_by=dossier.applicant, added_at=timezone.now())
        last = applicant_document.versions.order_by("-version").values_list("version", flat=True).first() or 0
        for number in range(last + 1, 3):
            _store(applicant_document, dossier.applicant, number)
        actor = actor_of(dossier)
        if actor == "employer":
            side, department = DocumentSide.EMPLOYER, dossier.employer
        elif actor == "authority":
            side, department = DocumentSide.DEPARTMENT, dossier.authority
        else:
            codes = world.scheme_departments[dossier.scheme.slug]
            pk = codes.get(actor) if actor and actor != "applicant" else None
            pk = pk or min(p for p in codes.values() if world.department[p].kind != "employer")
            side, department = DocumentSide.DEPARTMENT, Department.objects.get(pk=pk)
        members = sorted(world.members_of(department.pk) - {dossier.applicant_id}) if department else []
        who = User.objects.get(pk=members[0]) if members else admin
        other = Document.objects.create(dossier=dossier, title=f"矩阵文件（{side}）", side=side, department=department,
                                        added_by=who, added_at=timezone.now())
        for number in (1, 2):
            _store(other, who, number)
        documents[dossier.pk] = [applicant_document, other]
    return documents


# --- the sweep -------------------------------------------------------------------------------------------------------


class Cells:
    """Cells per (route, action), per user, and where access was expected and given — on top of Matrix."""

    def __init__(self, matrix):
        from collections import Counter, defaultdict

        self.matrix = matrix
        self.cells, self.positives = Counter(), Counter()
        self.seen_by = defaultdict(set)  # (route, action) -> usernames with a cell
        self.listing_mismatches = []

    def record(self, route, action, user, subject, *, expected, seen, status, role):
        self.matrix.record(route, user, subject, expected=expected, seen=seen, status=status, role=role, action=action)
        self.cells[(route, action)] += 1
        self.positives[(route, action)] += bool(expected and seen)
        self.seen_by[(route, action)].add(user.username if user else "anonymous")


def _upload(name="矩阵文件.png"):
    return SimpleUploadedFile(name, PNG, "image/png")


def _probes(dossier, documents, versions, material, browser, missing, turn):
    """(route, action, method, url, url for a missing id, call, probe, judge) for one user × dossier, in a fixed order
    (the hidden pairs' rotation relies on it). ``judge(uid, admin_access)`` -> expected."""
    from casefiles.models import Attachment, Document

    d = dossier.pk
    probes = [("api/v1/dossiers/<int:pk>/documents/", "list", "GET", f"/api/v1/dossiers/{d}/documents/",
               f"/api/v1/dossiers/{missing}/documents/", None, None, "view")]
    preview_routes = (
        ("api/v1/attachments/<int:pk>/preview/", "/api/v1/attachments/{}/preview/"),
        ("attachments/<int:pk>/preview/", "/attachments/{}/preview/"),
        ("attachments/<int:pk>/reader/", "/attachments/{}/reader/"),
    )
    # the applicant's document: both versions through all three; the other side's: each version through one, in turn
    for di, document in enumerate(documents):
        for vi, version in enumerate(versions[document.pk]):
            label = f"v{version.version} of the {document.side}'s document ({'current' if vi else 'earlier'})"
            routes = preview_routes if di == 0 else [preview_routes[(turn + vi) % 3]]
            for route, pattern in routes:
                probes.append((route, f"read {label}", "GET", pattern.format(version.pk), pattern.format(missing),
                               None, None, "view"))

    def count_versions(doc_pk=None):
        query = Attachment.objects.filter(document_id=doc_pk) if doc_pk else Attachment.objects.filter(dossier_id=d)
        return lambda: query.count()

    def withdrawn(doc_pk):
        return lambda: Document.objects.filter(pk=doc_pk).values_list("withdrawn_at", flat=True).get()

    add = "admin/dossiers/<int:pk>/documents/add/"
    probes += [
        (add, "form", "GET", f"/admin/dossiers/{d}/documents/add/",
         f"/admin/dossiers/{missing}/documents/add/", None, None, "add admin"),
        ("api/v1/dossiers/<int:pk>/documents/", "add", "POST", None, None,
         lambda: browser.post_api(f"/api/v1/dossiers/{d}/documents/", {
             "file": _upload(), "kind": material, "title": "矩阵文件"}, multipart=True), count_versions(), "add"),
        (add, "add", "POST", None, None,
         lambda: browser.post_form(f"/admin/dossiers/{d}/documents/add/", {
             "file": _upload(), "kind": material, "title": "矩阵文件"}), count_versions(), "add admin"),
    ]
    for document in documents:
        p, side = document.pk, document.side
        version = f"/admin/dossiers/{d}/documents/{p}/version/"
        withdraw = f"/admin/dossiers/{d}/documents/{p}/withdraw/"
        probes += [
            ("admin/dossiers/<int:pk>/documents/<int:document_pk>/version/", f"form ({side}'s document)", "GET",
             version, f"/admin/dossiers/{missing}/documents/{p}/version/", None, None, ("change admin", document)),
            ("admin/dossiers/<int:pk>/documents/<int:document_pk>/withdraw/", f"form ({side}'s document)", "GET",
             withdraw, f"/admin/dossiers/{missing}/documents/{p}/withdraw/", None, None, ("change admin", document)),
            ("api/v1/dossiers/<int:pk>/documents/", f"new version ({side}'s document)", "POST", None, None,
             lambda p=p: browser.post_api(f"/api/v1/dossiers/{d}/documents/", {
                 "file": _upload(), "document": str(p), "note": "矩阵新版本"}, multipart=True),
             count_versions(p), ("change", document)),
            ("admin/dossiers/<int:pk>/documents/<int:document_pk>/version/", f"new version ({side}'s document)", "POST",
             None, None, lambda url=version: browser.post_form(url, {"file": _upload(), "note": "矩阵新版本"}),
             count_versions(p), ("change admin", document)),
            ("api/v1/documents/<int:pk>/withdraw/", f"withdraw ({side}'s document)", "POST", None, None,
             lambda p=p: browser.post_api(f"/api/v1/documents/{p}/withdraw/", {"reason": "矩阵撤回"}),
             withdrawn(p), ("change", document)),
            ("admin/dossiers/<int:pk>/documents/<int:document_pk>/withdraw/", f"withdraw ({side}'s document)", "POST",
             None, None, lambda url=withdraw: browser.post_form(url, {"reason": "矩阵撤回", "confirm": "on"}),
             withdrawn(p), ("change admin", document)),
        ]
    return probes


def expected_for(world, dossier, rule, uid, admin_access, viewers, adders_now):
    if rule == "view":
        return uid in viewers
    if rule == "add":
        return uid in adders_now
    if rule == "add admin":
        return uid in adders_now and admin_access
    kind, document = rule
    allowed = uid in adders_now and document.withdrawn_at is None and side_of(dossier, uid) == document.side
    return allowed and (admin_access or kind == "change")


def sweep(matrix, world, people, dossiers, documents, browser_for, in_savepoint, missing, material_of):
    """Every person × every route over the sampled dossiers: every probe where the person may see the dossier,
    HIDDEN_PROBES of them in turn where not (each must answer like a missing id). Returns Cells."""
    from casefiles.models import Attachment

    cells = Cells(matrix)
    versions = {}
    for document_list in documents.values():
        for document in document_list:
            versions[document.pk] = list(Attachment.objects.filter(document=document).order_by("version"))
    listed_rows = {d.pk: set(Attachment.objects.filter(dossier_id=d.pk).values_list("pk", flat=True)) for d in dossiers}
    viewers = {d.pk: world.dossier_viewers(d) for d in dossiers}
    adders_now = {d.pk: adders(world, d) for d in dossiers}
    for ui, user in enumerate(people):
        browser = browser_for(user)
        uid = user.pk if user else None
        admin_access = world.has_admin_access(user)
        turn = ui * 5
        for di, dossier in enumerate(dossiers):
            may_view = uid in viewers[dossier.pk]
            subject = f"{dossier.reference} [{dossier.scheme.slug}:{dossier.state.code}]"
            role = matrix.role(user, dossier.scheme.slug, dossier.applicant_id, dossier.employer_id)
            if uid is not None and uid in adders_now[dossier.pk]:
                role = f"{role}, may add documents now"
            probes = _probes(dossier, documents[dossier.pk], versions, material_of(dossier), browser, missing, ui + di)
            if not may_view:
                probes = [probes[(turn + k) % len(probes)] for k in range(HIDDEN_PROBES)]
                turn += HIDDEN_PROBES
            for route, action, method, url, missing_url, call, probe, rule in probes:
                expected = expected_for(world, dossier, rule, uid, admin_access, viewers[dossier.pk],
                                        adders_now[dossier.pk])
                if method == "GET":
                    response = browser.get(url)
                    seen = response.status_code == 200
                    if seen and action == "list":
                        shown = {v["id"] for doc in response.json()["results"] for v in doc["versions"]}
                        if shown != listed_rows[dossier.pk]:
                            cells.listing_mismatches.append({"user": uid, "subject": subject,
                                                             "missing": sorted(listed_rows[dossier.pk] - shown),
                                                             "extra": sorted(shown - listed_rows[dossier.pk])})
                else:
                    response, seen = in_savepoint(call, probe)
                cells.record(route, action, user, subject, expected=expected, seen=seen, status=response.status_code,
                             role=role)
                if not may_view:
                    if method == "GET":
                        matrix.check_hidden(route, user, subject, response.status_code, role, browser, missing_url)
                    else:
                        matrix.must_be_404(route, user, subject, response.status_code, role, admin_access)
            if may_view and admin_access:
                # a document of another dossier under this one: 404 like a missing id
                foreign = documents[dossiers[(di + 1) % len(dossiers)].pk][0]
                if foreign.dossier_id != dossier.pk:
                    route = "admin/dossiers/<int:pk>/documents/<int:document_pk>/version/"
                    response = browser.get(f"/admin/dossiers/{dossier.pk}/documents/{foreign.pk}/version/")
                    cells.record(route, "form (another dossier's document)", user, subject, expected=False,
                                 seen=response.status_code == 200, status=response.status_code, role=role)
                    matrix.check_hidden(route, user, subject, response.status_code, role, browser,
                                        f"/admin/dossiers/{dossier.pk}/documents/{missing}/version/")
    return cells
