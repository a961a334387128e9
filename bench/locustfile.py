"""Locust users for the load test (bench/load_bench.py): public readers, applicants, officers and searchers.

Run by bench/load_bench.py (``python -m bench.run_all --only load``), or by hand against a running server:

    LOAD_PLAN=/tmp/plan.json .venv/bin/locust -f bench/locustfile.py --headless -u 40 -r 4 -t 3m --host http://127.0.0.1:8766

The plan (JSON, written by ``bench.load_bench.write_plan``) names what exists in the database: page paths, card
verification paths, the accounts and their password, search words. Nothing here knows a scheme or a state: the officer
takes whatever transition the API offers for a dossier on the worklist.

User proportions (locust's ``weight``): public readers 60, applicants 15, officers 20, searchers 5. Each simulated
user sends its own ``X-Forwarded-For``, as the TLS proxy would for distinct phones and offices: the anonymous
throttles (API 300/min, card verification 60/min per address) count per client, and one load generator on one
address would otherwise be throttled as one client.

Every response is checked (status, and for pages a marker of the page); anything else is a locust failure.
"""

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task
from locust.clients import HttpSession

PLAN = json.loads(open(os.environ.get("LOAD_PLAN", "/tmp/huicai-load-plan.json"), encoding="utf-8").read())
_addresses = itertools.count(1)
WAIT = (float(os.environ.get("LOAD_WAIT_MIN", "1")), float(os.environ.get("LOAD_WAIT_MAX", "3")))
# LOAD_EVERY_TASK_FIRST=1: each user runs every one of its tasks once, in the order they are declared, before the
# weighted random choice begins (tests/bench/test_locustfile.py: every endpoint is requested however slow the
# machine is; a load run leaves it unset, so the proportions are the weights').
EVERY_TASK_FIRST = os.environ.get("LOAD_EVERY_TASK_FIRST") == "1"

DOSSIER_LINK = re.compile(r'href="/admin/dossiers/(\d+)/"')
NEXT_PAGE = re.compile(r'href="([^"]*[?&]after=[^"]+)"')
PORTAL_LINK = re.compile(r'href="/applications/(\d+)/"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The staff search page answers 200 with this message when the engine fails: that is a failure here.
SEARCH_DOWN = ("搜索服务暂时不可用", "Search is temporarily unavailable")


class Base(HttpUser):
    abstract = True
    wait_time = between(*WAIT)

    def on_start(self):
        n = next(_addresses)
        self.client.headers.update(
            {"X-Forwarded-Proto": "https", "X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}
        )
        self.sign_in()
        if EVERY_TASK_FIRST:
            self.every_task_once()

    def sign_in(self):
        """What a user of this kind does once before its tasks (accounts sign in)."""

    def every_task_once(self, attempts=5):
        """Each task once in declared order; a task that answers False had nothing to do yet (an officer's dossier
        with no transition open to them) and is tried again, up to ``attempts`` times."""
        for method in dict.fromkeys(self.tasks):
            for _ in range(attempts):
                if method(self) is not False:
                    break

    def get(self, path, name=None, expect=200, marker=None, absent=(), client=None, **kwargs):
        with (client or self.client).get(
            path, name=name or path, catch_response=True, allow_redirects=False, **kwargs
        ) as response:
            self._check(response, expect, marker, absent)
            return response

    def post(self, path, name=None, expect=200, client=None, **kwargs):
        with (client or self.client).post(
            path, name=name or path, catch_response=True, allow_redirects=False, **kwargs
        ) as response:
            self._check(response, expect, None)
            return response

    @staticmethod
    def _check(response, expect, marker, absent=()):
        expected = expect if isinstance(expect, tuple) else (expect,)
        if response.status_code == 0:  # no answer: the connection failed (requests' exception in .error)
            response.failure(f"no response: {type(response.error).__name__}: {str(response.error)[:120]}")
        elif response.status_code not in expected:
            response.failure(f"status {response.status_code}")
        elif marker and marker not in response.text:
            response.failure(f"no {marker!r} in the page")
        elif any(text in response.text for text in absent):
            response.failure("the page says the search engine is unavailable")
        else:
            response.success()

    def _secure_cookies_over_http(self):
        # The production settings mark the session and CSRF cookies Secure (the TLS proxy is not in this test):
        # without this the client would not send them back over http.
        for cookie in self.client.cookies:
            cookie.secure = False

    def login(self, username):
        """A browser sign-in through the site's own form (the CSRF token from the form, Referer as a browser
        sends it over https)."""
        page = self.get("/accounts/login/", name="/accounts/login/ [GET]")
        self._secure_cookies_over_http()
        token = CSRF_INPUT.search(page.text)
        referer = "https://" + self.host.split("://", 1)[1].rstrip("/") + "/accounts/login/"
        self.post(
            "/accounts/login/",
            name="/accounts/login/ [POST]",
            expect=302,
            headers={"Referer": referer},
            data={
                "username": username,
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
        )
        self._secure_cookies_over_http()

    def api_client(self, username):
        """An API client of its own, as a script or an app would be: a token and no browser cookies (with the
        session cookie DRF's SessionAuthentication would answer a POST without a CSRF token with 403)."""
        api = HttpSession(base_url=self.host, request_event=self.environment.events.request, user=self)
        api.headers.update(self.client.headers)
        response = self.post(
            "/api/v1/auth/token/",
            name="/api/v1/auth/token/",
            client=api,
            json={"username": username, "password": PLAN["password"]},
        )
        if response.status_code == 200:
            api.headers["Authorization"] = "Token " + response.json()["token"]
        return api


class PublicReader(Base):
    """Home, policy pages (policy, guide, tier table, section), the public notice list and card verification."""

    weight = 60

    @task(3)
    def home(self):
        self.get("/", name="public: home")

    @task(6)
    def policy_page(self):
        self.get(random.choice(PLAN["pages"]), name="public: policy pages")

    @task(2)
    def notices(self):
        self.get("/public-notices/", name="public: notice list")

    @task(1)
    def verify_card(self):
        if PLAN["verify"]:
            self.get(random.choice(PLAN["verify"]), name="public: card verification", marker="<html")


class Applicant(Base):
    """An applicant with dossiers among the generated ones: the portal's list and one dossier, and the same through
    the API."""

    weight = 15

    def sign_in(self):
        self.username = random.choice(PLAN["applicants"])
        self.login(self.username)
        self.api = self.api_client(self.username)
        self.dossiers = []

    @task(2)
    def portal_list(self):
        response = self.get("/applications/", name="applicant: portal list")
        self.dossiers = PORTAL_LINK.findall(response.text) or self.dossiers

    @task(2)
    def portal_dossier(self):
        if self.dossiers:
            self.get(f"/applications/{random.choice(self.dossiers)}/", name="applicant: portal dossier")

    @task(1)
    def api_list(self):
        self.get("/api/v1/dossiers/", name="applicant: API dossier list", client=self.api)

    @task(1)
    def api_dossier(self):
        if self.dossiers:
            self.get(
                f"/api/v1/dossiers/{random.choice(self.dossiers)}/", name="applicant: API dossier", client=self.api
            )


class Officer(Base):
    """A department officer: the worklist (first page, then the next keyset page), a dossier in the admin, and a
    committed workflow transition through the API (whatever the dossier's first available transition is)."""

    weight = 20

    def sign_in(self):
        self.username = PLAN["officers"][next(_officer_turn) % len(PLAN["officers"])]
        self.login(self.username)
        self.api = self.api_client(self.username)
        self.dossiers, self.next_page = [], None

    @task(4)
    def worklist(self):
        response = self.get("/admin/dossiers/", name="officer: worklist page 1")
        self.dossiers = DOSSIER_LINK.findall(response.text)
        found = NEXT_PAGE.search(response.text)
        self.next_page = found.group(1).replace("&amp;", "&") if found else None

    @task(2)
    def worklist_next(self):
        if self.next_page:
            self.get(self.next_page, name="officer: worklist next page (keyset)")

    @task(4)
    def dossier(self):
        if self.dossiers:
            self.get(f"/admin/dossiers/{random.choice(self.dossiers)}/", name="officer: dossier (admin)")

    @task(1)
    def transition(self):
        if not self.dossiers:
            return None
        pk = self.dossiers.pop(random.randrange(len(self.dossiers)))  # not taken twice by this officer
        detail = self.get(f"/api/v1/dossiers/{pk}/", name="officer: API dossier", client=self.api)
        if detail.status_code != 200:
            return None
        body = detail.json()
        if not body.get("transitions"):
            return False
        choice = body["transitions"][0]
        with self.api.post(
            f"/api/v1/dossiers/{pk}/transitions/",
            name="officer: API transition (committed)",
            catch_response=True,
            allow_redirects=False,
            json={
                "transition": choice["code"],
                "comment": "负载测试意见：材料齐全，同意。",
                "expected_state": body["state"],
                "minutes": "负载测试会议纪要。",
            },
        ) as response:
            if response.status_code == 409 and _error_code(response) == "conflict":
                # A colleague of the same department acted on it first (both read it in the same state): the API's
                # optimistic check refusing the second, as it should, and not a failure. A guard's 409 ("guard") is.
                response.success()
            else:
                self._check(response, 200, None)


def _error_code(response):
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


_officer_turn = itertools.count()


class Searcher(Base):
    """Public policy search (the page and the API) and, signed in as staff, the dossier search."""

    weight = 5

    def sign_in(self):
        self.login(random.choice(PLAN["officers"]))

    @task(2)
    def public_search(self):
        self.get("/search/?q=" + random.choice(PLAN["public_words"]), name="search: public page", absent=SEARCH_DOWN)

    @task(1)
    def api_search(self):
        self.get("/api/v1/search/?q=" + random.choice(PLAN["public_words"]), name="search: public API")

    @task(2)
    def staff_search(self):
        self.get(
            "/admin/search-dossiers/?q=" + random.choice(PLAN["staff_words"]),
            name="search: staff dossiers",
            absent=SEARCH_DOWN,
        )
