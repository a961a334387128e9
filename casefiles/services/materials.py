"""Required materials (申请材料): staff excuse one for a dossier, with the reason on record (免于提交).

Who may waive is read from the workflow data, never from a scheme's codes: the department that acts on the
dossier now (the current state's actor), or, while the dossier is returned to the applicant for supplement,
the department that receives it when the applicant resubmits through a transition guarded by
``materials: complete`` — the one that checks the materials first (where the data has the employer receive
the application, as for its recommendation, that is the employer). Never the applicant, and nobody on their
own application (the self-dealing floor, :func:`casefiles.permissions.refuse_own_dossier`). A draft that was
never submitted is the applicant's alone (no department sees it), so nothing of it can be waived: the
applicant attaches what the checklist names, or the department returns the submitted dossier and decides then.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from ..exceptions import CaseFileError, SelfDealing, StateConflict, TransitionDenied
from ..models import Dossier, MaterialRequirement, MaterialWaiver
from ..notify import notify
from ..permissions import APPLICANT, acting_principal, refuse_own_dossier
from ..workflow.guards import guard_reads_materials
from ..workflow.states import is_returned_to_applicant
from .journal import journal_write
from .locks import lock_dossier
from .refusals import refusals_journaled

MAX_REASON = 1000
_NOT_WAIVING = ("", None, APPLICANT)


def waiver_principals(dossier):
    """The principals who may waive a required material of ``dossier`` now (see the module's text)."""
    state = dossier.state
    if state.actor not in _NOT_WAIVING:
        return [state.actor]
    if not is_returned_to_applicant(state):
        return []
    principals = []
    for transition in state.outgoing.select_related("target").order_by("order"):
        actor = transition.target.actor
        if guard_reads_materials(transition.guard or {}) and actor not in _NOT_WAIVING and actor not in principals:
            principals.append(actor)
    return principals


def may_waive_materials(user, dossier, departments=None):
    """Would ``user`` be allowed to waive a material of ``dossier`` now (for showing the form)?"""
    if not getattr(user, "is_authenticated", False) or user.pk == dossier.applicant_id:
        return False
    acting_as, _refusal = acting_principal(user, dossier, waiver_principals(dossier), departments)
    return acting_as is not None


def _department(dossier, principal):
    if principal == "authority":
        return dossier.authority
    if principal == "employer":
        return dossier.employer
    return dossier.scheme.departments.filter(code=principal).first()


@refusals_journaled
@transaction.atomic
def material_waive(*, dossier, code, reason, user):
    """Waive the required material ``code`` of ``dossier`` with ``reason``; returns the MaterialWaiver.

    CaseFileError (400): no reason, not a required material of this dossier, or already attached;
    SelfDealing / TransitionDenied (403): the applicant, or a department not handling the dossier now;
    StateConflict (409): the material has been waived already."""
    from ..selectors_materials import materials_for

    lock_dossier(dossier.pk)
    dossier = (
        Dossier.objects
        .select_related("scheme", "state", "employer", "authority", "requested_tier")
        .get(pk=dossier.pk)
    )
    refuse_own_dossier(user, dossier, "material_waive")
    acting_as, refusal = acting_principal(user, dossier, waiver_principals(dossier))
    if refusal is not None:
        raise SelfDealing(
            refusal[1],
            code=refusal[0],
            journal={
                "action": "casefiles.dossier.refused",
                "actor": user,
                "dossier": dossier,
                "data": {"attempt": "material_waive", "state": dossier.state.code, "material": code},
            },
        )
    if acting_as is None:
        raise TransitionDenied(_("Only the department handling the application now may waive a required material."))
    material = next((m for m in materials_for(dossier) if m.code == code), None)
    if material is None or material.optional:
        raise CaseFileError(
            _("“%(code)s” is not a required material of this application.") % {"code": code}, code="code"
        )
    reason = (reason or "").strip()
    if not reason:
        raise CaseFileError(
            _("Please give the reason why “%(name)s” need not be submitted.") % {"name": material.name}, code="reason"
        )
    if len(reason) > MAX_REASON:
        raise CaseFileError(
            _("The reason may have at most %(count)d characters.") % {"count": MAX_REASON}, code="reason"
        )
    existing = MaterialWaiver.objects.filter(dossier=dossier, code=code).first()
    if existing is not None:
        raise StateConflict(
            _("“%(name)s” has already been waived (%(date)s); nothing was changed.")
            % {"name": material.name, "date": existing.waived_at.strftime("%Y-%m-%d")},
            dossier.state.code,
        )
    if dossier.documents.filter(kind=code, withdrawn_at__isnull=True).exists():
        raise CaseFileError(
            _("“%(name)s” is already attached; there is nothing to waive.") % {"name": material.name}, code="code"
        )
    waiver = MaterialWaiver.objects.create(dossier=dossier, code=code, reason=reason, waived_by=user)
    journal_write(
        action="casefiles.material.waive",
        actor=user,
        dossier=dossier,
        obj=waiver,
        department=_department(dossier, acting_as),
        data={
            "material": code,
            "name": material.name,
            "article": material.article,
            "reason": reason,
            "acting_as": acting_as,
            "state": dossier.state.code,
        },
    )
    notify(
        recipients=[dossier.applicant],
        subject=_("Your application %(ref)s: a material need not be submitted") % {"ref": dossier.reference},
        body=_("“%(name)s” need not be submitted. Reason: %(reason)s") % {"name": material.name, "reason": reason},
        url=f"/applications/{dossier.pk}/",
        event="dossier.material_waive",
    )
    return waiver


def scheme_checklist(scheme):
    """Every material of a scheme with whom it applies to, for telling applicants once and in full (一次告知)."""
    rows = []
    for material in (
        MaterialRequirement.objects.filter(scheme=scheme).prefetch_related("tiers", "criteria").order_by("order", "pk")
    ):
        rows.append(
            {
                "material": material,
                "tiers": [t.name for t in material.tiers.all()],
                "criteria": [c.article or c.ref for c in material.criteria.all()],
            }
        )
    return rows
