"""PIPL: a holder's data export holds their data and nobody else's; erasure leaves no raw name, ID or phone
number anywhere in the database, deletes their files, keeps (and still verifies) the journal, and
takes them out of search."""

import io
import json
import os
import re
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from casefiles.models import Attachment, Card, CardStatus, Dossier, JournalEntry
from casefiles.services.journal import journal_check
from casefiles.services.privacy import ErasureRefused, holder_erase, holder_export
from search import service
from tests.casefiles.factories import setup_schemes

from .people import ALICE, BOB, full_flow, needles, scan_database, staff, start

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]


@pytest.fixture
def embedded_search(settings, tmp_path):
    settings.ELASTICSEARCH_URL = ""
    settings.HUICAI_SEARCH_INDEX_PREFIX = f"privacy-{os.getpid()}"
    settings.HUICAI_SEARCH_SQLITE_PATH = tmp_path / "search.sqlite3"
    service.clear_cool_off()
    backend = service.get_backend()
    backend.ensure()
    backend.drop()
    yield backend
    service.clear_cool_off()


@pytest.fixture
def people(db, settings, tmp_path, embedded_search, django_capture_on_commit_callbacks):
    settings.PRIVATE_ROOT = tmp_path / "private"  # where exports go
    setup_schemes()
    with django_capture_on_commit_callbacks(execute=True):
        alice = full_flow(ALICE)
        bob = start(BOB)
    return alice, bob


def test_export_holds_the_person_and_nobody_else(people, settings):
    alice, bob = people
    out = io.StringIO()
    call_command("holder_export", ALICE.id_number, "--reason", "PIPL-2026-001", stdout=out)
    path = Path(out.getvalue().strip())
    assert path.is_file()
    assert Path(settings.PRIVATE_ROOT) in path.parents
    assert Path(settings.MEDIA_ROOT).resolve() not in path.resolve().parents
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        data = archive.read("data.json").decode()
        files = {n: archive.read(n) for n in names if n.startswith("attachments/")}
    bundle = json.loads(data)
    assert ALICE.name in data and ALICE.id_number in data and ALICE.new_phone in data
    assert [d["reference"] for d in bundle["dossiers"]] == [alice.reference]
    card = Card.objects.get(dossier=alice)
    assert [c["number"] for c in bundle["cards"]] == [card.number]
    assert any(e["kind"] == "issue" for e in bundle["cards"][0]["events"])
    assert len(bundle["dossiers"][0]["opinions"]) == 5
    assert bundle["accounts"][0]["username"] == ALICE.username
    assert bundle["accounts"][0]["notifications"], "the holder's notifications are part of the export"
    attachments = Attachment.objects.filter(dossier=alice)  # the named file and the required materials
    assert len(attachments) >= 2
    assert sorted(files.values()) == sorted(a.file.open("rb").read() for a in attachments)
    for other in (BOB.name, BOB.id_number, BOB.phone, BOB.email, bob.reference, "verification_token"):
        assert other not in data
    assert JournalEntry.objects.filter(action="casefiles.privacy.export").count() == 1
    assert journal_check().ok


def test_export_by_account_and_never_into_media(people, settings):
    with pytest.raises(Exception):
        holder_export(who=ALICE.username, directory=Path(settings.MEDIA_ROOT) / "exports")
    path = holder_export(who=ALICE.username)
    with zipfile.ZipFile(path) as archive:
        assert ALICE.id_number in archive.read("data.json").decode()


def test_erasure_refused_while_card_valid_then_forced(people, embedded_search, django_capture_on_commit_callbacks):
    alice, bob = people
    service.drain_outbox(batch=1000)
    admin = staff("admin")
    assert service.search_staff(admin, ALICE.name).total == 1
    journal_before = JournalEntry.objects.count()
    file_paths = [Path(a.file.path) for a in Attachment.objects.filter(dossier=alice)]
    assert file_paths and all(p.is_file() for p in file_paths)

    live_card = Card.objects.get(dossier=alice).number
    with pytest.raises(CommandError, match=re.escape(live_card)):  # the refusal names the valid card
        call_command("holder_erase", ALICE.id_number, stdout=io.StringIO())
    with pytest.raises(ErasureRefused):
        holder_erase(who=ALICE.id_number, force=True, reason="")
    assert Dossier.objects.get(pk=alice.pk).applicant_name == ALICE.name, "a refused erasure changes nothing"

    with django_capture_on_commit_callbacks(execute=True):
        call_command("holder_erase", ALICE.id_number, "--force", "--reason", "本人申请注销（测试）", stdout=io.StringIO())

    leftovers = scan_database(needles(ALICE))
    assert leftovers == {}, f"raw personal data survived erasure: {leftovers}"
    assert scan_database([BOB.name, BOB.id_number]), "the other person is untouched"
    assert Dossier.objects.get(pk=bob.pk).applicant_name == BOB.name
    assert not any(p.exists() for p in file_paths), "attachment files are deleted"
    assert not Attachment.objects.filter(dossier=alice).exists()
    card = Card.objects.get(dossier=alice)
    assert card.status == CardStatus.ACTIVE, "erasure anonymises; it does not fake a revocation"
    assert JournalEntry.objects.count() == journal_before + 1, "the journal is kept, plus the erasure"
    erase = JournalEntry.objects.get(action="casefiles.privacy.erase")
    assert erase.data["forced"] is True and alice.reference in erase.data["dossiers"]
    assert journal_check().ok
    service.drain_outbox(batch=1000)
    assert service.search_staff(admin, ALICE.name).total == 0
    assert service.search_staff(admin, BOB.name).total == 1


def test_erasure_allowed_once_closed(people):
    _alice, bob = people
    from casefiles.services.dossiers import dossier_transition

    dossier_transition(dossier=bob, transition="withdraw", user=bob.applicant)
    attachments = Attachment.objects.filter(dossier=bob).count()
    assert attachments >= 2  # the named file and the required materials
    result = holder_erase(who=BOB.username)
    assert result == {"dossiers": 1, "cards": 0, "accounts": 1, "attachments_deleted": attachments, "forced": False}
    service.drain_outbox(batch=1000)  # the search index lives in this database too (embedded backend)
    assert scan_database([BOB.name, BOB.id_number, BOB.phone]) == {}
    assert journal_check().ok
