"""Issue #21: one journal chain per jurisdiction (and ``site``). Tampering in one chain is named with its chain
while the others verify; entries written in a rolled-back savepoint of a deferred block are not appended; two
chains append concurrently (PostgreSQL: the second append does not wait for the first's open transaction, proved
with ``lock_timeout``, while a second append to the *same* chain does wait)."""

import threading

import pytest
from django.db import OperationalError, close_old_connections, connection, transaction

from casefiles.models import Department, DepartmentKind, JournalEntry, JournalHead, Jurisdiction
from casefiles.models.journal import SITE_CHAIN
from casefiles.services.journal import journal_check, journal_deferred, journal_write
from tests.security.journal_tampering import tamper, verify, verify_fails


def _department(code):
    jurisdiction = Jurisdiction.objects.create(code=f"tj-{code}", name=f"测试{code}市", level="city")
    return Department.objects.create(
        jurisdiction=jurisdiction, code=f"hr-{code}", name=f"{code} HR", kind=DepartmentKind.HR_BUREAU
    )


@pytest.mark.django_db
def test_entries_go_to_their_jurisdictions_chain_and_the_site_chain():
    east, west = _department("east"), _department("west")
    a = journal_write(action="tests.chain.a", department=east, data={"n": 1})
    b = journal_write(action="tests.chain.b", department=west, data={"n": 2})
    c = journal_write(action="tests.chain.c", department=east, data={"n": 3})
    site = journal_write(action="tests.chain.site", data={"n": 4})
    assert a.chain == c.chain == f"jurisdiction:{east.jurisdiction_id}" != b.chain
    assert site.chain == SITE_CHAIN
    assert (a.position, c.position, b.position) == (1, 2, 1)
    assert c.previous_hash == a.entry_hash and b.previous_hash == ""
    assert JournalHead.objects.get(chain=a.chain).last_hash == c.entry_hash
    output = verify()
    assert f"chain jurisdiction:{east.jurisdiction_id} (测试east市, tj-east): 2 entries, OK" in output
    assert f"chain jurisdiction:{west.jurisdiction_id} (测试west市, tj-west): 1 entries, OK" in output
    assert "chain site: 1 entries, OK" in output and "every chain OK" in output


@pytest.mark.django_db
def test_tampering_in_one_chain_is_named_and_the_others_verify():
    east, west = _department("east"), _department("west")
    east_entries = [journal_write(action="tests.chain.east", department=east, data={"n": n}) for n in range(4)]
    west_entries = [journal_write(action="tests.chain.west", department=west, data={"n": n}) for n in range(3)]
    victim = east_entries[2]
    tamper("UPDATE {table} SET action = %s WHERE id = %s", ["tests.chain.forged", victim.pk])
    message = verify_fails()
    assert "1 of 2 chains" in message
    assert f"chain jurisdiction:{east.jurisdiction_id}: entry id={victim.pk}" in message and "check=content" in message
    assert f"jurisdiction:{west.jurisdiction_id}" not in message
    report = journal_check()
    by_chain = {c.chain: c for c in report.chains}
    assert by_chain[west_entries[0].chain].ok and by_chain[west_entries[0].chain].count == 3
    assert not by_chain[victim.chain].ok and by_chain[victim.chain].problem.entry.pk == victim.pk
    assert "OK" in verify("--chain", west_entries[0].chain)


@pytest.mark.django_db
def test_a_deleted_entry_between_other_chains_entries_is_named_by_position():
    east, west = _department("east"), _department("west")
    written = []
    for n in range(3):
        written.append(journal_write(action="tests.chain.east", department=east, data={"n": n}))
        journal_write(action="tests.chain.west", department=west, data={"n": n})
    gone = written[1]
    tamper("DELETE FROM {table} WHERE id = %s", [gone.pk])
    message = verify_fails()
    assert f"entry id={written[2].pk}" in message and "check=link" in message
    assert f"1 entries (positions 2..2 of the chain) are missing between ids {written[0].pk} and {written[2].pk}" in message


@pytest.mark.django_db
def test_moving_an_entry_to_another_chain_is_detected():
    east, west = _department("east"), _department("west")
    journal_write(action="tests.chain.east", department=east)
    moved = journal_write(action="tests.chain.east", department=east)
    journal_write(action="tests.chain.west", department=west)
    tamper("UPDATE {table} SET chain = %s, position = 2 WHERE id = %s", [f"jurisdiction:{west.jurisdiction_id}", moved.pk])
    report = journal_check()
    assert {c.chain for c in report.broken} == {f"jurisdiction:{east.jurisdiction_id}", f"jurisdiction:{west.jurisdiction_id}"}


@pytest.mark.django_db
def test_deferred_entries_are_appended_in_order_and_a_rolled_back_savepoints_are_dropped():
    east = _department("east")
    with transaction.atomic(), journal_deferred():
        first = journal_write(action="tests.chain.first", department=east)
        assert first.pk is None  # not appended yet
        try:
            with transaction.atomic():
                journal_write(action="tests.chain.rolled_back", department=east)
                raise RuntimeError
        except RuntimeError:
            pass
        with transaction.atomic():
            kept = journal_write(action="tests.chain.kept", department=east)
    assert first.pk is not None and kept.pk is not None
    actions = list(JournalEntry.objects.filter(chain=first.chain).order_by("position").values_list("action", flat=True))
    assert actions == ["tests.chain.first", "tests.chain.kept"]
    assert journal_check().ok


@pytest.mark.django_db
def test_a_deferred_block_left_by_an_exception_appends_nothing():
    east = _department("east")
    with pytest.raises(RuntimeError), transaction.atomic(), journal_deferred():
        journal_write(action="tests.chain.lost", department=east)
        raise RuntimeError
    assert not JournalEntry.objects.filter(action="tests.chain.lost").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_chains_append_concurrently_without_waiting():
    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections need PostgreSQL")
    east, west = _department("east"), _department("west")
    journal_write(action="tests.chain.east", department=east)
    journal_write(action="tests.chain.west", department=west)
    holding, release, failures = threading.Event(), threading.Event(), []

    def hold_east():
        close_old_connections()
        try:
            with transaction.atomic():
                journal_write(action="tests.chain.east.open", department=east)
                holding.set()
                release.wait(timeout=30)
        except Exception as exc:  # reported to the main thread
            failures.append(exc)
        finally:
            holding.set()
            connection.close()

    thread = threading.Thread(target=hold_east)
    thread.start()
    try:
        assert holding.wait(timeout=30) and not failures
        # The other chain: appended at once although east's transaction is still open.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            west_entry = journal_write(action="tests.chain.west.concurrent", department=west)
        assert west_entry.pk is not None
        # The same chain: it waits for east's lock (and gives up at the timeout): the lock is real.
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
            journal_write(action="tests.chain.east.blocked", department=east)
    finally:
        release.set()
        thread.join(timeout=30)
    assert not failures
    assert not JournalEntry.objects.filter(action="tests.chain.east.blocked").exists()
    assert JournalEntry.objects.get(action="tests.chain.east.open").position == 2
    assert journal_check().ok
