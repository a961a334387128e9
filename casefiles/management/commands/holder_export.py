"""PIPL access request: ``manage.py holder_export <id-number | username | account id> [--dir DIR]``.

Writes a zip (data.json + attachment files) of everything held about the person under
PRIVATE_ROOT/exports (never under media/) and journals the export. Prints the path.
"""

from django.core.management.base import BaseCommand, CommandError

from casefiles.exceptions import CaseFileError
from casefiles.services.privacy import holder_export


class Command(BaseCommand):
    help = "Export everything held about one person (ID number, username or account id) to a private zip."

    def add_arguments(self, parser):
        parser.add_argument("who", help="ID number, username or account id")
        parser.add_argument("--dir", default=None, help="Directory to write to (default PRIVATE_ROOT/exports).")
        parser.add_argument("--reason", default="", help="Why (the request's reference), for the journal.")

    def handle(self, *args, who, dir=None, reason="", **options):
        try:
            path = holder_export(who=who, directory=dir, reason=reason)
        except CaseFileError as error:
            raise CommandError(error.message) from error
        self.stdout.write(str(path))
