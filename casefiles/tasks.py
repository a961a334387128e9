"""Background tasks of the case files (run by ``manage.py db_worker``; huicai/background.py)."""

import datetime

from django_tasks import task

from . import notify


@task()
def deliver_notification(*, recipient_ids, subject, body, url, event, sms_phone=None):
    """Inbox rows, e-mails and the SMS of one notification (casefiles/notify.py)."""
    return notify.deliver(
        recipient_ids=recipient_ids, subject=subject, body=body, url=url, event=event, sms_phone=sms_phone
    )


def _day(date):
    return datetime.date.fromisoformat(date) if date else None


@task()
def card_daily(date=None):
    """Expire cards, send expiry reminders, detect automatic exit candidates (as ``manage.py card_daily``)."""
    from .services.cards import cards_expire_due, cards_send_reminders, exit_candidates_detect

    today = _day(date)
    expired = cards_expire_due(today=today)
    reminded = cards_send_reminders(today=today)
    candidates = exit_candidates_detect(today=today)
    return {"expired": expired, "reminders": reminded, "exit_candidates": len(candidates)}


@task()
def remind_opinion_requests(date=None):
    """Remind those asked for an opinion of overdue requests (as ``manage.py remind_opinion_requests``)."""
    from .services.opinions import opinion_requests_remind

    return {"reminders": opinion_requests_remind(today=_day(date))}


@task()
def run_job(job_id):
    """A job someone waits for: a batch's print file, an announcement's PDF, grants after a rule change
    (casefiles/services/jobs.py)."""
    from .services.jobs import job_run

    return job_run(job_id)
