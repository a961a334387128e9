"""The workflow engine's vocabulary: what a state or a transition's data means (guards, roles, signals).

Nothing here names a scheme, a state code or a transition code: every rule is read from the scheme's rows
(loaded from casefiles/schemes/<slug>.yaml). The one mutation, firing a transition, is
:class:`casefiles.actions.transition.TransitionAction`.
"""
