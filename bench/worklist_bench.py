"""Department worklist (待办) at growing numbers of dossiers on PostgreSQL: the page as the admin reads it now
(keyset walk per state on the worklist index, count stopped at 1,001) against the way it was read before (the
whole granted list sorted, an offset page, an exact count), same run, same data.

Usage (needs PostgreSQL; takes a throw-away database, reused between runs: dossiers are only added):
    DATABASE_URL=postgres://huicai:huicai@127.0.0.1:5432/huicai_bench .venv/bin/python -m bench.worklist_bench --sizes 100000,1000000 --open-weight 90

``--open-weight 90`` weighs each open state 90 against 30 per closed one (about 75% open: a department with
90,000 open dossiers among 1,000,000); the default 1 is the realistic mix (about 8% open).
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huicai.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402

from bench.loadgen import generate  # noqa: E402
from bench.report import write_section  # noqa: E402
from casefiles.models import Dossier  # noqa: E402
from casefiles.selectors import WORKLIST_COUNT_CAP, dossiers_actionable_by, dossiers_actionable_page  # noqa: E402

USERS = ["baiyun.hr-bureau", "jilin.hr-bureau", "chuxiong.talent-office", "liaocheng.hr-bureau", "tonghua.service-center"]


PAGE = 25  # the admin worklist's page
DEEP = 40  # the deep page measured: rows 1,001–1,025
LIST_RELATED = ("scheme", "state", "requested_tier", "employer")


def before(user, page=1):
    """The worklist as the admin read it until December 2026: the granted dossiers sorted, an offset page, an
    exact count."""
    queryset = dossiers_actionable_by(user, Dossier.objects.select_related(*LIST_RELATED))
    ordered = queryset.order_by(F("due_date").asc(nulls_last=True), "-created_at")
    rows = list(ordered[(page - 1) * PAGE : page * PAGE])
    return rows, queryset.count()


def after(user, cursor=None):
    """The worklist as the admin reads it now (casefiles.selectors.dossiers_actionable_page)."""
    rows, following, total = dossiers_actionable_page(
        user, Dossier.objects.select_related(*LIST_RELATED), after=cursor, size=PAGE, count_cap=WORKLIST_COUNT_CAP
    )
    return rows, total, following


def cursor_at(user, page):
    """The keyset cursor that starts page ``page`` (walked once, not timed)."""
    cursor = None
    for _ in range(page - 1):
        _rows, _total, cursor = after(user, cursor)
        if cursor is None:
            return None
    return cursor


def measure(fn, repeat):
    """p50 and p95 of wall time and of this process's CPU time (ms), and the last result."""
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    walls.sort()
    cpus.sort()
    p95 = max(0, int(len(walls) * 0.95 + 0.5) - 1)
    return statistics.median(walls), walls[p95], statistics.median(cpus), cpus[p95], result


def transition_costs(user, count):
    """Time ``dossier_transition`` on up to ``count`` dossiers of the user's worklist, each rolled back afterwards.

    The whole service runs (lock, permission and state checks, the state change, grants recomputed, journal
    entry, search outbox, notifications queued); the commit and what runs after it (indexing) do not."""
    from django.db import transaction

    from casefiles.selectors import transitions_available
    from casefiles.services.dossiers import dossier_transition

    class Rollback(Exception):
        pass

    times, failed = [], 0
    for dossier in dossiers_actionable_by(user).select_related("scheme", "state")[: count * 3]:
        candidates = transitions_available(user, dossier)
        if not candidates:
            continue
        start = time.perf_counter()
        try:
            with transaction.atomic():
                dossier_transition(dossier=dossier, transition=candidates[0].code, user=user, comment="基准测试意见。")
                elapsed = (time.perf_counter() - start) * 1000
                raise Rollback
        except Rollback:
            times.append(elapsed)
        except Exception:  # a synthetic dossier the service refuses (e.g. a precondition): not timed
            failed += 1
        if len(times) >= count:
            break
    times.sort()
    if not times:
        return None, None, failed
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], failed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--open-weight", type=int, default=1, help="weight of each open state against 30 per closed state")
    parser.add_argument("--section", default="worklists")
    parser.add_argument("--title-suffix", default="")
    parser.add_argument("--transitions", type=int, default=0, metavar="N",
                        help="also time N workflow transitions per user and size (rolled back)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("worklist_bench needs PostgreSQL (set DATABASE_URL)")
    call_command("migrate", verbosity=0)
    from casefiles.demo import load_schemes_and_users

    if not get_user_model().objects.filter(username__in=USERS).count() == len(USERS):  # a reused database has them
        load_schemes_and_users(password="bench-pass-123")
    users = [get_user_model().objects.get(username=u) for u in USERS]
    rows = []
    transition_rows = []
    current = Dossier.objects.count()
    for size in [int(s) for s in args.sizes.split(",")]:
        if current < size:
            start = time.monotonic()
            generate(size - current, open_weight=args.open_weight)
            print(f"generated {size - current} in {time.monotonic() - start:.0f}s", file=sys.stderr)
            current = size
        for user in users:
            deep = cursor_at(user, DEEP)
            cases = [
                ("first page", "before", lambda u=user: before(u)),
                ("first page", "after", lambda u=user: after(u)),
            ]
            if deep is not None:
                cases += [
                    (f"page {DEEP}", "before", lambda u=user: before(u, DEEP)),
                    (f"page {DEEP}", "after", lambda u=user, c=deep: after(u, c)),
                ]
            for page, how, fn in cases:
                fn()  # warm the cache
                p50, p95, c50, c95, result = measure(fn, args.repeat)
                total = result[1]
                rows.append((size, user.username, page, how, total, p50, p95, c50, c95))
                print(f"{size:>8} {user.username:26} {page:10} {how:6} total={total:>7} p50={p50:7.1f}ms p95={p95:7.1f}ms "
                      f"cpu p50={c50:6.1f}ms", file=sys.stderr)
            if args.transitions:
                t50, t95, failed = transition_costs(user, args.transitions)
                transition_rows.append((size, user.username, t50, t95, failed))
                print(f"{size:>8} {user.username:26} transition p50={t50}ms p95={t95}ms refused={failed}", file=sys.stderr)
    load = os.getloadavg()
    lines = [
        "| dossiers | worklist of | page | read | count shown | p50 ms | p95 ms | CPU p50 ms | CPU p95 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size, username, page, how, total, p50, p95, c50, c95 in rows:
        shown = f"{WORKLIST_COUNT_CAP:,}+" if how == "after" and total > WORKLIST_COUNT_CAP else f"{total:,}"
        lines.append(f"| {size:,} | {username} | {page} | {how} | {shown} | {p50:.1f} | {p95:.1f} | {c50:.1f} | {c95:.1f} |")
    ratios = []
    for size in sorted({r[0] for r in rows}):
        for page in sorted({r[2] for r in rows if r[0] == size}):
            pairs = {}
            for r in rows:
                if r[0] == size and r[2] == page:
                    pairs.setdefault(r[1], {})[r[3]] = r[6]
            values = [p["before"] / p["after"] for p in pairs.values() if "before" in p and "after" in p]
            worst = max((p["after"] for p in pairs.values() if "after" in p), default=0)
            if values:
                ratios.append(f"- {size:,} dossiers, {page}: before/after p95 ratio (mean over users) = "
                              f"{statistics.mean(values):.1f}×; slowest p95 after = {worst:.1f} ms")
    body = (
        f"The 待办 worklist page ({PAGE} rows in the worklist order: due date, undated last, newest first) plus its "
        f"count, {args.repeat} runs each after one warm-up, in one process on one connection. **before**: the "
        "granted dossiers sorted, an offset page and an exact count (the admin until this change); **after**: "
        "`dossiers_actionable_page` (keyset walk per workflow state on the `dossier_state_worklist` index, "
        f"count stopped at {WORKLIST_COUNT_CAP + 1:,} and shown as \"{WORKLIST_COUNT_CAP:,}+\" / \"{WORKLIST_COUNT_CAP:,} 件以上\"). "
        f"Page {DEEP}: offset {(DEEP - 1) * PAGE:,} before, a cursor after. CPU is this (client) process's time; "
        "the PostgreSQL server's CPU is inside the wall time.\n\n"
        f"Load average at the end of the run: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (2 cores shared with "
        "three other agents' test runs and benchmarks).\n\n" + "\n".join(lines) + "\n\n" + "\n".join(ratios)
        + "\n\nWhy: before, PostgreSQL read every granted id (a UNION over the grant index), fetched and sorted all "
        "of the department's dossiers and counted them all — cost grows with the worklist. After, each branch "
        "walks `dossier_state_worklist` (state, due_date, -created_at, -id) from the cursor and probes the grant "
        "index per row (`EXISTS … OFFSET 0`, which PostgreSQL will not turn into a semi-join; a plain EXISTS became "
        "a merge over all 40,000–90,000 grants on deep pages, ≈ 120 ms), stopping after 26 keys; the count walks "
        "the same branches and stops at 1,001 rows. Query plans (EXPLAIN ANALYZE, 1,000,000 dossiers): a branch's "
        "page executes in 0.2–0.8 ms; the rest of the wall time is the six queries' round trips, planning and "
        "building the 25 rows in Python (CPU column), and the waiting on a machine shared with other work."
    )
    if transition_rows:
        lines = ["| dossiers | transition by | p50 ms | p95 ms | refused (not timed) |", "|---|---|---|---|---|"]
        for size, username, t50, t95, failed in transition_rows:
            fmt = lambda v: "—" if v is None else f"{v:.1f}"  # noqa: E731
            lines.append(f"| {size:,} | {username} | {fmt(t50)} | {fmt(t95)} | {failed} |")
        body += ("\n\nOne workflow transition (`dossier_transition`: lock, checks, state change, grants recomputed, journal "
                 f"entry, outbox), up to {args.transitions} per user on the first dossiers of the worklist, each rolled back "
                 "(the commit is not timed).\n\n" + "\n".join(lines))
    write_section(args.section, "Worklists: keyset pages and capped counts against offset pages" + args.title_suffix, body,
                  f"python -m bench.worklist_bench --sizes {args.sizes} --open-weight {args.open_weight}"
                  + (f" --transitions {args.transitions}" if args.transitions else ""))


if __name__ == "__main__":
    main()
