"""Who may see and act on a dossier, derived from the scheme's workflow data.

Each workflow state lists the principals that may view a dossier in that state and names the one that
acts on it (as Plone maps permissions per workflow state). Principals are ``applicant``, ``employer``,
``authority`` (the dossier's own competent authority / supervising HR department) or a department code
of the scheme. :func:`grants_recompute` turns that into guardian rows on the direct foreign-key tables,
granted to department groups and to the applicant's user; the workflow service calls it on every change.
"""

import contextlib
import contextvars

from django.contrib.auth.models import Permission
from django.db.models import Exists, Q, Value
from django.db.models.signals import post_migrate
from django.utils.translation import gettext as _

from .exceptions import SelfDealing
from .models import Department, DepartmentKind, Dossier, DossierGroupObjectPermission, DossierUserObjectPermission

VIEW = "view_dossier"
ACT = "act_on_dossier"
#: Principals that are not a department code of the scheme.
PRINCIPAL_KEYWORDS = ("applicant", "employer", "authority")


def permission_ids():
    """{codename: permission id} of the two dossier permissions."""
    return _permission_ids()


#: {database alias: {codename: permission id}} and {"access_admin": its id}. The rows are created by ``migrate`` and
#: never change while a process runs; a flush or a migration (tests) emits ``post_migrate``, which empties it.
_permission_ids_cache = {}


def _permission_ids():
    alias = "default"
    cached = _permission_ids_cache.get(alias)
    if cached is None:
        rows = Permission.objects.filter(content_type__app_label="casefiles", codename__in=[VIEW, ACT])
        cached = {p.codename: p.pk for p in rows}
        if len(cached) == 2:  # not remembered half-made (before migrate has created both)
            _permission_ids_cache[alias] = cached
    return cached


def admin_access_permission_id():
    """The id of Wagtail's ``access_admin`` permission (None before wagtailadmin's migrations ran), remembered like
    the dossier permissions' ids."""
    cached = _permission_ids_cache.get("access_admin")
    if cached is None:
        cached = Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin").values_list(
            "pk", flat=True).first()
        if cached is not None:
            _permission_ids_cache["access_admin"] = cached
    return cached


def _forget_permission_ids(**kwargs):
    _permission_ids_cache.clear()


post_migrate.connect(_forget_permission_ids, dispatch_uid="casefiles-permission-ids")


def principal_target(principal, applicant_id, employer_group_id, authority_group_id, group_of_code):
    """('user', user_id) or ('group', group_id) for a principal name, from plain ids (``group_of_code``: a
    department code of the scheme → its group id); None when it does not apply. The one mapping used for one
    dossier (:func:`resolve_principal`) and for many at once (casefiles/services/grants.py)."""
    if principal == "applicant":
        return ("user", applicant_id)
    if principal == "employer":
        return ("group", employer_group_id) if employer_group_id else None
    if principal == "authority":
        return ("group", authority_group_id) if authority_group_id else None
    group_id = group_of_code(principal)
    return ("group", group_id) if group_id else None


def resolve_principal(dossier, principal, departments_by_code=None):
    """('user', user_id) or ('group', group_id) for a principal name, or None when it does not apply."""
    if departments_by_code is None and principal not in PRINCIPAL_KEYWORDS:
        departments_by_code = {d.code: d for d in dossier.scheme.departments.all()}

    def group_of_code(code):
        department = (departments_by_code or {}).get(code)
        return department.group_id if department else None

    return principal_target(
        principal,
        dossier.applicant_id,
        dossier.employer.group_id if dossier.employer_id else None,
        dossier.authority.group_id if dossier.authority_id else None,
        group_of_code,
    )


def desired_grants(dossier, departments_by_code=None):
    """Set of (kind, principal id, codename) the dossier's current state calls for."""
    state = dossier.state
    grants = set()
    for principal in state.view or []:
        target = resolve_principal(dossier, principal, departments_by_code)
        if target:
            grants.add((*target, VIEW))
    if state.actor:
        target = resolve_principal(dossier, state.actor, departments_by_code)
        if target:
            grants.add((*target, VIEW))
            grants.add((*target, ACT))
    # A department or expert asked for an opinion sees the dossier while the request is open (会签 / 专家评审).
    from .models import OpinionRequest, OpinionRequestStatus

    for group_id, expert_id in (
        OpinionRequest.objects.filter(dossier=dossier, status=OpinionRequestStatus.OPEN)
        .values_list("department__group_id", "expert_id")
    ):
        if expert_id:
            grants.add(("user", expert_id, VIEW))
        elif group_id:
            grants.add(("group", group_id, VIEW))
    return grants


def _current_rows(dossier, permission_ids):
    """{(kind, principal id, codename): row id} of the dossier's guardian rows, both tables in one query."""
    perms = {pk: codename for codename, pk in permission_ids.items()}
    groups = (
        DossierGroupObjectPermission.objects.filter(content_object=dossier)
        .order_by()
        .annotate(kind=Value("group"))
        .values_list("kind", "group_id", "permission_id", "pk")
    )
    users = (
        DossierUserObjectPermission.objects.filter(content_object=dossier)
        .order_by()
        .annotate(kind=Value("user"))
        .values_list("kind", "user_id", "permission_id", "pk")
    )
    return {(kind, principal, perms[p]): pk for kind, principal, p, pk in groups.union(users, all=True) if p in perms}


def current_grants(dossier, permission_ids=None):
    return set(_current_rows(dossier, permission_ids or _permission_ids()))


def grants_recompute(dossier, departments_by_code=None):
    """Bring the guardian rows of one dossier in line with its state; returns (added, removed)."""
    perm_ids = _permission_ids()
    want = desired_grants(dossier, departments_by_code)
    rows = _current_rows(dossier, perm_ids)
    have = set(rows)
    added, removed = want - have, have - want
    for kind, model in (("group", DossierGroupObjectPermission), ("user", DossierUserObjectPermission)):
        ids = [rows[grant] for grant in removed if grant[0] == kind]
        if ids:
            # One DELETE by id: ``QuerySet.delete()`` would first SELECT the rows, because the page cache listens
            # to every model's post_delete (policypages/cache.py) and nothing listens to these rows.
            queryset = model.objects.filter(pk__in=ids)
            queryset._raw_delete(queryset.db)
    added_groups = [
        DossierGroupObjectPermission(content_object=dossier, group_id=p, permission_id=perm_ids[c])
        for kind, p, c in added
        if kind == "group"
    ]
    added_users = [
        DossierUserObjectPermission(content_object=dossier, user_id=p, permission_id=perm_ids[c])
        for kind, p, c in added
        if kind == "user"
    ]
    if added_groups:
        DossierGroupObjectPermission.objects.bulk_create(added_groups)
    if added_users:
        DossierUserObjectPermission.objects.bulk_create(added_users)
    return sorted(added), sorted(removed)


def principals_of(user):
    """Everything a user can be granted through: their user id and their groups' ids."""
    return {"user": user.pk, "groups": list(user.groups.values_list("pk", flat=True))}


class _Standing:
    """What one user is, read in one query for one question (:func:`acting_principal`): the ids of their groups,
    whether they work for any department and whether for an employer. The same answers as ``user.groups`` and
    :func:`_departments_of`, asked once instead of once per principal and once more for the self-dealing floor."""

    def __init__(self, user):
        self.user = user
        self._loaded = False

    def _load(self):
        if self._loaded:
            return
        from django.contrib.auth import get_user_model

        departments = _departments_of(self.user)
        rows = list(
            get_user_model().objects.filter(pk=self.user.pk).annotate(
                _member=Exists(departments), _employer=Exists(departments.filter(kind=DepartmentKind.EMPLOYER))
            ).values_list("groups__pk", "_member", "_employer")
        )
        self._group_ids = {group_id for group_id, _member, _employer in rows if group_id is not None}
        self._member = bool(rows and rows[0][1])
        self._employer = bool(rows and rows[0][2])
        self._loaded = True

    def in_group(self, group_id):
        self._load()
        return group_id in self._group_ids

    def works_for_a_department(self):
        self._load()
        return self._member

    def works_for_an_employer(self):
        self._load()
        return self._employer


def user_matches(user, dossier, principal, departments_by_code=None, standing=None):
    """Does ``user`` stand for ``principal`` on this dossier?"""
    target = resolve_principal(dossier, principal, departments_by_code)
    if target is None or not user.is_authenticated:
        return False
    kind, pk = target
    if kind == "user":
        return user.pk == pk
    if standing is not None:
        return standing.in_group(pk)
    return user.groups.filter(pk=pk).exists()


# --- the self-dealing floor ------------------------------------------------------------------------------
# Principals ``applicant`` and ``employer`` are the workflow engine's own vocabulary (like ``authority``),
# not a scheme's rule: which steps they take is read from each scheme's ``by`` and ``actor`` data.
APPLICANT, EMPLOYER = "applicant", "employer"


def _departments_of(user):
    """Departments the user works for, through a membership or directly through the department's group."""
    return Department.objects.filter(Q(memberships__user=user) | Q(group__user=user))


def is_staff_account(user):
    """A staff identity: Django staff, a superuser, or a member of any department (employer contacts too),
    whether through a membership or directly through the department's group. Such an account never applies
    for a card; a person who is both applies with a separate private account."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return _departments_of(user).exists()


def is_employer_contact(user):
    """Works for an employer (a membership in, or the group of, a department of the employer kind)."""
    if not user.is_authenticated:
        return False
    return _departments_of(user).filter(kind=DepartmentKind.EMPLOYER).exists()


def self_dealing(user, dossier, principal, standing=None):
    """Why ``user`` may not act on ``dossier`` as ``principal`` although they stand for it: (code, message),
    or None. The floor under every workflow step: nobody decides on their own application; a staff account
    does not act as an applicant; an employer's contact acts only in the steps the scheme gives the employer."""
    if principal == APPLICANT:
        if standing is not None and user.is_authenticated:
            staff = user.is_staff or user.is_superuser or standing.works_for_a_department()
        else:
            staff = is_staff_account(user)
        if staff:
            return ("staff_applicant", _("A staff account cannot act as an applicant. Please use your separate personal account."))
        return None
    if user.pk == dossier.applicant_id:
        return _own_dossier()
    if principal != EMPLOYER and (
        standing.works_for_an_employer()
        if standing is not None and user.is_authenticated
        else is_employer_contact(user)
    ):
        return ("employer_role", _("An employer's contact may only act in the steps of the employer."))
    return None


def _own_dossier():
    return ("own_dossier", _("You cannot decide on your own application."))


def refuse_own_dossier(user, dossier, attempt):
    """The floor of :func:`self_dealing` for the services that decide on a dossier outside a workflow step
    (card issue and production, public notices and objections, a joint meeting's decision on an agenda
    item): SelfDealing (403) when ``user`` is the applicant of ``dossier``. The service's
    ``refusals_journaled`` wrapper (casefiles/services/refusals.py) journals the refused ``attempt``."""
    if getattr(user, "is_authenticated", False) and user.pk == dossier.applicant_id:
        code, message = _own_dossier()
        raise SelfDealing(message, code=code, journal={
            "action": "casefiles.dossier.refused", "actor": user, "dossier": dossier, "data": {"attempt": attempt}})


#: {user id: _Standing} inside :func:`standings_shared`, else None.
_shared_standings = contextvars.ContextVar("casefiles_shared_standings", default=None)


@contextlib.contextmanager
def standings_shared():
    """Inside the block, :func:`acting_principal` reads each user's standing once: for one page that asks it for
    several panels (the admin dossier page: its buttons, materials, documents and opinion requests asked it five
    times). Only for reading: the block must not change memberships or groups (nothing is kept after it)."""
    token = _shared_standings.set({})
    try:
        yield
    finally:
        _shared_standings.reset(token)


def user_standing(user):
    """What ``user`` is (groups, department, employer), read once when first asked, for a caller that asks
    :func:`acting_principal` several times in one go (the buttons of a dossier page: one question per
    transition). Not kept beyond that caller: a membership changed later is seen by the next one."""
    shared = _shared_standings.get()
    if shared is None or user.pk is None:
        return _Standing(user)
    standing = shared.get(user.pk)
    if standing is None or standing.user is not user:
        standing = shared[user.pk] = _Standing(user)
    return standing


def acting_principal(user, dossier, principals, departments_by_code=None, standing=None):
    """The principal among ``principals`` under which ``user`` may act on ``dossier`` now.

    Returns ``(principal, None)`` when allowed; ``(None, (code, message))`` when the user stands for a
    principal but :func:`self_dealing` forbids every one of them; ``(None, None)`` when they stand for none.
    The workflow service and the selector that offers buttons both ask here, so they cannot drift apart.
    ``standing`` (:func:`user_standing` of the same user) shares one reading of the user between questions."""
    refusal = None
    if standing is None or standing.user is not user:
        standing = user_standing(user)
    for principal in principals:
        if user_matches(user, dossier, principal, departments_by_code, standing):
            problem = self_dealing(user, dossier, principal, standing)
            if problem is None:
                return principal, None
            refusal = refusal or problem
    return None, refusal


def applicant_refusal(user):
    """(code, message) when ``user`` may not start an application in their own name, else None."""
    if is_staff_account(user):
        return ("staff_applicant", _("A staff account cannot apply for a talent card. Please apply with your separate personal account."))
    return None


__all__ = [
    "ACT",
    "VIEW",
    "Dossier",
    "acting_principal",
    "applicant_refusal",
    "desired_grants",
    "grants_recompute",
    "permission_ids",
    "principal_target",
    "is_employer_contact",
    "is_staff_account",
    "refuse_own_dossier",
    "resolve_principal",
    "self_dealing",
    "standings_shared",
    "user_matches",
    "user_standing",
]
