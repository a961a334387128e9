"""Background tasks of service delivery (run by ``manage.py db_worker``; enqueued daily by ``manage.py run_daily``)."""

import datetime

from django_tasks import task


@task()
def remind_overdue_service_requests(date=None):
    """Remind the responsible unit and the programme office of accepted requests past their due day (督办)."""
    from .services import requests_overdue_remind

    today = datetime.date.fromisoformat(date) if date else None
    return {"reminders": requests_overdue_remind(today=today)}
