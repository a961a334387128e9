"""Restore a backup made by ``manage.py backup``: ``manage.py restore <dir>``.

Checks every file against the manifest first, refuses a database that already has tables (restore into
an empty one: ``createdb`` for PostgreSQL, a new file for SQLite), loads the database (``pg_restore`` /
the SQLite backup API), copies private storage and media back, compares row counts with the manifest,
rebuilds the search index (``search_reindex``) and verifies the journal's hash chain.
"""

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from casefiles.services.journal import journal_check

from .backup import MANIFEST, pg_args, pg_env, sha256_of, storage_roots, table_counts


class Command(BaseCommand):
    help = "Restore a backup directory into an empty database, then rebuild the search index."

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--skip-reindex", action="store_true", help="Do not rebuild the search index.")

    def handle(self, *args, directory, skip_reindex=False, **options):
        source = Path(directory)
        manifest_path = source / MANIFEST
        if not manifest_path.is_file():
            raise CommandError(f"{source} has no {MANIFEST}")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for name, entry in manifest["files"].items():
            path = source / name
            if not path.is_file() or sha256_of(path) != entry["sha256"]:
                raise CommandError(f"{name}: missing or its checksum differs from the manifest; nothing was restored")
        if manifest["vendor"] != connection.vendor:
            raise CommandError(f"the backup is of a {manifest['vendor']} database, this site uses {connection.vendor}")
        with connection.cursor() as cursor:
            existing = connection.introspection.table_names(cursor)
        if existing:
            raise CommandError(f"the database already has {len(existing)} tables: restore into an empty database")

        dump = source / manifest["database"]
        if connection.vendor == "postgresql":
            s = connection.settings_dict
            connection.close()
            result = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *pg_args(s),
                                     "-d", s["NAME"], str(dump)], env=pg_env(s), capture_output=True, text=True)
            if result.returncode != 0:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        else:
            connection.ensure_connection()
            backup = sqlite3.connect(dump)
            try:
                backup.backup(connection.connection)
            finally:
                backup.close()
        connection.close()

        private, media = storage_roots()
        for name, root in (("private", private), ("media", media)):
            if (source / name).is_dir():
                shutil.copytree(source / name, root, dirs_exist_ok=True)

        counts = table_counts()
        different = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
        if different:
            raise CommandError(f"row counts differ from the manifest: {different}")
        self.stdout.write(f"restore: {len(counts)} tables, {sum(counts.values())} rows, {len(manifest['files']) - 1} files")
        if not skip_reindex:
            from search import service

            service.reset_backends()  # a backend may remember the tables of the database before
            service.clear_cool_off()
            call_command("search_reindex", quiet=True, stdout=self.stdout)
        report = journal_check()
        if not report.ok:
            raise CommandError(f"restored, but the journal does not verify: {report.problem.describe()}")
        self.stdout.write(f"journal: {report.count} entries, chain OK")
