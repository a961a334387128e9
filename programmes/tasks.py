"""Background tasks of the programmes (run by ``manage.py db_worker``; huicai/background.py)."""

from django_tasks import task


@task()
def programme_daily(working_days=2):
    """Dossiers and feedback due within ``working_days`` go to the departments acting on them (as
    ``manage.py programme_daily``)."""
    from .services import dossier_deadlines_remind, feedback_deadlines_remind

    return {
        "dossier_reminders": dossier_deadlines_remind(working_days=working_days),
        "feedback_reminders": feedback_deadlines_remind(working_days=working_days),
    }
