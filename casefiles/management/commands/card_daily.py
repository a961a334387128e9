"""The daily card job: expire cards, send expiry reminders, list automatic exit candidates (``manage.py
run_daily`` enqueues the same work for the worker every day: casefiles/tasks.py ``card_daily``).

It never revokes a card: holders who meet an automatic exit rule are listed for a reviewer to confirm.
"""

import datetime

from django.core.management.base import BaseCommand

from casefiles.services.cards import cards_expire_due, cards_send_reminders, exit_candidates_detect


class Command(BaseCommand):
    help = "Expire cards, send expiry reminders (60 and 30 days ahead) and list automatic exit candidates."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=datetime.date.fromisoformat, default=None, help="Run as of this day (YYYY-MM-DD).")

    def handle(self, *args, date=None, **options):
        expired = cards_expire_due(today=date)
        reminded = cards_send_reminders(today=date)
        candidates = exit_candidates_detect(today=date)
        self.stdout.write(f"expired: {expired}")
        self.stdout.write(f"reminders: {reminded}")
        self.stdout.write(f"exit candidates: {len(candidates)}")
        for candidate in candidates:
            self.stdout.write(f"  {candidate.card.number} {candidate.reason.article} {candidate.reason.text}")
