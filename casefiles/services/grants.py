"""Grants of many dossiers at once, when a scheme's rules of who sees and acts change.

A dossier's guardian rows follow its workflow state's ``view`` and ``actor`` (casefiles/permissions.py) and are
recomputed on every change of the dossier. When the *rules* change instead — a scheme file reloaded, a workflow
state edited in the admin — every dossier in an affected state must follow, or the old departments keep seeing
dossiers they no longer handle and the new ones see nothing. :func:`scheme_grants_recompute` does that in
batches: each batch locks its dossiers (a concurrent transition waits, then recomputes its own), reads the
rows it needs in a handful of queries, deletes the grants no longer called for and adds the missing ones, and
reports progress. The mapping from principal to grantee is :func:`casefiles.permissions.principal_target`,
the same one a single dossier uses.
"""

from dataclasses import dataclass, field

from django.db import transaction

from ..models import Dossier, DossierGroupObjectPermission, DossierUserObjectPermission
from ..permissions import ACT, VIEW, permission_ids, principal_target

BATCH_SIZE = 5000


@dataclass
class GrantsRecomputed:
    dossiers: int = 0
    added: int = 0
    removed: int = 0
    batches: int = 0
    states: list = field(default_factory=list)


def grant_rules(scheme):
    """{state code: (sorted view principals, actor)}: what decides the grants of a dossier in each state."""
    return {s.code: (tuple(sorted(s.view or [])), s.actor or "") for s in scheme.states.all()}


def changed_grant_states(before, after):
    """State codes whose view or actor differ between two :func:`grant_rules` snapshots (new states have no
    dossiers yet; removed ones are refused on load while they hold any)."""
    return sorted(code for code, rule in after.items() if code in before and before[code] != rule)


def _wanted(rows, rules, group_of_code, open_requests, perms):
    """{(kind, dossier id, grantee id, permission id)} the dossiers' states and open opinion requests call for."""
    wanted = set()
    for pk, state_id, applicant_id, employer_group, authority_group in rows:
        view, actor = rules[state_id]
        for principal in view:
            target = principal_target(principal, applicant_id, employer_group, authority_group, group_of_code)
            if target:
                wanted.add((target[0], pk, target[1], perms[VIEW]))
        if actor:
            target = principal_target(actor, applicant_id, employer_group, authority_group, group_of_code)
            if target:
                wanted.add((target[0], pk, target[1], perms[VIEW]))
                wanted.add((target[0], pk, target[1], perms[ACT]))
    for dossier_id, group_id, expert_id in open_requests:
        if expert_id:
            wanted.add(("user", dossier_id, expert_id, perms[VIEW]))
        elif group_id:
            wanted.add(("group", dossier_id, group_id, perms[VIEW]))
    return wanted


def _batch(ids, scheme_rules, group_of_code, perms):
    from ..models import OpinionRequest, OpinionRequestStatus

    with transaction.atomic():
        rows = list(
            Dossier.objects.filter(pk__in=ids)
            .order_by("pk")
            .select_for_update(of=("self",))
            .values_list("pk", "state_id", "applicant_id", "employer__group_id", "authority__group_id")
        )
        open_requests = OpinionRequest.objects.filter(dossier_id__in=ids, status=OpinionRequestStatus.OPEN).values_list(
            "dossier_id", "department__group_id", "expert_id"
        )
        wanted = _wanted(rows, scheme_rules, group_of_code, open_requests, perms)
        have = {}
        for model, kind, grantee in (
            (DossierGroupObjectPermission, "group", "group_id"),
            (DossierUserObjectPermission, "user", "user_id"),
        ):
            for row_pk, dossier_id, grantee_id, permission_id in model.objects.filter(
                content_object_id__in=ids, permission_id__in=perms.values()
            ).values_list("pk", "content_object_id", grantee, "permission_id"):
                have[(kind, dossier_id, grantee_id, permission_id)] = row_pk
        stale = [key for key in have if key not in wanted]
        missing = [key for key in wanted if key not in have]
        for model, kind in ((DossierGroupObjectPermission, "group"), (DossierUserObjectPermission, "user")):
            doomed = [have[key] for key in stale if key[0] == kind]
            if doomed:
                model.objects.filter(pk__in=doomed).delete()
        DossierGroupObjectPermission.objects.bulk_create(
            [DossierGroupObjectPermission(content_object_id=d, group_id=g, permission_id=p) for k, d, g, p in missing if k == "group"],
            batch_size=BATCH_SIZE,
        )
        DossierUserObjectPermission.objects.bulk_create(
            [DossierUserObjectPermission(content_object_id=d, user_id=u, permission_id=p) for k, d, u, p in missing if k == "user"],
            batch_size=BATCH_SIZE,
        )
    return len(rows), len(missing), len(stale)


def scheme_grants_recompute(scheme, *, states=None, batch_size=BATCH_SIZE, progress=None):
    """Bring the grants of every dossier of ``scheme`` (or only those in the state codes ``states``) in line
    with the current rules, ``batch_size`` dossiers per transaction; ``progress(done, total)`` after each batch.
    Returns a :class:`GrantsRecomputed` with the counts."""
    perms = permission_ids()
    rules = {s.pk: (list(s.view or []), s.actor or "") for s in scheme.states.all()}
    groups = dict(scheme.departments.values_list("code", "group_id"))
    queryset = Dossier.objects.filter(scheme=scheme)
    if states is not None:
        queryset = queryset.filter(state__scheme=scheme, state__code__in=list(states))
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    result = GrantsRecomputed(states=sorted(states) if states is not None else [])
    for start in range(0, len(ids), batch_size):
        done, added, removed = _batch(ids[start : start + batch_size], rules, groups.get, perms)
        result.dossiers += done
        result.added += added
        result.removed += removed
        result.batches += 1
        if progress is not None:
            progress(min(start + batch_size, len(ids)), len(ids))
    return result
