"""Races and error pages (issue #15, item 6).

Two API clients fire the same transition on the same dossier at the same moment, in real threads with their own
database connections (SQLite: a database file, as the demo runs; PostgreSQL: the test database). Exactly one gets
200 and the other 409 with the API's error body, never 500; one state change, one opinion. On SQLite this needs
write transactions that take the write lock when they begin (``transaction_mode: IMMEDIATE``): with SQLite's
default, both read, then the second to write is refused at once ("database is locked", a 500).

The technical 500 page (``DEBUG = True``) and the production 500 page show no raw ID or mobile number: not in a
frame's local variables, the SQL parameters of a failed query, the exception text, the URL, the query string
or the POST data.
"""

import os
import sqlite3
import threading
from collections import Counter
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, OperationalError, connection, connections
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casefiles.masking import scrub_text
from casefiles.services.dossiers import dossier_transition
from huicai.conflicts import is_lock_failure, lock_conflict
from tests.casefiles.factories import new_dossier, setup_schemes, user

from .people import ALICE

ROUNDS = int(os.environ.get("HUICAI_RACE_ROUNDS", "6"))  # dossiers raced, each by two clients at once
REVIEWER = "liaocheng.hr-bureau"


def in_thread(function):
    """Run ``function`` in a new thread with its own database connection; return its result."""
    result = {}

    def run():
        try:
            result["value"] = function()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    return result["value"]


@contextmanager
def database_shared_by_threads(tmp_path):
    """Connections opened in other threads see what this test committed.

    PostgreSQL: they open the test database anyway. SQLite: the test database is in memory and each connection
    would get its own; copy it into a file and point connections opened from now on at it, so the threads race
    on one file with SQLite's own locking. This thread keeps its in-memory connection (Django never closes it)."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    database_file = tmp_path / "race.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(database_file)
    connection.connection.backup(target)
    target.close()
    settings_dict = connections.settings["default"]  # the dict each new connection of another thread is built from
    in_memory_name = settings_dict["NAME"]
    settings_dict["NAME"] = str(database_file)
    try:
        yield
    finally:
        settings_dict["NAME"] = in_memory_name


def race(token, url, payload):
    """Two clients post ``payload`` to ``url`` at the same moment; their status codes and bodies."""
    barrier = threading.Barrier(2)
    outcomes = []

    def post():
        client = APIClient(raise_request_exception=False)  # a server error is an outcome to count, as a 500
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        barrier.wait(timeout=30)
        response = client.post(url, payload, format="json")
        is_json = response.get("Content-Type", "").startswith("application/json")
        outcomes.append((response.status_code, response.json() if is_json else response.content[:200]))

    threads = [threading.Thread(target=lambda: (post(), connection.close())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return sorted(outcomes, key=lambda outcome: outcome[0])


@pytest.mark.django_db(transaction=True)
@pytest.mark.smoke
def test_two_simultaneous_identical_transitions_one_200_one_409(tmp_path):
    setup_schemes()
    submitted = []
    for seed in range(ROUNDS):
        dossier = new_dossier("liaocheng", seed=seed + 1)
        submitted.append(dossier_transition(dossier=dossier, transition="submit", user=dossier.applicant))
    token = Token.objects.create(user=user(REVIEWER)).key

    from casefiles.models import Dossier, Opinion

    with database_shared_by_threads(tmp_path):
        results = []
        for number, dossier in enumerate(submitted):
            # Half the rounds name the state the client saw, half do not: both paths end in the service's check.
            payload = {"transition": "approve_review"}
            if number % 2 == 0:
                payload["expected_state"] = "hr_review"
            results.append(race(token, f"/api/v1/dossiers/{dossier.pk}/transitions/", payload))

        def stored():
            return [
                (
                    Dossier.objects.get(pk=dossier.pk).state.code,
                    Opinion.objects.filter(dossier_id=dossier.pk, transition="approve_review").count(),
                )
                for dossier in submitted
            ]

        after = in_thread(stored)

    statuses = [[status for status, _body in outcome] for outcome in results]
    print(f"race: {ROUNDS} rounds of 2 simultaneous requests: {Counter(map(tuple, statuses))}")
    assert statuses == [[200, 409]] * ROUNDS, statuses
    for (_ok, _won), (_status, lost) in results:
        assert lost["error"]["code"] == "conflict" and any("\u4e00" <= ch <= "\u9fff" for ch in lost["error"]["message"])
    won_state = results[0][0][1]["state"]
    assert after == [(won_state, 1)] * ROUNDS


@contextmanager
def lock_held_elsewhere(dossier_pk):
    """Another connection holds the lock a transition needs (SQLite: the database's write lock; PostgreSQL: the
    dossier's row), and this thread's new connections give up waiting for a lock after 0.2 s, so the request
    under test loses the race for certain."""
    settings_dict = connections.settings["default"]
    options = settings_dict.setdefault("OPTIONS", {})
    saved = dict(options)
    if connection.vendor == "sqlite":
        holder = sqlite3.connect(settings_dict["NAME"], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        options["timeout"] = 0.2
    else:
        import psycopg

        holder = psycopg.connect(
            dbname=settings_dict["NAME"], user=settings_dict["USER"], password=settings_dict["PASSWORD"],
            host=settings_dict["HOST"] or None, port=settings_dict["PORT"] or None,
        )
        holder.execute("SELECT id FROM casefiles_dossier WHERE id = %s FOR UPDATE", [dossier_pk])
        options["options"] = "-c lock_timeout=200"
    try:
        yield
    finally:
        options.clear()
        options.update(saved)
        holder.rollback()
        holder.close()


SURFACES = {
    # surface: (who acts, URL of the transition, form or JSON data)
    "api": (REVIEWER, "/api/v1/dossiers/{pk}/transitions/", {"transition": "approve_review", "expected_state": "hr_review"}),
    "admin": (REVIEWER, "/admin/dossiers/{pk}/transition/", {"transition": "approve_review", "expected_state": "hr_review"}),
    "portal": (None, "/applications/{pk}/transition/", {"transition": "submit", "confirm": "1"}),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.smoke
def test_a_lost_lock_race_is_a_409_in_chinese_on_every_surface(tmp_path):
    """The API, the admin and the portal answer a write that could not get its lock with 409 and say so in
    Chinese (one mapping, huicai.conflicts); nothing is written."""
    from casefiles.models import Dossier, Opinion

    setup_schemes()
    draft = new_dossier("liaocheng", seed=11)
    submitted = dossier_transition(dossier=new_dossier("liaocheng", seed=12), transition="submit",
                                   user=user("liaocheng.applicant"))
    with database_shared_by_threads(tmp_path):
        answers = {}
        for surface, (username, url, data) in SURFACES.items():
            dossier = draft if username is None else submitted
            actor = user(username) if username else dossier.applicant

            def post():
                client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="zh-hans")
                client.force_login(actor)
                connection.close()  # the request's connection is opened under the lock, with the short wait
                with lock_held_elsewhere(dossier.pk):
                    if surface == "api":
                        return client.post(url.format(pk=dossier.pk), data, content_type="application/json")
                    return client.post(url.format(pk=dossier.pk), data)

            answers[surface] = in_thread(post)

        def stored():
            return {pk: (Dossier.objects.get(pk=pk).state.code, Opinion.objects.filter(dossier_id=pk).count())
                    for pk in (draft.pk, submitted.pk)}

        after = in_thread(stored)

    assert {surface: response.status_code for surface, response in answers.items()} == dict.fromkeys(SURFACES, 409)
    message = answers["api"].json()["error"]["message"]
    assert answers["api"].json()["error"]["code"] == "conflict" and any("\u4e00" <= ch <= "\u9fff" for ch in message)
    for surface in ("admin", "portal"):
        assert message in answers[surface].content.decode(), surface
    assert after == {draft.pk: (draft.state.code, 0), submitted.pk: (submitted.state.code, 1)}


def test_sqlite_write_transactions_take_the_lock_when_they_begin():
    from django.conf import settings

    if connection.vendor == "sqlite":
        assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert settings.DATABASES["default"]["OPTIONS"]["timeout"] >= 5


@pytest.mark.parametrize(
    "error, conflict",
    [
        (OperationalError("database is locked"), True),
        (OperationalError("database table is locked"), True),
        (OperationalError("no such table: casefiles_dossier"), False),
        (DatabaseError("could not serialize access due to concurrent update"), False),  # no SQLSTATE: not guessed
        (ValueError("database is locked"), False),
    ],
)
def test_lock_failures_are_recognised_by_their_code(error, conflict):
    assert is_lock_failure(error) is conflict
    assert (lock_conflict(error) is not None) is conflict


@pytest.mark.parametrize("sqlstate", ["40001", "40P01", "55P03"])
def test_postgresql_lock_failures_are_conflicts(sqlstate):
    class DriverError(Exception):
        pass

    cause = DriverError("canceling statement")
    cause.sqlstate = sqlstate
    error = OperationalError("canceling statement")
    error.__cause__ = cause
    assert is_lock_failure(error)


# --- error pages --------------------------------------------------------------------------------------------

RAW = [ALICE.id_number, ALICE.phone, ALICE.new_phone]


def boom(request, number):
    """A view that fails the way a real one does: a query with the ID number as a parameter, locals holding it."""
    id_number = ALICE.id_number
    holder = {"id_number": id_number, "phone": ALICE.phone}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_for_this_test WHERE id_number = %s", [id_number])
    except DatabaseError as exc:
        raise RuntimeError(f"lookup of {id_number} ({holder['phone']}) failed") from exc
    return HttpResponse("unreachable")


urlpatterns = [path("boom/<str:number>/", boom)]


@pytest.mark.django_db
@pytest.mark.smoke
@pytest.mark.parametrize("accept", ["text/html", "text/plain"])
@override_settings(DEBUG=True, ROOT_URLCONF=__name__)
def test_technical_500_page_masks_id_and_phone_numbers(accept):
    client = Client(raise_request_exception=False, HTTP_ACCEPT=accept)
    response = client.post(
        f"/boom/{ALICE.id_number}/?phone={ALICE.new_phone}",
        {"id_number": ALICE.id_number, "mobile": ALICE.new_phone},
    )
    assert response.status_code == 500
    page = response.content.decode()
    assert "no_such_table_for_this_test" in page  # it is the technical page, with the failed query in it
    assert "id_number" in page and "holder" in page  # frame variables are shown
    leaked = [value for value in RAW if value in page]
    assert leaked == []
    for value in RAW:
        assert scrub_text(value) in page


@pytest.mark.django_db
@pytest.mark.smoke
@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_production_500_page_shows_nothing_personal():
    client = Client(raise_request_exception=False)
    response = client.post(f"/boom/{ALICE.id_number}/?phone={ALICE.new_phone}", {"id_number": ALICE.id_number})
    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器错误" in page
    assert not any(value in page for value in RAW)
    assert not any(scrub_text(value) in page for value in RAW)
