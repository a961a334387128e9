"""Read-side queries of case files."""

from .models import Membership, Role


def roles_for(user):
    """The roles a person holds: through department memberships, plus applicant and administrator."""
    if not user.is_authenticated:
        return set()
    roles = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    if not roles or hasattr(user, "applicant_profile"):
        roles.add(Role.APPLICANT)
    return {str(r) for r in roles}
