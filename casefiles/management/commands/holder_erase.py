"""PIPL erasure: ``manage.py holder_erase <id-number | username | account id> [--force --reason TEXT]``.

Anonymises the person's dossiers, cards and account and deletes their attachment files; the journal is
kept (it stores no raw identity data) and records the erasure. Refused while a dossier is open or a card
still valid, unless --force with a --reason.
"""

from django.core.management.base import BaseCommand, CommandError

from casefiles.exceptions import CaseFileError
from casefiles.services.privacy import holder_erase


class Command(BaseCommand):
    help = "Anonymise everything held about one person once retention allows (journal kept)."

    def add_arguments(self, parser):
        parser.add_argument("who", help="ID number, username or account id")
        parser.add_argument("--force", action="store_true", help="Erase although a dossier is open or a card valid.")
        parser.add_argument("--reason", default="", help="Why (required with --force), for the journal.")

    def handle(self, *args, who, force=False, reason="", **options):
        try:
            result = holder_erase(who=who, force=force, reason=reason)
        except CaseFileError as error:
            raise CommandError(error.message) from error
        line = "erased: {dossiers} dossiers, {cards} cards, {accounts} accounts, {attachments_deleted} files".format(**result)
        self.stdout.write(line + (" (forced)" if result["forced"] else ""))
