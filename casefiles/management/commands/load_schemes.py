"""Load scheme files: ``python manage.py load_schemes FILE.yaml [FILE …] [--dry-run] [--demo-users --password P]``.

An argument is a path to a scheme file, or the slug of a shipped scheme (``tonghua`` means
``casefiles/schemes/tonghua.yaml``); no argument loads every shipped scheme (``casefiles/schemes/shipped.yaml``).
Every file is checked before anything is written (casefiles/schemes/loader.py ``scheme_files_load``): a problem in
any file refuses them all, each problem printed with its file and line, and nothing is stored.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casefiles.demo import DEFAULT_DEMO_PASSWORD, demo_usernames, demo_users_for
from casefiles.schemes.loader import SCHEME_DIR, SCHEME_SLUGS, SchemeDataError, scheme_files_load
from casefiles.services.scheme_files import data_counts, describe_counts
from casefiles.schemes.citations import scheme_validate


def scheme_file_paths(arguments, directory=SCHEME_DIR):
    """Paths for the command's arguments: a path as given; a bare shipped slug (no ``/``, no ``.yaml``) as its file in
    ``casefiles/schemes/``; nothing as every shipped file."""
    paths = []
    for argument in arguments or SCHEME_SLUGS:
        path = Path(argument)
        looks_like_path = path.suffix in (".yaml", ".yml") or len(path.parts) > 1
        paths.append(path if looks_like_path else Path(directory) / f"{argument}.yaml")
    return paths


class Command(BaseCommand):
    help = (
        "Load scheme files by path (or shipped schemes by slug; all shipped ones by default). Every file is checked "
        "first; a problem in any of them refuses all, with its file and line, and nothing is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "files",
            nargs="*",
            metavar="FILE",
            help=f"Scheme files (paths) or shipped slugs (default: {' '.join(SCHEME_SLUGS)})",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and report, store nothing.")
        parser.add_argument(
            "--demo-users",
            action="store_true",
            help="Also make the demo accounts load_demo makes for each scheme loaded.",
        )
        parser.add_argument("--password", default=DEFAULT_DEMO_PASSWORD, help="Password of the demo accounts.")
        parser.add_argument("--strict", action="store_true", help="Fail when a loaded scheme has problems.")

    def handle(self, *args, files, dry_run, demo_users, password, strict, **options):
        paths = scheme_file_paths(files)
        try:
            with transaction.atomic():
                schemes = scheme_files_load(paths, dry_run=dry_run)
                accounts = {}
                if demo_users and not dry_run:
                    for scheme in schemes:
                        made = demo_users_for(scheme, scheme.source_data, password)
                        accounts[scheme.slug] = [name for name, _description in made]
        except SchemeDataError as exc:
            self.stderr.write("方案文件有误，未载入任何内容：")
            raise CommandError(str(exc)) from None
        failed = 0
        for path, scheme in zip(paths, schemes, strict=True):
            counts = describe_counts(data_counts(scheme.source_data))
            heading = f"{scheme.slug}: {scheme.source_data.get('name')} ({path}) — {counts}"
            if dry_run:
                self.stdout.write(self.style.SUCCESS(f"{heading} — 可以载入（试运行，未保存）"))
                if demo_users:
                    self.stdout.write(f"  示范账号（将建立）：{'、'.join(demo_usernames(scheme.source_data))}")
                continue
            problems = scheme_validate(scheme)
            if problems:
                failed += 1
                self.stdout.write(self.style.WARNING(f"{heading}, {len(problems)} problem(s)"))
                for problem in problems:
                    self.stdout.write(f"  - {problem}")
            else:
                self.stdout.write(self.style.SUCCESS(f"{heading}, OK"))
            if scheme.slug in accounts:
                self.stdout.write(f"  示范账号：{'、'.join(accounts[scheme.slug])}")
        if failed and strict:
            raise CommandError(f"{failed} scheme(s) with problems")
