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


#: A version whose text could not be read is tried once more after this long (a busy worker, a transient error).
EXTRACTION_RETRY_SECONDS = 300


@task()
def extract_document_text(version_id):
    """Full text of one document version for staff search (casefiles/services/extraction.py); one retry."""
    from huicai.background import runs_in_database

    from .services.extraction import version_extract_text

    again = version_extract_text(version_id)
    if again:
        if runs_in_database(extract_document_text):
            run_after = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=EXTRACTION_RETRY_SECONDS)
            extract_document_text.using(run_after=run_after).enqueue(version_id=version_id)
        else:
            extract_document_text.enqueue(version_id=version_id)
    return {"retry": again}
