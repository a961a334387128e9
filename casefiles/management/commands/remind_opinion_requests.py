"""Remind departments and experts of open requests for an opinion that are overdue or due within one working
day, at most once a day per request (``manage.py run_daily`` enqueues it daily: casefiles/tasks.py)."""

import datetime

from django.core.management.base import BaseCommand

from casefiles.services.opinions import opinion_requests_remind


class Command(BaseCommand):
    help = "Remind those asked for an opinion of requests overdue or due within one working day (once a day)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=datetime.date.fromisoformat, default=None, help="Run as of this day (YYYY-MM-DD)."
        )

    def handle(self, *args, date=None, **options):
        sent = opinion_requests_remind(today=date)
        self.stdout.write(f"reminders: {sent}")
