"""Every change of programme operations goes through this module: check permission and state, change rows,
write the journal (``programmes.<concern>.<action>``), queue notifications — in one transaction."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casefiles.exceptions import CaseFileError, StateConflict
from casefiles.masking import mask_name
from casefiles.models import Card, CardStatus, Department, DepartmentKind, Dossier, Membership, ServiceItem, StateKind
from casefiles.notify import notify
from casefiles.permissions import refuse_own_dossier
from casefiles.services.calendar import CalendarDataMissing, WorkingCalendar
from casefiles.selectors import sees_dossier
from casefiles.services.journal import journal_write
from casefiles.services.refusals import refusals_journaled

from . import selectors
from .messages import render_message
from .models import (
    AgendaItem,
    AgendaKind,
    ChangeStatus,
    CommissionerScope,
    DeadlineReminder,
    DecisionOutcome,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    JointMeeting,
    Meeting,
    MeetingStatus,
    MemberDepartment,
    NotificationFamily,
    NotificationPreference,
    ServiceChangeRequest,
    SubmitterRole,
)


class NotAllowed(PermissionDenied):
    """The caller may not do this (HTTP 403)."""


def feedback_working_days():
    return int(getattr(settings, "HUICAI_FEEDBACK_WORKING_DAYS", 5))


def _require_office(user, scheme):
    if not selectors.office_schemes(user).filter(pk=scheme.pk).exists():
        raise NotAllowed(_("Only the programme office of %(scheme)s may do this.") % {"scheme": scheme.name})


# --------------------------------------------------------------------------- joint meetings


@transaction.atomic
def joint_meeting_ensure(*, scheme, name, user=None, article="", lead_department=None, convener=""):
    body, created = JointMeeting.objects.get_or_create(
        scheme=scheme, defaults={"name": name, "article": article, "lead_department": lead_department, "convener": convener}
    )
    if not created:
        body.name, body.article, body.lead_department, body.convener = name, article, lead_department, convener
        body.full_clean()
        body.save()
    journal_write(action="programmes.joint_meeting.save", actor=user, obj=body, data={"scheme": scheme.slug, "name": name})
    return body


@transaction.atomic
def member_save(*, joint_meeting, department, liaison_name, liaison_office_phone="", liaison_title="", user=None, order=0):
    """Add a member department or change its liaison (联络人)."""
    if user is not None:
        _require_office(user, joint_meeting.scheme)
    if not liaison_name.strip():
        raise CaseFileError(_("Every member department names a liaison."), code="liaison_name")
    member, _created = MemberDepartment.objects.update_or_create(
        joint_meeting=joint_meeting,
        department=department,
        defaults={"liaison_name": liaison_name.strip(), "liaison_office_phone": liaison_office_phone,
                  "liaison_title": liaison_title, "order": order},
    )
    journal_write(action="programmes.member.save", actor=user, obj=member,
                  data={"department": department.code, "liaison": liaison_name})
    return member


@transaction.atomic
def meeting_schedule(*, joint_meeting, title, date, user, location=""):
    _require_office(user, joint_meeting.scheme)
    meeting = Meeting(joint_meeting=joint_meeting, title=title.strip(), date=date, location=location, created_by=user)
    meeting.full_clean()
    meeting.save()
    journal_write(action="programmes.meeting.schedule", actor=user, obj=meeting, data={"title": title, "date": str(date)})
    return meeting


@transaction.atomic
def agenda_item_add(*, meeting, user, kind, title="", dossier=None, service_change=None):
    _require_office(user, meeting.joint_meeting.scheme)
    if meeting.status != MeetingStatus.PLANNED:
        raise StateConflict(_("The minutes of this meeting are recorded; its agenda is closed."), meeting.status)
    scheme = meeting.joint_meeting.scheme
    if kind == AgendaKind.CASE_BY_CASE:
        if dossier is None or dossier.scheme_id != scheme.pk:
            raise CaseFileError(_("Choose a dossier of this scheme."), code="dossier")
        if not sees_dossier(user, dossier.pk):
            raise NotAllowed(_("You may not see this dossier."))
        title = title or f"{dossier.reference} {dossier.applicant_name}（一事一议）"
        service_change = None
    elif kind == AgendaKind.SERVICE_CHANGE:
        if service_change is None or service_change.scheme_id != scheme.pk:
            raise CaseFileError(_("Choose a service catalogue change of this scheme."), code="service_change")
        title = title or f"服务事项目录调整：{service_change.title}"
        dossier = None
    elif not title.strip():
        raise CaseFileError(_("Give the agenda item a title."), code="title")
    order = meeting.items.count() + 1
    item = AgendaItem.objects.create(meeting=meeting, order=order, kind=kind, title=title.strip(), dossier=dossier,
                                     service_change=service_change)
    journal_write(action="programmes.agenda.add", actor=user, obj=item, dossier=dossier,
                  data={"meeting": meeting.pk, "kind": kind, "title": item.title})
    return item


@refusals_journaled  # a meeting's decision on one's own dossier: refused (here or by the workflow), journaled
@transaction.atomic
def agenda_item_decide(*, item, user, outcome, decision_text="", transition=""):
    """Record the meeting's decision on one item. For a case-by-case dossier, ``transition`` (e.g.
    ``decide_case_by_case_approve``) fires the workflow step in the same transaction, with the decision as
    the comment and the meeting's minutes attached — the opinion on the dossier then links to the meeting."""
    from casefiles.services.dossiers import dossier_transition

    # Lock only the agenda item: PostgreSQL refuses FOR UPDATE across the nullable dossier join.
    item = AgendaItem.objects.select_for_update(of=("self",)).select_related("meeting__joint_meeting__scheme", "dossier").get(pk=item.pk)
    _require_office(user, item.meeting.joint_meeting.scheme)
    if item.dossier is not None:
        # The floor under every decision on a dossier, with or without a workflow step fired here.
        refuse_own_dossier(user, item.dossier, "agenda_item_decide")
    if outcome not in DecisionOutcome.values:
        raise CaseFileError(_("Choose a decision."), code="outcome")
    if item.transition:
        raise StateConflict(_("This item has already been decided and acted on."), item.outcome)
    item.outcome, item.decision_text = outcome, decision_text.strip()
    item.decided_by, item.decided_at = user, timezone.now()
    if transition:
        if item.dossier is None:
            raise CaseFileError(_("Only a dossier item can move a dossier on."), code="transition")
        meeting = item.meeting
        minutes = f"{meeting.joint_meeting.name} {meeting.title}（{meeting.date:%Y年%m月%d日}）：{item.get_outcome_display()}"
        dossier_transition(dossier=item.dossier, transition=transition, user=user,
                           comment=item.decision_text or minutes, minutes=minutes)
        item.transition = transition
    item.save()
    journal_write(action="programmes.agenda.decide", actor=user, obj=item, dossier=item.dossier,
                  data={"outcome": outcome, "transition": transition, "meeting": item.meeting_id})
    if item.dossier is not None and not transition:
        subject, body = render_message("meeting_decided", {"item": item, "outcome": item.get_outcome_display()})
        notify(recipients=[item.dossier.applicant], subject=subject, body=body,
               url=f"/applications/{item.dossier.pk}/", event="programme.meeting_decided")
    return item


@transaction.atomic
def meeting_minutes_record(*, meeting, user, minutes, attendees=()):
    """Record the minutes, mark the meeting held and render the minutes PDF into private storage."""
    from .pdf import meeting_minutes_pdf

    meeting = Meeting.objects.select_for_update(of=("self",)).select_related("joint_meeting__scheme").get(pk=meeting.pk)
    _require_office(user, meeting.joint_meeting.scheme)
    if not minutes.strip():
        raise CaseFileError(_("Write the minutes."), code="minutes")
    meeting.minutes = minutes.strip()
    meeting.status = MeetingStatus.HELD
    meeting.recorded_by, meeting.recorded_at = user, timezone.now()
    meeting.save()
    if attendees:
        meeting.attendees.set(attendees)
    content = meeting_minutes_pdf(meeting)
    if meeting.minutes_pdf:
        meeting.minutes_pdf.delete(save=False)
    meeting.minutes_pdf.save(f"meeting-{meeting.pk}.pdf", ContentFile(content), save=True)
    journal_write(action="programmes.meeting.minutes", actor=user, obj=meeting,
                  data={"items": list(meeting.items.values_list("pk", flat=True)),
                        "dossiers": [d for d in meeting.items.values_list("dossier_id", flat=True) if d]})
    return meeting


# --------------------------------------------------------------------------- service commissioners


@transaction.atomic
def commissioner_save(*, commissioner, user):
    """Create or change a commissioner (the admin form builds the instance, this checks and saves it)."""
    if user is not None:
        _require_office(user, commissioner.scheme)
    if commissioner.scope == CommissionerScope.HOLDER and commissioner.holder_card_id is None:
        raise CaseFileError(_("Choose the holder this commissioner serves."), code="holder_card")
    if commissioner.scope == CommissionerScope.DEPARTMENT:
        commissioner.holder_card = None
    created = commissioner.pk is None
    commissioner.full_clean()
    commissioner.save()
    journal_write(action=f"programmes.commissioner.{'create' if created else 'update'}", actor=user, obj=commissioner,
                  data={"name": commissioner.name, "unit": commissioner.unit.code, "scope": commissioner.scope})
    return commissioner


# --------------------------------------------------------------------------- service catalogue changes


@transaction.atomic
def service_change_submit(*, user, scheme, ref, article, title, text, tiers=(), responsible_units=(),
                          category="other", family_scope=None, time_limit_working_days=None, reason="",
                          service_item=None):
    _require_office(user, scheme)
    if service_item is None and ServiceItem.objects.filter(scheme=scheme, ref=ref).exists():
        raise CaseFileError(_("The catalogue already has a service with id %(ref)s.") % {"ref": ref}, code="ref")
    if not article.startswith("第"):
        raise CaseFileError(_("A citation starts with 第…条."), code="article")
    tiers, units = list(tiers), list(responsible_units)
    if any(t.scheme_id != scheme.pk for t in tiers):
        raise CaseFileError(_("The tier does not belong to this scheme."), code="tiers")
    if not units:
        raise CaseFileError(_("Name at least one responsible unit."), code="responsible_units")
    change = ServiceChangeRequest(
        scheme=scheme, service_item=service_item, ref=ref, article=article, title=title, text=text, category=category,
        family_scope=family_scope or ["self"], time_limit_working_days=time_limit_working_days, reason=reason,
        requested_by=user,
    )
    change.full_clean()
    change.save()
    change.tiers.set(tiers)
    change.responsible_units.set(units)
    journal_write(action="programmes.service_change.submit", actor=user, obj=change,
                  data={"scheme": scheme.slug, "ref": ref, "title": title})
    department = selectors.approver_department(scheme)
    if department is not None:
        subject, body = render_message("change_submitted", {"change": change, "department": department,
                                                            "requester": user.get_full_name() or user.get_username()})
        notify(recipients=selectors.department_members(department), subject=subject, body=body,
               url=f"/admin/programmes/catalogue/{change.pk}/", event="programme.change_submitted")
    return change


def _locked_change(change):
    change = ServiceChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.status != ChangeStatus.SUBMITTED:
        raise StateConflict(_("This change has already been decided."), change.status)
    return change


@transaction.atomic
def service_change_approve(*, change, user, comment="", announce=True):
    """The talent office agrees (聊城 第三十九条): the service item is written to the catalogue, which the tier
    table and the guides read, and the change is announced on the portal."""
    change = _locked_change(change)
    scheme = change.scheme
    if not selectors.can_approve_changes(user, scheme):
        raise NotAllowed(_("Only the talent office may approve changes of the service catalogue."))
    fields = {"article": change.article, "title": change.title, "text": change.text, "category": change.category,
              "family_scope": change.family_scope, "time_limit_working_days": change.time_limit_working_days}
    item = change.service_item
    is_new = item is None
    if is_new:
        last = ServiceItem.objects.filter(scheme=scheme).order_by("-order").values_list("order", flat=True).first() or 0
        item = ServiceItem(scheme=scheme, ref=change.ref, order=last + 1, **fields)
    else:
        for name, value in fields.items():
            setattr(item, name, value)
    item.full_clean(validate_unique=False)
    item.save()
    item.tiers.set(change.tiers.all())
    item.responsible_units.set(change.responsible_units.all())
    change.service_item = item
    change.status = ChangeStatus.APPROVED
    change.decided_by, change.decided_at, change.decision_comment = user, timezone.now(), comment
    change.announced_on = timezone.localdate()
    change.save()
    journal_write(action="programmes.service_change.approve", actor=user, obj=change,
                  data={"service_item": item.pk, "ref": item.ref, "comment": comment})
    if announce:
        _announce_change(change, is_new=is_new)
    _notify_decision(change, approved=True)
    return change


@transaction.atomic
def service_change_reject(*, change, user, comment):
    change = _locked_change(change)
    if not selectors.can_approve_changes(user, change.scheme):
        raise NotAllowed(_("Only the talent office may decide on changes of the service catalogue."))
    if not comment.strip():
        raise CaseFileError(_("Give a reason."), code="comment")
    change.status = ChangeStatus.REJECTED
    change.decided_by, change.decided_at, change.decision_comment = user, timezone.now(), comment.strip()
    change.save()
    journal_write(action="programmes.service_change.reject", actor=user, obj=change, data={"comment": comment})
    _notify_decision(change, approved=False)
    return change


def _notify_decision(change, *, approved):
    department = selectors.approver_department(change.scheme)
    subject, body = render_message("change_decided", {"change": change, "approved": approved, "department": department})
    notify(recipients=[change.requested_by], subject=subject, body=body,
           url=f"/schemes/{change.scheme.slug}/catalogue-changes/", event="programme.change_decided")


def _announce_change(change, *, is_new):
    """Publish a service guide for the item and a notice in the scheme's notice list, where the scheme has a
    public section (the listing at schemes/<slug>/catalogue-changes/ always shows approved changes)."""
    from policypages.models import NoticeIndexPage, NoticePage, PolicyPage, SchemeSectionPage, ServiceGuidePage
    from policypages.services import guide_fields_for

    section = SchemeSectionPage.objects.filter(scheme=change.scheme).first()
    if section is None:
        return
    item = change.service_item
    policy = PolicyPage.objects.live().filter(scheme=change.scheme).order_by("path").first()
    guide = ServiceGuidePage.objects.child_of(section).filter(service_item=item).first()
    fields = guide_fields_for(item, policy)
    if guide is None:
        slug = f"service-{item.ref.replace('.', '-')}"
        while section.get_children().filter(slug=slug).exists():
            slug += "-1"
        guide = ServiceGuidePage(slug=slug, service_item=item, **fields)
        section.add_child(instance=guide)
    else:
        guide = guide.get_latest_revision_as_object()
        for name, value in fields.items():
            setattr(guide, name, value)
    guide.save_revision().publish(skip_permission_checks=True)
    index = NoticeIndexPage.objects.child_of(section).first()
    if index is not None:
        verb = "新增" if is_new else "调整"
        notice = NoticePage(
            title=f"关于{verb}高层次人才服务事项“{change.title}”的公告",
            slug=f"catalogue-change-{change.pk}",
            date=change.announced_on,
            body=(f"<p>经{selectors.approver_department(change.scheme) or change.scheme.jurisdiction}同意，"
                  f"“{change.title}”纳入{change.scheme.name}服务事项目录（{change.article}），现予公布。</p>"
                  f"<p>{change.text}</p>"),
        )
        index.add_child(instance=notice)
        notice.save_revision().publish(skip_permission_checks=True)


# --------------------------------------------------------------------------- feedback


def _submitter_role(user, scheme):
    """Holder when the user holds an active card of the scheme; employer when they are an employer contact."""
    if Card.objects.filter(holder=user, scheme=scheme, status=CardStatus.ACTIVE).exists():
        return SubmitterRole.HOLDER, None
    employer = (
        Department.objects.filter(memberships__user=user, kind=DepartmentKind.EMPLOYER, jurisdiction=scheme.jurisdiction)
        .order_by("pk").first()
    )
    if employer is not None:
        return SubmitterRole.EMPLOYER, employer
    return SubmitterRole.OTHER, None


def first_responsible_unit(service_item):
    """The first unit the catalogue lists for the item (the order of the policy text)."""
    through = ServiceItem.responsible_units.through
    row = through.objects.filter(serviceitem=service_item).select_related("department").order_by("pk").first()
    return row.department if row else None


@transaction.atomic
def feedback_submit(*, user, service_item, kind, text, contact_phone="", unit=None):
    """A holder or employer asks, complains or suggests about a service item; it goes to the item's first
    responsible unit with an answer due in working days (通化 第二十条). ``unit``: another department that must
    answer (a poor service rating goes to the programme office, ``delivery.ratings``)."""
    if not user.is_authenticated:
        raise NotAllowed(_("Log in to send feedback."))
    if kind not in FeedbackKind.values:
        raise CaseFileError(_("Choose question, complaint or suggestion."), code="kind")
    text = (text or "").strip()
    if len(text) < 5:
        raise CaseFileError(_("Please describe the matter in a few words."), code="text")
    scheme = service_item.scheme
    if unit is None:
        unit = first_responsible_unit(service_item)
    if unit is None:
        unit = selectors.approver_department(scheme) or scheme.departments.filter(kind=DepartmentKind.HR_BUREAU).first()
    if unit is None:
        raise CaseFileError(_("This service has no responsible unit to answer."), code="service_item")
    role, employer = _submitter_role(user, scheme)
    days = feedback_working_days()
    due, problem = None, ""
    try:
        due = WorkingCalendar().add_working_days(timezone.localdate(), days)
    except CalendarDataMissing as exc:
        problem = str(exc)
    feedback = Feedback.objects.create(
        scheme=scheme, service_item=service_item, kind=kind, submitter=user, submitted_as=role, employer=employer,
        contact_phone=contact_phone, text=text, unit=unit, due_date=due, deadline_problem=problem,
    )
    journal_write(action="programmes.feedback.submit", actor=user, obj=feedback, department=employer,
                  data={"service_item": service_item.ref, "kind": kind, "unit": unit.code, "due": str(due or "")})
    subject, body = render_message("feedback_assigned", {"feedback": feedback, "kind": feedback.get_kind_display(),
                                                         "working_days": days})
    notify(recipients=selectors.department_members(unit), subject=subject, body=body,
           url=f"/admin/programmes/feedback/{feedback.pk}/", event="feedback.assigned")
    return feedback


def _require_unit_member(user, feedback):
    if not (user.is_superuser or Membership.objects.filter(user=user, department=feedback.unit).exists()):
        raise NotAllowed(_("Only the responsible unit answers this feedback."))


@transaction.atomic
def feedback_answer(*, feedback, user, answer):
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    _require_unit_member(user, feedback)
    if feedback.status == FeedbackStatus.CLOSED:
        raise StateConflict(_("This feedback is closed."), feedback.status)
    if not answer.strip():
        raise CaseFileError(_("Write the answer."), code="answer")
    feedback.answer, feedback.status = answer.strip(), FeedbackStatus.ANSWERED
    feedback.answered_by, feedback.answered_at = user, timezone.now()
    feedback.save()
    journal_write(action="programmes.feedback.answer", actor=user, obj=feedback, department=feedback.unit,
                  data={"answer_length": len(feedback.answer)})
    subject, body = render_message("feedback_answered", {"feedback": feedback, "kind": feedback.get_kind_display()})
    notify(recipients=[feedback.submitter], subject=subject, body=body, url=f"/feedback/{feedback.pk}/",
           event="feedback.answered")
    return feedback


@transaction.atomic
def feedback_close(*, feedback, user):
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    if feedback.submitter_id != user.pk:
        _require_unit_member(user, feedback)
    if feedback.status == FeedbackStatus.CLOSED:
        raise StateConflict(_("This feedback is already closed."), feedback.status)
    feedback.status, feedback.closed_at = FeedbackStatus.CLOSED, timezone.now()
    feedback.save()
    journal_write(action="programmes.feedback.close", actor=user, obj=feedback, data={})
    return feedback


# --------------------------------------------------------------------------- notifications


@transaction.atomic
def preference_set(*, user, family, email):
    if family not in NotificationFamily.values:
        raise CaseFileError(_("Unknown kind of notification."), code="family")
    pref, _created = NotificationPreference.objects.update_or_create(user=user, family=family, defaults={"email": bool(email)})
    journal_write(action="programmes.preference.set", actor=user, obj=pref, data={"family": family, "email": bool(email)})
    return pref


@transaction.atomic
def notification_mark_read(*, user, notification_ids=None):
    """Mark the user's own notifications read (all unread ones when no ids are given); returns how many."""
    from casefiles.models import Notification

    queryset = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        queryset = queryset.filter(pk__in=list(notification_ids))
    return queryset.update(read_at=timezone.now())


# --------------------------------------------------------------------------- the daily job


def _acting_department(dossier, departments):
    actor = dossier.state.actor
    if actor == "authority":
        return dossier.authority
    if actor == "employer":
        return dossier.employer
    if actor in ("applicant", ""):
        return None
    return departments.get(actor)


def dossier_deadlines_remind(*, today=None, working_days=2):
    """Notify the acting department's members of dossiers due within ``working_days`` working days (and not
    yet overdue); one reminder per dossier stage. Returns the number of dossiers reminded."""
    today = today or timezone.localdate()
    calendar = WorkingCalendar()
    try:
        limit = calendar.add_working_days(today, working_days)
    except CalendarDataMissing:
        return 0
    due = (
        Dossier.objects.filter(due_date__gte=today, due_date__lte=limit)
        .exclude(state__kind=StateKind.END)
        .select_related("scheme", "state", "authority", "employer")
        .order_by("due_date", "pk")
    )
    departments_by_scheme = {}
    count = 0
    for dossier in due:
        if DeadlineReminder.objects.filter(dossier=dossier, state_code=dossier.state.code, due_date=dossier.due_date).exists():
            continue
        departments = departments_by_scheme.setdefault(
            dossier.scheme_id, {d.code: d for d in dossier.scheme.departments.all()}
        )
        department = _acting_department(dossier, departments)
        if department is None:
            continue
        with transaction.atomic():
            DeadlineReminder.objects.create(dossier=dossier, state_code=dossier.state.code, due_date=dossier.due_date)
            days = calendar.working_days_between(today, dossier.due_date)
            subject, body = render_message("dossier_due", {"dossier": dossier, "department": department,
                                                           "masked_name": mask_name(dossier.applicant_name),
                                                           "days": working_days, "left": days})
            notify(recipients=selectors.department_members(department), subject=subject, body=body,
                   url=f"/admin/dossiers/{dossier.pk}/", event="deadline.dossier")
            journal_write(action="programmes.deadline.remind", dossier=dossier, department=department,
                          data={"state": dossier.state.code, "due": str(dossier.due_date)})
        count += 1
    return count


def feedback_deadlines_remind(*, today=None, working_days=2):
    today = today or timezone.localdate()
    try:
        limit = WorkingCalendar().add_working_days(today, working_days)
    except CalendarDataMissing:
        return 0
    count = 0
    due = Feedback.objects.filter(status=FeedbackStatus.OPEN, due_date__lte=limit, reminded_on__isnull=True).select_related(
        "scheme", "service_item", "unit"
    )
    for feedback in due:
        with transaction.atomic():
            Feedback.objects.filter(pk=feedback.pk).update(reminded_on=today)
            subject, body = render_message("feedback_due", {"feedback": feedback, "kind": feedback.get_kind_display()})
            notify(recipients=selectors.department_members(feedback.unit), subject=subject, body=body,
                   url=f"/admin/programmes/feedback/{feedback.pk}/", event="deadline.feedback")
            journal_write(action="programmes.deadline.feedback", obj=feedback, department=feedback.unit,
                          data={"due": str(feedback.due_date)})
        count += 1
    return count

