"""One committed workflow transition under the microscope (issue #21): queries and CPU per transition.

    DATABASE_URL=postgres://huicai:huicai@127.0.0.1:5432/huicai_prof .venv/bin/python -m bench.transition_profile \
        --setup --count 60 [--profile 25]

Fires ``--count`` committed transitions (the plan of ``bench.transition_bench``: fresh dossiers, scheme by scheme,
the first step the principal's demo user may take) one client, and prints the median and mean number of queries
(``CaptureQueriesContext``), wall and CPU ms per transition; with ``--profile N`` the top N functions by cumulative
time (cProfile over the same loop, a separate pass so the timings above are not inflated by the profiler).
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import time
from collections import Counter


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", action="store_true", help="migrate, load schemes and users, 2,000 dossiers")
    parser.add_argument("--dossiers", type=int, default=2000)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions of a cProfile pass")
    parser.add_argument("--queries", action="store_true", help="print the queries of one transition")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huicai.settings.test")
    os.environ.setdefault("HUICAI_SEARCH_INDEX_ON_COMMIT", "0")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from bench.transition_bench import COMMENT, fire_entry, side_plan, side_setup
    from casefiles.models import Dossier

    if args.setup:
        side_setup(args.dossiers, 30)
    fire, entry = fire_entry()
    passes = 2 if args.profile else 1
    plan = side_plan(args.warmup + passes * args.count, [], 30)
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in={s["user"] for s in plan})}

    def one(step):
        dossier = Dossier.objects.select_related("scheme", "state").get(pk=step["dossier"])
        with transaction.atomic():
            fire(dossier=dossier, transition=step["transition"], user=users[step["user"]], comment=COMMENT)

    for step in plan[: args.warmup]:
        one(step)
    measured = plan[args.warmup : args.warmup + args.count]
    queries, wall, cpu, shown = [], [], [], False
    kinds = Counter()
    for step in measured:
        with CaptureQueriesContext(connection) as captured:
            w, c = time.perf_counter(), time.process_time()
            one(step)
            c, w = time.process_time() - c, time.perf_counter() - w
        # the dossier's own read before the action is the caller's, not the transition's
        queries.append(len(captured.captured_queries) - 1)
        wall.append(1000 * w)
        cpu.append(1000 * c)
        kinds[f"{step['scheme']}:{step['transition']}"] += 1
        if args.queries and not shown:
            shown = True
            for q in captured.captured_queries:
                print(q["time"], q["sql"][:300])
    print(f"entry point: {entry}; {len(measured)} committed transitions, {len(kinds)} kinds")
    print(
        f"queries per transition: median {statistics.median(queries)}, mean {statistics.mean(queries):.1f}, "
        f"min {min(queries)}, max {max(queries)}"
    )
    print(f"wall ms: median {statistics.median(wall):.1f}, mean {statistics.mean(wall):.1f}")
    print(f"CPU ms (client, incl. CaptureQueriesContext): median {statistics.median(cpu):.1f}, mean {statistics.mean(cpu):.1f}")
    if args.profile:
        profiler = cProfile.Profile()
        rest = plan[args.warmup + args.count :]
        profiler.enable()
        for step in rest:
            one(step)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(args.profile)
        stats.sort_stats("tottime").print_stats(args.profile)
        print(out.getvalue())


if __name__ == "__main__":
    main()
