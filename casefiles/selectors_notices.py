"""Reads of public notices (公示) for the public page and the admin: what is on notice now, and the objections.

The public rows carry the candidate's masked name (casefiles.masking), employer and tier, nothing else; a candidate
is listed while the notice is open (opens_on ≤ today ≤ closes_on) and the dossier is still at a notice stage (a state
whose data carries ``notice``), so a candidate taken off the list (withdrawn, rejected) and a closed notice drop off.
"""

from django.db.models import Prefetch
from django.utils import timezone

from .masking import mask_name
from .models import Dossier, NoticeObjection, PublicNotice
from .services.notices import notice_departments, notice_period_basis, notice_rule


def _candidates(notice):
    return [d for d in notice.dossiers.all() if d.state.notice]


def public_notices_open(today=None):
    """The open notices with their candidates still on notice, newest first."""
    today = today or timezone.localdate()
    dossiers = Dossier.objects.select_related("state", "employer", "requested_tier", "granted_tier").order_by("pk")
    return list(
        PublicNotice.objects.filter(opens_on__lte=today, closes_on__gte=today)
        .select_related("scheme")
        .prefetch_related(Prefetch("dossiers", queryset=dossiers))
        .order_by("scheme__name", "-opens_on", "-pk")
    )


def candidate_row(dossier):
    tier = dossier.granted_tier or dossier.requested_tier
    return {
        "pk": dossier.pk,
        "name": mask_name(dossier.applicant_name),
        "employer": dossier.employer.name if dossier.employer_id else "",
        "tier": tier.name if tier else "",
    }


def public_notice_rows(today=None):
    """Per scheme: its name, the notice rule (minimum, 管理设置 or article) and its open notices with their rows."""
    schemes = {}
    for notice in public_notices_open(today):
        rows = [candidate_row(d) for d in _candidates(notice)]
        if not rows:
            continue
        entry = schemes.get(notice.scheme_id)
        if entry is None:
            rule = notice_rule(notice.scheme) or {}
            departments = notice_departments(notice.scheme)
            entry = schemes[notice.scheme_id] = {
                "scheme": notice.scheme,
                "setting": bool(rule.get("setting")),
                "article": rule.get("article") or notice.scheme.public_notice_article,
                "minimum": rule.get("working_days"),
                "basis": notice_period_basis(rule),
                "department": departments[0].name if departments else "",
                "notices": [],
            }
        entry["notices"].append({"notice": notice, "rows": rows})
    return list(schemes.values())


def notice_candidate(notice_pk, dossier_pk):
    """(notice, dossier) when the dossier is on the notice (open or not: the view says which), else None."""
    notice = PublicNotice.objects.filter(pk=notice_pk).select_related("scheme").first()
    if notice is None:
        return None
    dossier = (
        notice.dossiers.filter(pk=dossier_pk)
        .select_related("state", "employer", "requested_tier", "granted_tier", "scheme")
        .first()
    )
    if dossier is None:
        return None
    return notice, dossier


def objections_for(user, status=None):
    """Objections to notices of the schemes whose notice department ``user`` works in (all for a superuser)."""
    from .services.notices import notice_schemes_for

    objections = NoticeObjection.objects.select_related(
        "notice__scheme", "dossier__state", "recorded_by", "resolved_by"
    )
    if not user.is_superuser:
        objections = objections.filter(notice__scheme_id__in=[s.pk for s in notice_schemes_for(user)])
    if status:
        objections = objections.filter(status=status)
    return objections.order_by("status", "-received_on", "-pk")

