"""The dossier's way through its scheme's stages, for the staff dossier page (issue #19 item 2).

Read from the scheme's workflow data, never from state codes: the start and review stages in their order, a
waiting state (补正, 一事一议, 公示) only where this dossier has been, and the end it is heading for: the end it
has reached, else the end the last review stage leads to. Each step carries when the dossier last entered it.
"""

from dataclasses import dataclass
from datetime import date, datetime

from .models import StateKind, WorkflowTransition


@dataclass
class Step:
    state: object
    reached_at: datetime | None
    current: bool
    due: date | None = None
    skipped: bool = False

    @property
    def reached(self):
        return self.reached_at is not None


def stage_progress(dossier):
    """[Step] in the scheme's order; the dossier's current state is ``current`` and carries its due date."""
    states = list(dossier.scheme.states.order_by("order", "pk"))
    entered = {}
    for to_state_id, created_at in dossier.opinions.order_by("created_at", "pk").values_list(
        "to_state_id", "created_at"
    ):
        entered[to_state_id] = created_at  # the last time it was entered
    start = next((s for s in states if s.kind == StateKind.START), None)
    if start is not None:
        entered.setdefault(start.pk, dossier.created_at)
    current = dossier.state_id
    if current is not None and dossier.state_entered_at:
        entered[current] = dossier.state_entered_at
    stages = [s for s in states if s.kind == StateKind.STAGE]
    ends = [s for s in states if s.kind == StateKind.END]
    heading = next((s for s in ends if s.pk == current), None)
    if heading is None and stages:
        targets = set(
            WorkflowTransition.objects.filter(sources=stages[-1], target__kind=StateKind.END).values_list(
                "target_id", flat=True
            )
        )
        heading = next((s for s in ends if s.pk in targets), None)
    shown = [
        s
        for s in states
        if s.kind in (StateKind.START, StateKind.STAGE)
        or (s.kind == StateKind.WAITING and (s.pk in entered or s.pk == current))
        or s == heading
    ]
    steps = [
        Step(
            state=s,
            reached_at=entered.get(s.pk),
            current=s.pk == current,
            due=dossier.due_date if s.pk == current else None,
        )
        for s in shown
    ]
    at = next((i for i, step in enumerate(steps) if step.current), -1)
    for step in steps[: max(at, 0)]:
        step.skipped = not step.reached  # a stage this dossier's route went past
    return steps
