"""Backup and restore: the demo site is backed up, restored into an empty database (a new SQLite file, or
a database created for the purpose on PostgreSQL) with empty storage, and the restored site works: the
same rows, a public page, staff search, an attachment with identical bytes, a verifying journal."""

import io
import sqlite3
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from casefiles.management.commands.backup import table_counts
from casefiles.models import Attachment, Dossier
from casefiles.services.journal import journal_check
from search import service

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.smoke]


def _private_at(path):
    """Point the private storage the models hold (evaluated at import) at ``path``; returns the old one."""
    storage = Attachment._meta.get_field("file").storage
    old = storage._location
    storage._location = str(path)
    for attr in ("base_location", "location"):
        storage.__dict__.pop(attr, None)
    return old


@pytest.fixture
def second_database(tmp_path):
    """Yields a function that switches the default connection to a new, empty database."""
    original = dict(connection.settings_dict)
    keep_alive = None
    created = []
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Keep the in-memory test database alive while the connection looks elsewhere.
        keep_alive = sqlite3.connect(original["NAME"], uri=True)

    def switch():
        connection.close()
        if connection.vendor == "postgresql":
            import psycopg

            name = f"{original['NAME']}_restore_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(dbname=original["NAME"], user=original["USER"], password=original["PASSWORD"],
                                 host=original["HOST"] or "127.0.0.1", port=original["PORT"] or 5432, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            created.append(name)
            connection.settings_dict["NAME"] = name
        else:
            connection.settings_dict["NAME"] = str(tmp_path / "restored.sqlite3")
        connection.close()
        service.reset_backends()

    yield switch
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(original)
    service.reset_backends()
    for name in created:
        import psycopg

        with psycopg.connect(dbname=original["NAME"], user=original["USER"], password=original["PASSWORD"],
                             host=original["HOST"] or "127.0.0.1", port=original["PORT"] or 5432, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if keep_alive is not None:
        # Reopen the test database before letting go of it: an in-memory SQLite database is gone once its last
        # connection closes, and later tests (transactional ones first) would find it empty.
        connection.ensure_connection()
        keep_alive.close()


def test_backup_then_restore_into_an_empty_database(settings, tmp_path, client, second_database):
    settings.ELASTICSEARCH_URL = ""
    settings.HUICAI_SEARCH_SQLITE_PATH = tmp_path / "search.sqlite3"
    service.reset_backends()  # a backend an earlier test of this process made would still write to its own file
    settings.MEDIA_ROOT = str(tmp_path / "media-a")
    storages._storages.pop("default", None)
    old_private = _private_at(tmp_path / "private-a")
    try:
        call_command("load_demo", password="demo-pass-123", stdout=io.StringIO())
        counts = table_counts()
        attachment = Attachment.objects.select_related("dossier__applicant").order_by("pk").first()
        with attachment.file.open("rb") as handle:
            original_bytes = handle.read()
        applicant, attachment_pk = attachment.dossier.applicant.username, attachment.pk
        dossier = Dossier.objects.order_by("pk").first()
        reference, dossier_pk = dossier.reference, dossier.pk

        backup_dir = tmp_path / "backup"
        out = io.StringIO()
        call_command("backup", str(backup_dir), stdout=out)
        assert (backup_dir / "manifest.json").is_file()
        assert (backup_dir / "private" / attachment.file.name).is_file()

        # A corrupted backup is refused before anything is touched.
        broken = tmp_path / "broken"
        import shutil

        shutil.copytree(backup_dir, broken)
        (broken / "private" / attachment.file.name).write_bytes(b"not the file")
        second_database()
        with pytest.raises(CommandError, match="checksum"):
            call_command("restore", str(broken), stdout=io.StringIO())

        # The real restore: empty database, empty storage.
        settings.MEDIA_ROOT = str(tmp_path / "media-b")
        storages._storages.pop("default", None)
        _private_at(tmp_path / "private-b")
        with connection.cursor() as cursor:
            assert connection.introspection.table_names(cursor) == [], "the target database starts empty"
        out = io.StringIO()
        call_command("restore", str(backup_dir), stdout=out)
        assert "chain OK" in out.getvalue()
        assert table_counts() == counts

        with pytest.raises(CommandError, match="already has"):
            call_command("restore", str(backup_dir), stdout=io.StringIO())

        assert journal_check().ok
        home = client.get("/")
        assert home.status_code == 200 and "<html" in home.content.decode().lower()
        admin = get_user_model().objects.get(username="admin")
        found = service.search_staff(admin, reference)
        assert str(dossier_pk) in [h.key for h in found.hits]
        client.force_login(get_user_model().objects.get(username=applicant))
        response = client.get(f"/attachments/{attachment_pk}/download/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content if response.streaming else [response.content]) == original_bytes
        assert str(tmp_path / "private-b") in Attachment.objects.get(pk=attachment_pk).file.path
    finally:
        storages._storages.pop("default", None)
        _private_at(old_private)
