"""bench/transition_bench.py's side functions on the test database: the plan comes from scheme data and every
step it times really moved its dossier (no timed assertions). The dossiers are the tests' own drafts (with their
required materials), one per scheme: bench.loadgen's rows are made for PostgreSQL (on SQLite its ``facts`` land as
a JSON string, which the guards cannot read)."""

import pytest

from casefiles.models import Dossier, Opinion, Scheme, WorkflowTransition

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("schemes_once")]


def test_planned_transitions_commit_and_move_their_dossiers():
    from bench.transition_bench import plan_transitions, run_transitions
    from tests.casefiles.factories import new_dossier, setup_schemes

    for seed, slug in enumerate(setup_schemes()):
        new_dossier(slug, seed=seed)

    plan = plan_transitions(2)
    assert len(plan) == 2
    assert plan[0]["scheme"] != plan[1]["scheme"]  # scheme by scheme in turn
    before = {s["dossier"]: Dossier.objects.get(pk=s["dossier"]).state_id for s in plan}

    result = run_transitions(plan)

    assert result["asked"] == result["committed"] == 2, result["refused"]
    assert not result["refused"]
    assert len(result["wall_ms"]) == len(result["cpu_ms"]) == 2
    assert all(v > 0 for v in result["wall_ms"]) and all(v >= 0 for v in result["cpu_ms"])
    assert "dossier_transition" in result["entry"] or "TransitionAction" in result["entry"]
    if result["backend_pid"] is None:  # SQLite: no backend process to read
        assert result["backend_cpu_s"] is None
    for step, (dossier_pk, code, from_state, to_state) in zip(plan, result["changes"], strict=True):
        dossier = Dossier.objects.select_related("state").get(pk=dossier_pk)
        transition = WorkflowTransition.objects.get(scheme=dossier.scheme, code=step["transition"])
        assert code == step["transition"] and from_state != to_state
        assert dossier.state_id != before[dossier_pk] and dossier.state == transition.target
        assert Opinion.objects.filter(dossier=dossier, transition=code).exists()

    # Dossiers that took a step are no longer fresh: the next plan takes the others, one per scheme.
    again = plan_transitions(10)
    assert not {s["dossier"] for s in again} & set(before)
    assert len(again) == Scheme.objects.count() - 2
