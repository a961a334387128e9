"""Separation of duties on pages: the approval task of the 政策审核 workflows, and who may publish directly.

``FourEyesApprovalTask`` is Wagtail's group approval with one rule more: whoever submitted the page to the
workflow, or wrote any of the revisions that the approval would publish (every revision since the live one),
is not offered the approve actions and is refused if they post one anyway (``on_action``, which both the
workflow action view and the edit view's "approve" call). Superusers are bound by it too.

Direct publishing (the admin's Publish, outside the workflow) is for the task's approvers only: a non-approver's
group has no ``publish_page`` (``services.policy_workflow_ensure``), and ``publish_refusal`` (used by the
``before_publish_page`` hook and the action menu) also refuses the submitter or an author of a page whose
workflow is in progress, so an approver who submitted cannot short-circuit their own submission by publishing.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail.models import GroupApprovalTask, Revision

SUBMITTER_CANNOT_APPROVE = _("The submitter cannot approve their own submission.")
NOT_AN_APPROVER = _("Only an approver of this page's workflow may publish it directly; submit it for approval.")


def contributor_ids(page, workflow_state=None) -> set[int]:
    """Who made the change an approval would publish: the workflow's submitter and the author of every revision
    since the live one (the submitted revision and any edit made during the workflow)."""
    ids = set()
    workflow_state = workflow_state or page.current_workflow_state
    if workflow_state is not None and workflow_state.requested_by_id:
        ids.add(workflow_state.requested_by_id)
    revisions = Revision.objects.filter(
        base_content_type_id=page.get_base_content_type().pk, object_id=str(page.pk), user__isnull=False
    )
    live_revision_id = getattr(page, "live_revision_id", None)
    if live_revision_id:
        revisions = revisions.filter(pk__gt=live_revision_id)
    ids.update(revisions.values_list("user_id", flat=True))
    return ids


class FourEyesApprovalTask(GroupApprovalTask):
    """Members of the chosen groups approve, except whoever submitted or wrote the change (四眼原则)."""

    def user_is_contributor(self, obj, user, workflow_state=None) -> bool:
        return bool(user.pk) and user.pk in contributor_ids(obj, workflow_state)

    def get_actions(self, obj, user):
        actions = super().get_actions(obj, user)
        if actions and self.user_is_contributor(obj, user):
            actions = [action for action in actions if action[0] != "approve"]
        return actions

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        if action_name == "approve":
            obj = task_state.workflow_state.content_object
            if self.user_is_contributor(obj, user, task_state.workflow_state):
                raise PermissionDenied(SUBMITTER_CANNOT_APPROVE)
        return super().on_action(task_state, user, action_name, **kwargs)

    @classmethod
    def get_description(cls):
        return _("Members of the chosen groups approve, but never a change they submitted or wrote themselves")

    class Meta:
        verbose_name = _("Group approval by someone other than the submitter")
        verbose_name_plural = _("Group approvals by someone other than the submitter")


def four_eyes_task_from(task, task_model=None, content_type=None):
    """Turn a stored ``GroupApprovalTask`` into a ``FourEyesApprovalTask`` in place (same row, same groups, same
    task states, so a workflow in progress is bound at once). Used by the data migration (with its historical
    models) and by ``services.policy_workflow_ensure``."""
    task_model = task_model or FourEyesApprovalTask
    if content_type is None:
        from django.contrib.contenttypes.models import ContentType

        content_type = ContentType.objects.get_for_model(FourEyesApprovalTask)
    child = task_model(
        pk=task.pk,
        task_ptr_id=task.pk,
        groupapprovaltask_ptr_id=task.pk,
        name=task.name,
        content_type_id=content_type.pk,
        active=task.active,
    )
    child.save_base(raw=True)  # the child row only: the task and group-approval rows are already there
    type(task).objects.filter(pk=task.pk).update(content_type=content_type)
    if task_model is FourEyesApprovalTask:
        return FourEyesApprovalTask.objects.get(pk=task.pk)
    return child


def publish_refusal(page, user):
    """Why ``user`` may not publish ``page`` directly (outside its workflow's approval), or None.

    Only pages whose workflow has a four-eyes task are concerned. A user who is not a member of the task's groups
    (not an approver) never publishes directly; while a workflow is in progress, its submitter and the authors of
    the change do not either (they would be approving their own submission)."""
    if not user.is_authenticated:
        return NOT_AN_APPROVER
    workflow = page.get_workflow()
    if workflow is None:
        return None
    tasks = [task.specific for task in workflow.tasks]
    tasks = [task for task in tasks if isinstance(task, FourEyesApprovalTask)]
    if not tasks:
        return None
    if not user.is_superuser and not any(task._user_in_groups(user) for task in tasks):
        return NOT_AN_APPROVER
    if page.workflow_in_progress and user.pk in contributor_ids(page):
        return SUBMITTER_CANNOT_APPROVE
    return None
