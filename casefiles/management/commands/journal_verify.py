"""Verify the journal's hash chain: ``manage.py journal_verify``.

Prints the number of entries and OK, or exits with status 1 naming the first broken entry (id, time,
action and which check failed: ``content`` = edited row, ``link`` = a row before it deleted or inserted,
``head`` = rows at the end deleted).
"""

from django.core.management.base import BaseCommand, CommandError

from casefiles.services.journal import journal_check


class Command(BaseCommand):
    help = "Walk the journal's hash chain; exit non-zero naming the first tampered or missing entry."

    def handle(self, *args, **options):
        report = journal_check()
        if report.ok:
            self.stdout.write(f"journal: {report.count} entries, chain OK")
            return
        raise CommandError(f"journal chain BROKEN after {report.count} entries checked: {report.problem.describe()}")
