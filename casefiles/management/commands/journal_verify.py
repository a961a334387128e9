"""Verify the journal's hash chains: ``manage.py journal_verify [--chain CHAIN ...]``.

The journal has one chain per jurisdiction (``jurisdiction:<id>``), a ``site`` chain for entries of no
jurisdiction and the ``global`` chain of the entries written before issue #21. Prints one line per chain (its
entries and OK) and exits with status 1 when any chain is broken, naming in each broken chain the first broken
entry (id, time, action and which check failed: ``content`` = edited row, ``link`` = an entry before it deleted or
inserted, ``head`` = entries at the end deleted).
"""

from django.core.management.base import BaseCommand, CommandError

from casefiles.services.journal import journal_chain_label, journal_check


class Command(BaseCommand):
    help = "Walk each of the journal's hash chains; exit non-zero naming the first tampered or missing entry of each broken chain."

    def add_arguments(self, parser):
        parser.add_argument("--chain", action="append", help="verify only this chain (repeatable)")

    def handle(self, *args, chain=None, **options):
        report = journal_check(chains=chain)
        for part in report.chains:
            state = "OK" if part.ok else "BROKEN"
            self.stdout.write(f"chain {journal_chain_label(part.chain)}: {part.count} entries, {state}")
        if report.ok:
            self.stdout.write(f"journal: {report.count} entries in {len(report.chains)} chains, every chain OK")
            return
        problems = "; ".join(
            f"{journal_chain_label(c.chain)} broken after {c.count} entries checked: {c.problem.describe()}"
            for c in report.broken
        )
        raise CommandError(f"journal chain BROKEN ({len(report.broken)} of {len(report.chains)} chains): {problems}")
