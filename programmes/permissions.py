"""Who may see and change programme records in the admin: one :class:`huicai.admin_scope.ScopedPolicy` per model,
registered with Wagtail. Every admin view of these models (the commissioners' viewset and the hand-written pages of
``adminviews``) fetches its rows through them, so another scheme's record is not found (404)."""

from wagtail.permissions import register_permission_policy

from huicai.admin_scope import ALL_ACTIONS, ScopedPolicy

from . import selectors
from .models import Feedback, Meeting, ServiceChangeRequest, ServiceCommissioner


def _active(user):
    return user.is_authenticated and user.is_active


class OfficePolicy(ScopedPolicy):
    """Records of a scheme, managed by the scheme's programme office (聊城 第三十八条: the HR department keeps the
    commissioners; joint meetings and catalogue changes belong to the office that runs the programme)."""

    scheme_path = "scheme"

    def model_actions(self, user):
        return set(ALL_ACTIONS) if _active(user) and selectors.is_programme_office(user) else set()

    def scope(self, user, queryset):
        if user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.scheme_path}__in": selectors.office_schemes(user).values("pk")})


class MeetingPolicy(OfficePolicy):
    scheme_path = "joint_meeting__scheme"


class FeedbackPolicy(ScopedPolicy):
    """Feedback is answered by the unit it was routed to (everything for a superuser)."""

    def model_actions(self, user):
        from .adminviews import is_unit_staff

        return {"view", "change"} if _active(user) and is_unit_staff(user) else set()

    def scope(self, user, queryset):
        return queryset.filter(pk__in=selectors.feedback_queue_for(user).values("pk"))


POLICIES = {
    ServiceCommissioner: OfficePolicy,
    ServiceChangeRequest: OfficePolicy,
    Meeting: MeetingPolicy,
    Feedback: FeedbackPolicy,
}


def register():
    for model, policy in POLICIES.items():
        register_permission_policy(model, policy(model), exact_class=True)
