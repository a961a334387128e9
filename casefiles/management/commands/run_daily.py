"""Every daily job, from one command: the one entry a scheduler calls (docs/DEPLOYMENT.md: a cron line or a
systemd timer, once a day).

By default each job is enqueued for the worker (``manage.py db_worker``), so this command returns at once and a
slow job cannot hold the scheduler; ``--now`` runs them here, one after another, and prints what each did.
"""

import datetime
import io

from django.core.management import call_command
from django.core.management.base import BaseCommand

from casefiles.tasks import card_daily, remind_opinion_requests
from delivery.tasks import remind_overdue_service_requests
from huicai.background import runs_in_database
from programmes.tasks import programme_daily
from search.tasks import index_outbox

# The daily jobs: cards (expiry, reminders, automatic exit detection), opinion reminders, programme deadline
# reminders, overdue service requests (督办), and a catch-up of the search outbox (rows a failed run left behind).
DAILY = (card_daily, remind_opinion_requests, programme_daily, remind_overdue_service_requests, index_outbox)
DATED = (card_daily, remind_opinion_requests, remind_overdue_service_requests)
KEEP_RESULTS_DAYS = 14
KEEP_FAILED_RESULTS_DAYS = 90


class Command(BaseCommand):
    help = "Run every daily job: enqueue them for the worker, or with --now run them in this process."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="run the jobs here instead of enqueueing them")
        parser.add_argument("--date", type=datetime.date.fromisoformat, default=None, help="as of this day")

    def handle(self, *args, now, date, **options):
        for job in DAILY:
            kwargs = {"date": date.isoformat()} if date and job in DATED else {}
            if now:
                self.stdout.write(f"{job.name}: {job.call(**kwargs)}")
            else:
                result = job.enqueue(**kwargs)
                self.stdout.write(f"{job.name}: enqueued ({result.id})")
        if runs_in_database(index_outbox):
            # Finished task rows are kept two weeks (failed ones three months) for the admin, then removed.
            call_command(
                "prune_db_task_results",
                queue_name="*",
                min_age_days=KEEP_RESULTS_DAYS,
                failed_min_age_days=KEEP_FAILED_RESULTS_DAYS,
                stdout=io.StringIO(),
            )
