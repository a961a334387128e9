"""Who may see and act on a dossier, derived from the scheme's workflow data.

Each workflow state lists the principals that may view a dossier in that state and names the one that
acts on it (as Plone maps permissions per workflow state). Principals are ``applicant``, ``employer``,
``authority`` (the dossier's own competent authority / supervising HR department) or a department code
of the scheme. :func:`grants_recompute` turns that into guardian rows on the direct foreign-key tables,
granted to department groups and to the applicant's user; the workflow service calls it on every change.
"""

from django.contrib.auth.models import Permission

from .models import Dossier, DossierGroupObjectPermission, DossierUserObjectPermission

VIEW = "view_dossier"
ACT = "act_on_dossier"


def _permission_ids():
    rows = Permission.objects.filter(content_type__app_label="casefiles", codename__in=[VIEW, ACT])
    return {p.codename: p.pk for p in rows}


def resolve_principal(dossier, principal, departments_by_code=None):
    """('user', user_id) or ('group', group_id) for a principal name, or None when it does not apply."""
    if principal == "applicant":
        return ("user", dossier.applicant_id)
    if principal == "employer":
        return ("group", dossier.employer.group_id) if dossier.employer_id else None
    if principal == "authority":
        return ("group", dossier.authority.group_id) if dossier.authority_id else None
    if departments_by_code is None:
        departments_by_code = {d.code: d for d in dossier.scheme.departments.all()}
    department = departments_by_code.get(principal)
    return ("group", department.group_id) if department else None


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
    return grants


def current_grants(dossier):
    perms = {pk: codename for codename, pk in _permission_ids().items()}
    grants = {
        ("group", g, perms[p])
        for g, p in DossierGroupObjectPermission.objects.filter(content_object=dossier).values_list("group_id", "permission_id")
        if p in perms
    }
    grants |= {
        ("user", u, perms[p])
        for u, p in DossierUserObjectPermission.objects.filter(content_object=dossier).values_list("user_id", "permission_id")
        if p in perms
    }
    return grants


def grants_recompute(dossier, departments_by_code=None):
    """Bring the guardian rows of one dossier in line with its state; returns (added, removed)."""
    perm_ids = _permission_ids()
    want = desired_grants(dossier, departments_by_code)
    have = current_grants(dossier)
    added, removed = want - have, have - want
    for kind, principal, codename in removed:
        model = DossierGroupObjectPermission if kind == "group" else DossierUserObjectPermission
        model.objects.filter(content_object=dossier, permission_id=perm_ids[codename], **{f"{kind}_id": principal}).delete()
    DossierGroupObjectPermission.objects.bulk_create(
        [
            DossierGroupObjectPermission(content_object=dossier, group_id=p, permission_id=perm_ids[c])
            for kind, p, c in added
            if kind == "group"
        ]
    )
    DossierUserObjectPermission.objects.bulk_create(
        [
            DossierUserObjectPermission(content_object=dossier, user_id=p, permission_id=perm_ids[c])
            for kind, p, c in added
            if kind == "user"
        ]
    )
    return sorted(added), sorted(removed)


def principals_of(user):
    """Everything a user can be granted through: their user id and their groups' ids."""
    return {"user": user.pk, "groups": list(user.groups.values_list("pk", flat=True))}


def user_matches(user, dossier, principal, departments_by_code=None):
    """Does ``user`` stand for ``principal`` on this dossier?"""
    target = resolve_principal(dossier, principal, departments_by_code)
    if target is None or not user.is_authenticated:
        return False
    kind, pk = target
    if kind == "user":
        return user.pk == pk
    return user.groups.filter(pk=pk).exists()


__all__ = ["ACT", "VIEW", "Dossier", "grants_recompute", "desired_grants", "user_matches", "resolve_principal"]
