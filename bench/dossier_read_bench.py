"""What reading one dossier for a user costs (``casefiles.selectors.dossier_for``), against the ORM form it replaced.

Every dossier page, API detail, journal and download reads one dossier through ``dossier_for``: is it visible to the
user, then the row. The visibility was ``dossiers_visible_to(user)`` (a UNION of the user's group and user grants as a
subquery) filtered to the one id; it is now ``sees_dossier`` (that dossier's own grants, in one statement written once
per process). Both run here on the demo data (loaded in a transaction that is rolled back), interleaved round by round
over the same (user, dossier) pairs, and must give the same answers.

    .venv/bin/python -m bench.dossier_read_bench --database postgres://huicai:huicai@127.0.0.1:5432/bench [--rounds 3]

The database must be migrated and hold no scheme (a copy of the test template: ``CREATE DATABASE bench TEMPLATE
<base>_tpl_<digest>``).
"""

import argparse
import os
import statistics
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=int, default=40)
    args = parser.parse_args(argv)
    os.environ["DATABASE_URL"] = args.database
    os.environ["ELASTICSEARCH_URL"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huicai.settings.test")
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from casefiles.models import Dossier
    from casefiles.selectors import dossier_for, dossiers_visible_to

    def orm_dossier_for(user, pk):  # the form dossier_for had before sees_dossier
        related = ("scheme", "state", "requested_tier", "employer", "authority")
        return dossiers_visible_to(user).select_related(*related).get(pk=pk)

    with transaction.atomic():
        call_command("load_demo", password="bench-pass-123", stdout=open(os.devnull, "w"))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        users = list(get_user_model().objects.order_by("username")[: args.users])
        pks = list(Dossier.objects.order_by("pk").values_list("pk", flat=True))[::3]
        pairs = [(user, pk) for user in users for pk in pks]

        def run(read):
            seen = set()
            wall, cpu = time.perf_counter(), time.process_time()
            for user, pk in pairs:
                try:
                    read(user, pk)
                    seen.add((user.pk, pk))
                except Dossier.DoesNotExist:
                    pass
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            return seen, wall / len(pairs) * 1000, cpu / len(pairs) * 1000

        results = {"orm": [], "sees_dossier": []}
        answers = {}
        for _ in range(args.rounds):
            for name, read in (("orm", orm_dossier_for), ("sees_dossier", dossier_for)):
                seen, wall, cpu = run(read)
                answers.setdefault(name, seen)
                results[name].append((wall, cpu))
        transaction.set_rollback(True)
    if answers["orm"] != answers["sees_dossier"]:
        sys.exit("the two reads disagree")
    print(f"{len(pairs)} (user, dossier) pairs, {len(answers['orm'])} visible; "
          f"ms per read, median (min) of {args.rounds} rounds")
    for name, rows in results.items():
        walls, cpus = [r[0] for r in rows], [r[1] for r in rows]
        print(f"{name:13} wall {statistics.median(walls):.2f} ({min(walls):.2f})  "
              f"CPU {statistics.median(cpus):.2f} ({min(cpus):.2f})")


if __name__ == "__main__":
    main()
