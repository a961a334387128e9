"""The journal's hash chain: ``manage.py journal_verify`` passes on an intact chain and names the row
when one is edited behind the application's back (raw SQL) or deleted."""


import pytest

from casefiles.models import JournalEntry
from casefiles.services.journal import journal_check, journal_write
from tests.security.journal_tampering import tamper, verify, verify_fails

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def chain(db):
    return [journal_write(action="tests.security.step", data={"n": n, "comment": f"step {n}"}) for n in range(6)]


def test_intact_chain_verifies(chain):
    output = verify()
    assert f"{JournalEntry.objects.count()} entries" in output and "OK" in output


def test_raw_sql_edit_is_named(chain):
    victim = chain[3]
    tamper("UPDATE {table} SET action = %s WHERE id = %s", ["tests.security.forged", victim.pk])
    message = verify_fails()
    assert f"id={victim.pk}" in message and "check=content" in message
    assert "tests.security.forged" in message
    assert victim.created_at.isoformat() in message
    report = journal_check()
    assert report.problem.entry.pk == victim.pk


def test_edited_data_is_named(chain):
    victim = chain[1]
    tamper("UPDATE {table} SET data = %s WHERE id = %s", ['{"n": 99, "comment": "step 1"}', victim.pk])
    message = verify_fails()
    assert f"id={victim.pk}" in message and "check=content" in message


def test_deleted_middle_row_is_named_as_a_gap(chain):
    gone, after = chain[2], chain[3]
    tamper("DELETE FROM {table} WHERE id = %s", [gone.pk])
    message = verify_fails()
    assert f"id={after.pk}" in message and "check=link" in message
    assert f"ids {gone.pk}..{gone.pk} are missing" in message
    assert f"previous intact entry id={chain[1].pk}" in message


def test_deleted_last_row_is_noticed(chain):
    tamper("DELETE FROM {table} WHERE id = %s", [chain[-1].pk])
    message = verify_fails()
    assert "check=head" in message and f"id={chain[-2].pk}" in message


def test_journal_data_never_holds_raw_identity(db):
    entry = journal_write(action="tests.security.pii", data={
        "before": {"applicant_name": "张小明", "id_number": "110101199003074514", "phone": "13812345678",
                   "email": "zhang.xiaoming@example.cn"},
        "comment": "电话13812345678，身份证110101199003074514",
    })
    stored = str(JournalEntry.objects.get(pk=entry.pk).data)
    for raw in ("张小明", "110101199003074514", "13812345678", "zhang.xiaoming"):
        assert raw not in stored
    assert "张*明" in stored and "138****5678" in stored
    assert journal_check().ok
