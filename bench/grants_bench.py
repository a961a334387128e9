"""Grants recomputed after a rule change (issue #17 item 4), at 100,000 dossiers on PostgreSQL.

A state's ``view`` gains a department in every scheme (as a reloaded scheme file or an admin edit would do), then
``scheme_grants_recompute`` brings every dossier of every scheme in line, in batches; then a second pass that has
nothing to change; then, for the ratio, the one-dossier-at-a-time path (``grants_recompute``) on a sample, in the
same run. Wall and CPU time (the CPU of this Python process; the database's own CPU is not in it).

Usage (needs PostgreSQL; takes a throw-away database):
    DATABASE_URL=postgres://huicai:huicai@127.0.0.1:5432/huicai_bench .venv/bin/python -m bench.grants_bench --dossiers 100000
"""

import argparse
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huicai.settings.test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.loadgen import generate  # noqa: E402
from bench.report import write_section  # noqa: E402
from casefiles.models import Dossier, Scheme, StateKind  # noqa: E402
from casefiles.permissions import grants_recompute  # noqa: E402
from casefiles.services.grants import scheme_grants_recompute  # noqa: E402


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def widen_one_state(scheme):
    """Give one review stage's view a department that did not see it: the rule change being measured."""
    departments = sorted(scheme.departments.values_list("code", flat=True))
    for state in scheme.states.filter(kind=StateKind.STAGE).order_by("order"):
        others = [code for code in departments if code != state.actor and code not in (state.view or [])]
        if others:
            state.view = [*(state.view or []), others[0]]
            state.save(update_fields=["view"])
            return state.code
    return None


def recompute_all(batch_size):
    totals = {"dossiers": 0, "added": 0, "removed": 0, "batches": 0}
    for scheme in Scheme.objects.order_by("slug"):
        last = [0]

        def progress(done, total, slug=scheme.slug):
            if done - last[0] >= 20000 or done == total:
                print(f"  {slug}: {done:,}/{total:,}", file=sys.stderr)
                last[0] = done

        result = scheme_grants_recompute(scheme, batch_size=batch_size, progress=progress)
        for key in totals:
            totals[key] += getattr(result, key)
    return totals


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=100000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--sample", type=int, default=2000, help="dossiers for the one-at-a-time comparison")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("grants_bench needs PostgreSQL (set DATABASE_URL)")
    call_command("migrate", verbosity=0)
    from casefiles.demo import load_schemes_and_users

    load_schemes_and_users(password="bench-pass-123")
    current = Dossier.objects.count()
    if current < args.dossiers:
        _r, wall, _c = timed(lambda: generate(args.dossiers - current))
        print(f"generated {args.dossiers - current:,} dossiers in {wall:.0f}s", file=sys.stderr)
    total = Dossier.objects.count()
    changed = {s.slug: widen_one_state(s) for s in Scheme.objects.order_by("slug")}
    print(f"changed states: {changed}", file=sys.stderr)
    changed_run, wall_1, cpu_1 = timed(lambda: recompute_all(args.batch_size))
    noop_run, wall_2, cpu_2 = timed(lambda: recompute_all(args.batch_size))
    sample = list(Dossier.objects.select_related("scheme", "state", "employer", "authority").order_by("?")[: args.sample])
    _r, wall_3, cpu_3 = timed(lambda: [grants_recompute(d) for d in sample])
    per_one = wall_3 / len(sample)
    rows = [
        ("after the rule change (batched)", changed_run, wall_1, cpu_1),
        ("second pass, nothing to change (batched)", noop_run, wall_2, cpu_2),
    ]
    lines = ["| run | dossiers | batches | grants added | grants removed | wall s | CPU s | dossiers/s |", "|---|---|---|---|---|---|---|---|"]
    for label, run, wall, cpu in rows:
        lines.append(f"| {label} | {run['dossiers']:,} | {run['batches']} | {run['added']:,} | {run['removed']:,} | "
                     f"{wall:.1f} | {cpu:.1f} | {run['dossiers'] / wall:,.0f} |")
    lines.append(f"| one dossier at a time (`grants_recompute`), sample | {len(sample):,} | — | — | — | {wall_3:.1f} | {cpu_3:.1f} | "
                 f"{len(sample) / wall_3:,.0f} |")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    body = (
        f"Load average at the end (1, 5, 15 min): {load}.\n\n{total:,} dossiers across the five schemes (loadgen mix: about one in twelve open). One review stage per scheme "
        f"gained a department in its `view` ({', '.join(f'{k}: {v}' for k, v in changed.items())}); every dossier of every "
        f"scheme was then recomputed, {args.batch_size:,} per transaction (each batch locks its dossiers).\n\n"
        + "\n".join(lines)
        + f"\n\n- Target: ≤ 60 s for 100,000 dossiers. Batched: {wall_1:.1f} s wall.\n"
        f"- The one-at-a-time path would take about {per_one * total:.0f} s for the same {total:,} dossiers "
        f"({per_one * 1000:.1f} ms each): batched is {per_one * total / wall_1:.0f}× faster in this run.\n"
    )
    write_section("grants", "Grants recomputed after a rule change", body,
                  f"python -m bench.grants_bench --dossiers {args.dossiers} --batch-size {args.batch_size}")
    print(body)


if __name__ == "__main__":
    main()
