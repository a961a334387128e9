"""Back up everything the site needs: ``manage.py backup <dir>``.

Writes into ``<dir>`` (which must be empty or not exist):

- ``db.dump`` (PostgreSQL, ``pg_dump -Fc``) or ``db.sqlite3`` (SQLite, the online backup API);
- ``private/`` — the private storage (attachments, generated PDFs: ``HUICAI_PRIVATE_ROOT``);
- ``media/`` — public media (Wagtail images and documents);
- ``manifest.json`` — what was backed up, row counts per table and the SHA-256 of every file.

``manage.py restore <dir>`` is the other half. The search index is not backed up: restore rebuilds it.
"""

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from search.backends.embedded import TABLE_PREFIXES

MANIFEST = "manifest.json"


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def storage_roots():
    """(private root, media root) as the storages actually use them."""
    from casefiles.models import Attachment

    private = Path(Attachment._meta.get_field("file").storage.location)  # the instance the models write to
    media = Path(getattr(storages["default"], "location", settings.MEDIA_ROOT))
    return private, media


def pg_env(settings_dict):
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return env


def pg_args(settings_dict):
    args = []
    if settings_dict.get("HOST"):
        args += ["-h", settings_dict["HOST"]]
    if settings_dict.get("PORT"):
        args += ["-p", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["-U", settings_dict["USER"]]
    return args


def table_counts():
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table.startswith((*TABLE_PREFIXES, "sqlite_")):
                continue  # the embedded search index is rebuilt on restore
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def file_entries(root, base):
    entries = {}
    for path in sorted(Path(root).rglob("*")):
        if path.is_file():
            entries[str(path.relative_to(base))] = {"sha256": sha256_of(path), "size": path.stat().st_size}
    return entries


class Command(BaseCommand):
    help = "Back up the database, private storage and media into a directory, with a checksummed manifest."

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        target = Path(directory)
        if target.exists() and any(target.iterdir()):
            raise CommandError(f"{target} is not empty")
        target.mkdir(parents=True, exist_ok=True)
        vendor = connection.vendor
        if vendor == "postgresql":
            dump = target / "db.dump"
            s = connection.settings_dict
            result = subprocess.run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", *pg_args(s), "-f", str(dump), s["NAME"]],
                                    env=pg_env(s), capture_output=True, text=True)
            if result.returncode != 0:
                raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        elif vendor == "sqlite":
            dump = target / "db.sqlite3"
            connection.ensure_connection()
            destination = sqlite3.connect(dump)
            try:
                connection.connection.backup(destination)
            finally:
                destination.close()
        else:
            raise CommandError(f"no backup method for {vendor}")
        private, media = storage_roots()
        for root, name in ((private, "private"), (media, "media")):
            if root.is_dir():
                shutil.copytree(root, target / name, symlinks=False)
            else:
                (target / name).mkdir()
        files = {dump.name: {"sha256": sha256_of(dump), "size": dump.stat().st_size}}
        files.update(file_entries(target / "private", target))
        files.update(file_entries(target / "media", target))
        manifest = {
            "format": 1,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "vendor": vendor,
            "database": dump.name,
            "tables": table_counts(),
            "files": files,
        }
        (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        os.chmod(target, 0o700)
        self.stdout.write(f"backup: {vendor} database, {len(files) - 1} files, {sum(manifest['tables'].values())} rows -> {target}")
