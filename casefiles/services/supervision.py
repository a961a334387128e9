"""督办: a department head reminds a department they supervise of an overdue dossier or request for an opinion.

One service: it checks that the sender heads a department whose scheme data lists the responsible department under
``supervises`` (casefiles.selectors_workbench.supervised_by), that the item is overdue now, and that no reminder
about it went out today; then it journals the reminder and notifies the department's people through the ordinary
notification path (casefiles.notify: inbox, e-mail, delivered after commit).
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import CaseFileError, StateConflict, TransitionDenied
from ..models import Dossier, JournalEntry, OpinionRequest, OpinionRequestStatus
from ..notify import notify
from .journal import journal_write
from .locks import lock_dossier

REMIND = "casefiles.supervision.remind"


def _reminded_today(dossier, request, today):
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    entries = JournalEntry.objects.filter(dossier=dossier, action=REMIND, created_at__gte=start)
    if request is not None:
        return entries.filter(object_type=OpinionRequest._meta.label_lower, object_id=str(request.pk)).exists()
    return entries.filter(object_type="").exists()


@transaction.atomic
def overdue_reminder_send(*, user, dossier, request=None):
    """Remind the department an overdue ``dossier`` (or its overdue opinion ``request``) waits on. Returns the
    journal entry. Refused (TransitionDenied) unless ``user`` supervises that department; refused (CaseFileError)
    when the item is not overdue or was already reminded of today."""
    from ..selectors_workbench import _Deadlines, responsible_department, supervised_by

    today = timezone.localdate()
    lock_dossier(dossier.pk)
    dossier = Dossier.objects.select_related("scheme", "state", "authority", "employer").get(pk=dossier.pk)
    scope = next((s for s in supervised_by(user) if s.scheme_id == dossier.scheme_id), None)
    if scope is None:
        raise TransitionDenied(_("Only the head of a department supervising this work may send a reminder."))
    if request is not None:
        request = OpinionRequest.objects.select_related("department", "state").get(pk=request.pk, dossier=dossier)
        if request.status != OpinionRequestStatus.OPEN or request.state_id != dossier.state_id:
            raise StateConflict(_("This request for an opinion has been answered or withdrawn."), dossier.state.code)
        department, due = request.department, request.due_date
        if department is None or department not in scope.departments:
            raise TransitionDenied(_("This request is not addressed to a department you supervise."))
    else:
        department, due = responsible_department(dossier, scope), dossier.due_date
        if department is None:
            raise TransitionDenied(_("This dossier is not waiting on a department you supervise."))
    if due is None or due >= today:
        raise CaseFileError(_("This is not overdue: there is nothing to remind of."), code="not_overdue")
    if _reminded_today(dossier, request, today):
        raise CaseFileError(
            _("A reminder about this was already sent today; another can be sent tomorrow."), code="already_reminded"
        )
    overdue_by = _Deadlines(today).of(due).working_days_overdue
    entry = journal_write(
        action=REMIND,
        actor=user,
        dossier=dossier,
        obj=request,
        data={
            "department": department.code,
            "due": str(due),
            "working_days_overdue": overdue_by,
            "request": request.pk if request is not None else None,
        },
    )
    recipients = list(
        get_user_model().objects.filter(groups=department.group, is_active=True).exclude(pk=user.pk).distinct()
    )
    what = (_("the request for an opinion on %(ref)s") if request is not None else _("dossier %(ref)s")) % {
        "ref": dossier.reference
    }
    from ..journal_text import when_text
    from ..selectors_opinions import person_name

    notify(
        recipients=recipients,
        subject=_("Reminder: %(what)s is overdue") % {"what": what},
        body=_("%(who)s reminds %(department)s that %(what)s was due on %(due)s. Please handle it.")
        % {
            "who": person_name(user) or _("The department head"),
            "department": department.name,
            "what": what,
            "due": when_text(due),
        },
        url=f"/admin/dossiers/{dossier.pk}/",
        event="supervision.reminder",
    )
    return entry
