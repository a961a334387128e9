"""The permission matrix's opinion-request part (issue #16: "the permission matrix covers opinion requesters and
experts"): every user × the routes of requests for opinions, while asked and after.

Who is asked comes from the scheme data files (a state's ``opinions`` name departments, its ``experts`` say the
state's actor names experts) and from the rows that record the asking (an OpinionRequest names the department or
the expert, and whether it is still open) — never from the permission code under test (casefiles.permissions,
selectors_opinions, services.opinions). Departments' people are the Membership rows.
"""

from django.contrib.auth import get_user_model

from .matrix_expectations import state_spec

ROUTES = {
    "api/v1/opinion-requests/": "list of the requests waiting on the caller (ids per user)",
    "api/v1/opinion-requests/<int:pk>/answer/": "change: answer a request (POST agree)",
    "api/v1/dossiers/<int:pk>/experts/": "change: name an expert",
    "admin/opinion-requests/": "worklist 征求意见 (department requests of the user's departments)",
    "admin/opinion-requests/results/": "worklist 征求意见 results fragment",
    "admin/opinion-requests/dossier/<int:pk>/answer/<int:request_pk>/": "change: a department answers in the admin",
    "admin/opinion-requests/dossier/<int:pk>/experts/": "change: the stage's actor names experts in the admin",
    "expert/": "the expert's open requests",
    "expert/<int:pk>/": "the expert's page of one request: case file read-only (GET) and answer (POST)",
}
EXTERNAL = "matrix.expert"  # an external account, asked about one dossier (the demo's own experts are asked nothing)
SPARE = "matrix.expert.spare"  # an external account that the sweep tries to name


def ask_an_expert():
    """Name an external account on one dossier whose stage asks for experts (by that stage's actor); returns the
    request or None when no scheme's data asks for experts."""
    from casefiles.models import Dossier
    from casefiles.services.opinions import experts_request
    from casefiles.testing import demo_user_for

    User = get_user_model()
    expert = User.objects.create_user(EXTERNAL, email="expert@example.org", last_name="赵", first_name="文博")
    User.objects.create_user(SPARE, email="spare@example.org", last_name="钱", first_name="立新")
    for dossier in Dossier.objects.select_related("scheme", "state").order_by("pk"):
        if dossier.state.experts and dossier.state.actor:
            actor = demo_user_for(dossier, dossier.state.actor)
            if actor is not None:
                return experts_request(dossier=dossier, experts=[expert], user=actor)[0]
    return None


class Asked:
    """Open requests of the dossiers' current stages and the people they ask (from the rows, see above)."""

    def __init__(self, world):
        from casefiles.models import OpinionRequest

        self.world = world
        self.requests = list(
            OpinionRequest.objects.filter(status="open").select_related("dossier__scheme", "dossier__state", "department")
            .order_by("pk")
        )
        self.requests = [r for r in self.requests if r.state_id == r.dossier.state_id]

    def askees(self, request):
        if request.expert_id:
            return {request.expert_id}
        return self.world.members_of(request.department_id)

    def department_askees(self, request):
        return set() if request.expert_id else self.askees(request)


def viewers_by_dossier(world):
    """dossier id -> the people an open request asks (they may view the dossier while asked)."""
    asked = Asked(world)
    viewers = {}
    for request in asked.requests:
        viewers.setdefault(request.dossier_id, set()).update(asked.askees(request))
    return viewers


def sweep(matrix, world, people, dossiers, browser_for, in_savepoint, missing, full=False):
    """Record the cells of every opinion route for every user; returns the number of cells."""
    from casefiles.models import OpinionRequest

    before = sum(matrix.cells.values())
    asked = Asked(world)
    requests = asked.requests
    spare = get_user_model().objects.get(username=SPARE)
    experts_wanted = [d for d in dossiers if state_spec(d.scheme.slug, d.state.code).get("experts")]
    for ui, user in enumerate(people):
        if user is None:
            continue
        browser = browser_for(user)
        uid = user.pk
        admin_access = world.has_admin_access(user)
        case_staff = world.is_case_staff(uid)
        base_role = matrix.role(user)

        def role_of(request, base=base_role, uid=uid, user=user):
            if uid == request.expert_id:
                return "expert asked"
            if uid in asked.department_askees(request):
                return "department asked for an opinion"
            if user.username.startswith("matrix.expert") or user.username.endswith(".expert"):
                return "expert not asked"
            return matrix.role(user, request.dossier.scheme.slug, request.dossier.applicant_id, request.dossier.employer_id)

        role = base_role

        # lists: the API list (all pages), the admin worklist (page and fragment), the expert's page
        listed, url = set(), "/api/v1/opinion-requests/?page_size=200"
        while url:
            body = browser.get(url).json()
            listed |= {row["id"] for row in body["results"]}
            url = body["next"]
        pages = [("expert/", "/expert/")]
        if admin_access:
            pages += [("admin/opinion-requests/", "/admin/opinion-requests/"),
                      ("admin/opinion-requests/results/", "/admin/opinion-requests/results/")]
        texts = {}
        for route, page_url in pages:
            response = browser.get(page_url)
            texts[route] = (response.status_code, response.content.decode("utf-8", "replace") if response.status_code == 200 else "")
            matrix.cells[route] += 1
        for request in requests:
            subject = f"request {request.pk} on {request.dossier.reference} [{request.dossier.scheme.slug}:{request.state.code}]"
            mine = uid in asked.askees(request)
            matrix.record("api/v1/opinion-requests/", user, subject, expected=mine, seen=request.pk in listed, status=200,
                          role=role_of(request), action="list")
            # the pages list references: judged per dossier (another request on the same dossier may ask the user)
            same = [r for r in requests if r.dossier_id == request.dossier_id]
            for route, (status, text) in texts.items():
                expected = any(uid == r.expert_id for r in same) if route == "expert/" else (
                    any(uid in asked.department_askees(r) for r in same) and case_staff)
                shown = request.dossier.reference in text
                if shown or expected:
                    matrix.record(route, user, subject, expected=expected, seen=shown, status=status, role=role_of(request),
                                  action="list")

        # one request's pages and answers: every request of the user's own schemes, one other in turn
        homes = {s for s, j in world.scheme_jurisdiction.items()
                 if any(world.department[d].jurisdiction_id == j for d in world.departments_of.get(uid, ()))}
        chosen = [r for i, r in enumerate(requests)
                  if full or r.dossier.scheme.slug in homes or uid in asked.askees(r) or (i + ui) % len(requests or [1]) == 0]
        for ri, request in enumerate(chosen):
            dossier = request.dossier
            subject = f"request {request.pk} on {dossier.reference} [{dossier.scheme.slug}:{request.state.code}]"
            askee = uid in asked.askees(request) and uid != dossier.applicant_id
            is_expert = uid == request.expert_id
            role = role_of(request)
            response = browser.get(f"/expert/{request.pk}/")
            matrix.record("expert/<int:pk>/", user, subject, expected=is_expert, seen=response.status_code == 200,
                          status=response.status_code, role=role)
            if not is_expert:
                matrix.check_hidden("expert/<int:pk>/", user, subject, response.status_code, role, browser, f"/expert/{missing}/")

            def probe(pk=request.pk):
                return OpinionRequest.objects.filter(pk=pk).values_list("status", flat=True).get()

            answers = [
                ("api/v1/opinion-requests/<int:pk>/answer/", askee,
                 lambda r=request, b=browser: b.post_api(f"/api/v1/opinion-requests/{r.pk}/answer/", {"agree": True})),
                ("admin/opinion-requests/dossier/<int:pk>/answer/<int:request_pk>/",
                 askee and not request.expert_id and admin_access,
                 lambda r=request, b=browser: b.post_form(f"/admin/opinion-requests/dossier/{r.dossier_id}/answer/{r.pk}/",
                                                     {"answer": "agree", "comment": "", "confirm": "1"})),
                ("expert/<int:pk>/", is_expert,
                 lambda r=request, b=browser: b.post_form(f"/expert/{r.pk}/", {"answer": "agree", "comment": "", "confirm": "1"})),
            ]
            for route, expected, call in (answers if full or askee else [answers[(ui + ri) % len(answers)]]):
                response, changed = in_savepoint(call, probe)
                matrix.record(route, user, subject, expected=expected, seen=changed, status=response.status_code, role=role,
                              action="answer")
                if not (uid in world.dossier_viewers(dossier) or uid in asked.askees(request)):
                    matrix.must_be_404(route, user, subject, response.status_code, role, admin_access)

        # naming experts: every dossier whose stage asks for experts, plus one other dossier in turn
        targets = experts_wanted + ([dossiers[ui % len(dossiers)]] if dossiers else [])
        for di, dossier in enumerate(targets):
            spec = state_spec(dossier.scheme.slug, dossier.state.code)
            actor = spec.get("actor")
            expected = bool(spec.get("experts")) and bool(actor) and uid in world.principal_users(dossier, actor) \
                and uid != dossier.applicant_id
            subject = f"{dossier.reference} [{dossier.scheme.slug}:{dossier.state.code}]"
            role = "stage actor" if expected else base_role

            def probe(d=dossier):
                return OpinionRequest.objects.filter(dossier_id=d.pk, expert__isnull=False).count()

            calls = [
                ("api/v1/dossiers/<int:pk>/experts/", expected,
                 lambda d=dossier, b=browser: b.post_api(f"/api/v1/dossiers/{d.pk}/experts/", {"experts": [spare.pk]})),
                ("admin/opinion-requests/dossier/<int:pk>/experts/", expected and admin_access,
                 lambda d=dossier, b=browser: b.post_form(f"/admin/opinion-requests/dossier/{d.pk}/experts/",
                                                     {"experts": [str(spare.pk)], "confirm": "1"})),
            ]
            for route, want, call in (calls if full or expected else [calls[(ui + di) % 2]]):
                response, changed = in_savepoint(call, probe)
                matrix.record(route, user, subject, expected=want, seen=changed, status=response.status_code, role=role,
                              action="name an expert")
                if uid not in world.dossier_viewers(dossier):
                    matrix.must_be_404(route, user, subject, response.status_code, role, admin_access)
    return sum(matrix.cells.values()) - before
