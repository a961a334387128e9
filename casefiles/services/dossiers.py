"""Every change to a dossier goes through this module: it checks permission and state, changes the
dossier, records the opinion, writes the journal, recomputes grants, queues indexing and
notifications — in one transaction."""


from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from search import outbox

from ..exceptions import CaseFileError, SelfDealing, StateConflict, TransitionDenied
from ..masking import resident_id_checksum_ok
from ..models import (
    DepartmentKind,
    Dossier,
    IdType,
    SequenceCounter,
    StateKind,
    WorkflowState,
)
from ..permissions import applicant_refusal, grants_recompute
from ..workflow.states import applicant_may_edit
from .journal import journal_write
from .locks import lock_dossier
from .refusals import refusals_journaled

IDENTITY_FIELDS = ("applicant_name", "id_type", "id_number", "nationality", "phone", "email", "sector", "birth_date", "contract_end")


def next_sequence(scheme, kind, year):
    """Hand out the next number of a per-scheme, per-year series, safely under concurrency."""
    counter, _created = SequenceCounter.objects.select_for_update().get_or_create(scheme=scheme, kind=kind, year=year)
    SequenceCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return counter.last


def _check_identity(identity):
    from ..validation import dossier_input_problem

    problem = dossier_input_problem(identity)  # text, dates, facts: casefiles/validation.py
    if problem:
        raise CaseFileError(problem[1], code=problem[0])
    if identity.get("id_type", IdType.RESIDENT_ID) == IdType.RESIDENT_ID:
        if not resident_id_checksum_ok(identity.get("id_number", "")):
            raise CaseFileError(_("The resident ID number is not valid (18 digits with a correct check digit)."), code="id_number")
    if not (identity.get("applicant_name") or "").strip():
        raise CaseFileError(_("Please enter the applicant's name."), code="applicant_name")
    phone = identity.get("phone") or ""
    if not phone.replace("-", "").replace("+", "").replace(" ", "").isdigit() or len(phone) < 7:
        raise CaseFileError(_("Please enter a valid phone number."), code="phone")


def _normal(field, value):
    value = str(value or "").strip()
    return value.upper() if field == "id_number" else value


def verified_identity_refuse(user, values):
    """CaseFileError when ``values`` would give a provider-verified field of ``user`` (name, ID type, ID number:
    identity.selectors.VERIFIED_FIELDS) another value than the one the identity provider verified; else the verified
    values ({} for an account without a verified identity), which the dossier takes."""
    from identity.selectors import VERIFIED_FIELDS, verified_identity

    verified = verified_identity(user)
    if verified is None:
        return {}
    for field in VERIFIED_FIELDS:
        given = values.get(field)
        if given not in (None, "") and _normal(field, given) != _normal(field, verified[field]):
            raise CaseFileError(
                _("Your name, ID type and ID number were verified by the identity provider "
                  "and cannot be changed here."),
                code=field,
            )
    return {field: verified[field] for field in VERIFIED_FIELDS}


def _check_criteria(scheme, tier, criteria):
    for criterion in criteria:
        if criterion.scheme_id != scheme.pk:
            raise CaseFileError(_("Criterion %(id)s does not belong to this scheme.") % {"id": criterion.ref})
    if tier.scheme_id != scheme.pk:
        raise CaseFileError(_("The tier does not belong to this scheme."))


def scheme_closed_refuse(scheme, today=None):
    """CaseFileError (400) with the scheme's dates and article when it takes no applications ``today`` (its policy
    has expired, is repealed or is not yet in force: ``selectors_schemes.scheme_period``)."""
    from ..selectors_schemes import scheme_period

    period = scheme_period(scheme, today)
    if not period.open:
        raise CaseFileError(period.message, code="scheme_closed")


def _departments(scheme):
    return {d.code: d for d in scheme.departments.all()}


@refusals_journaled
@transaction.atomic
def dossier_create(*, applicant, scheme, requested_tier, criteria=(), facts=None, employer=None, authority=None, **identity):
    """Start an application (draft) for ``applicant``. Identity fields are keyword arguments.

    A staff account (see ``permissions.is_staff_account``) never applies: SelfDealing (403), journaled."""
    refusal = applicant_refusal(applicant)
    if refusal is not None:
        raise SelfDealing(refusal[1], code=refusal[0], journal={
            "action": "casefiles.dossier.refused", "actor": applicant, "data": {"attempt": "create", "scheme": scheme.slug}})
    unknown = set(identity) - set(IDENTITY_FIELDS)
    if unknown:
        raise TypeError(f"unknown identity fields {sorted(unknown)}")
    scheme_closed_refuse(scheme)
    identity.update(verified_identity_refuse(applicant, identity))  # an applicant signed in through the provider
    _check_identity({**identity, "facts": facts})
    criteria = list(criteria)
    _check_criteria(scheme, requested_tier, criteria)
    if employer is not None and employer.kind != DepartmentKind.EMPLOYER:
        raise CaseFileError(_("The employer must be an employer."))
    if authority is not None and (not scheme.authority_kind or authority.kind != scheme.authority_kind):
        raise CaseFileError(_("This department cannot review applications of this scheme."))
    start = WorkflowState.objects.get(scheme=scheme, kind=StateKind.START)
    now = timezone.now()
    year = timezone.localdate(now).year
    sequence = next_sequence(scheme, "dossier", year)
    dossier = Dossier(
        scheme=scheme,
        year=year,
        sequence=sequence,
        reference=scheme.reference_format.format(year=year, seq=sequence),
        applicant=applicant,
        employer=employer,
        authority=authority,
        requested_tier=requested_tier,
        facts=facts or {},
        state=start,
        state_entered_at=now,
        **identity,
    )
    dossier.save()
    dossier.criteria.set(criteria)
    journal_write(action="casefiles.dossier.create", actor=applicant, dossier=dossier, obj=dossier,
                  data={"scheme": scheme.slug, "tier": requested_tier.code, "criteria": [c.ref for c in criteria]})
    added, _removed = grants_recompute(dossier)
    journal_write(action="casefiles.grants.change", actor=applicant, dossier=dossier,
                  data={"added": [list(g) for g in added], "removed": []})
    outbox.enqueue("dossier", dossier.pk)
    return dossier


EDITABLE_FIELDS = set(IDENTITY_FIELDS) | {"facts", "requested_tier", "employer", "authority"}


@transaction.atomic
def dossier_update(*, dossier, user, criteria=None, **changes):
    """The applicant edits a draft or a returned dossier (补正)."""
    lock_dossier(dossier.pk)
    dossier = Dossier.objects.select_related("state").get(pk=dossier.pk)
    if dossier.applicant_id != user.pk:
        raise TransitionDenied(_("Only the applicant may change this application."))
    if not applicant_may_edit(dossier.state):
        raise StateConflict(_("The application can only be changed while it is a draft or returned for supplement."), dossier.state.code)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"fields not editable: {sorted(unknown)}")
    verified_identity_refuse(user, changes)
    before = {}
    for field, value in changes.items():
        old = getattr(dossier, field)
        before[field] = str(old.pk if hasattr(old, "pk") else old)
        setattr(dossier, field, value)
    merged = {f: getattr(dossier, f) for f in (*IDENTITY_FIELDS, "facts")}
    _check_identity(merged)
    if criteria is not None:
        criteria = list(criteria)
        _check_criteria(dossier.scheme, dossier.requested_tier, criteria)
        before["criteria"] = sorted(dossier.criteria.values_list("ref", flat=True))
        dossier.criteria.set(criteria)
    dossier.save()
    after = {f: str(getattr(dossier, f).pk if hasattr(getattr(dossier, f), "pk") else getattr(dossier, f)) for f in changes}
    if criteria is not None:
        after["criteria"] = sorted(c.ref for c in criteria)
    journal_write(action="casefiles.dossier.update", actor=user, dossier=dossier, obj=dossier,
                  data={"before": _mask_changes(before), "after": _mask_changes(after)})
    if {"employer", "authority"} & set(changes):
        grants_recompute(dossier)
    outbox.enqueue("dossier", dossier.pk)
    return dossier


def _mask_changes(values):
    from ..masking import mask_id_number, mask_phone

    masked = dict(values)
    if "id_number" in masked:
        masked["id_number"] = mask_id_number(masked["id_number"])
    if "phone" in masked:
        masked["phone"] = mask_phone(masked["phone"])
    return masked


def dossier_transition(*, dossier, transition, user, comment="", expected_state=None, minutes="", granted_tier=None, today=None):
    """Fire one workflow transition (its code): :class:`casefiles.actions.transition.TransitionAction`.

    Raises CaseFileError (400: unknown transition, missing comment, MaterialsMissing), TransitionDenied (403:
    not the user's step, SelfDealing on their own application, FourEyes), StateConflict (409: the dossier moved
    on or the step does not start here, GuardFailed when the step's guard does not hold).
    """
    from ..actions.transition import TransitionAction

    return TransitionAction(dossier, transition, user, comment=comment, expected_state=expected_state, minutes=minutes,
                            granted_tier=granted_tier, today=today).execute()
