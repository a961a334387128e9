"""Read-side queries of case files. Listings filter in the database on guardian's direct-FK tables,
never by checking rows one by one in Python."""

from django.contrib.auth.models import Permission
from django.db.models import Q

from .models import Dossier, DossierGroupObjectPermission, DossierUserObjectPermission, Membership, Role
from .permissions import ACT, VIEW


def roles_for(user):
    """The roles a person holds: through department memberships, plus applicant and administrator."""
    if not user.is_authenticated:
        return set()
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    if not roles or user.dossiers.exists():
        roles.add(Role.APPLICANT)
    return {str(r) for r in roles}


def _permission_id(codename):
    # Constant per database; resolving it up front lets PostgreSQL use the (group, permission, object)
    # index instead of joining auth_permission for every grant row.
    return Permission.objects.get(content_type__app_label="casefiles", codename=codename).pk


def _granted(user, codename):
    """Dossiers granted to the user or one of their groups: a UNION of ids drives the join.

    ``EXISTS(group grant) OR EXISTS(user grant)`` cannot become a semi-join, so PostgreSQL probes both
    for every dossier (seconds at 100k rows); the UNION is read from the grant indexes first.
    """
    permission = _permission_id(codename)
    by_group = DossierGroupObjectPermission.objects.filter(
        permission_id=permission, group__in=user.groups.values("pk")
    ).values("content_object_id")
    by_user = DossierUserObjectPermission.objects.filter(permission_id=permission, user=user).values("content_object_id")
    return Q(pk__in=by_group.union(by_user, all=True))


def dossiers_visible_to(user, queryset=None):
    queryset = Dossier.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.filter(_granted(user, VIEW))


def dossiers_actionable_by(user, queryset=None):
    """The worklist (待办): dossiers whose current state this user's department or the user acts on."""
    queryset = Dossier.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(_granted(user, ACT))


def dossiers_handled_by(user, queryset=None):
    """Done (已办): dossiers the user's departments gave an opinion on and may still see."""
    queryset = dossiers_visible_to(user, queryset)
    departments = Membership.objects.filter(user=user).values("department")
    return queryset.filter(opinions__department__in=departments).distinct()


def dossier_for(user, pk):
    """A dossier the user may see, or Dossier.DoesNotExist (a 404: existence is not revealed)."""
    return dossiers_visible_to(user).select_related("scheme", "state", "requested_tier", "employer", "authority").get(pk=pk)


def can_view(user, dossier):
    return dossiers_visible_to(user, Dossier.objects.filter(pk=dossier.pk)).exists()


def transitions_available(user, dossier, today=None):
    """Transitions the user may fire now (for showing buttons; the action checks again on execute): every
    check of :class:`casefiles.actions.transition.TransitionAction` but the comment, guards included."""
    from .actions.transition import transitions_available as available

    return available(user, dossier, today=today)
