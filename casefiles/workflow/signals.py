"""Signals of the workflow engine. Receivers run inside the transition's transaction."""

from django.dispatch import Signal

#: Sent by :class:`casefiles.actions.transition.TransitionAction` after a transition is written.
#: sender=WorkflowTransition; kwargs: dossier, transition, from_state, to_state, user, opinion, department,
#: granted_tier. A receiver may set ``dossier.issued_card``.
dossier_transitioned = Signal()
