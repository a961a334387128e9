"""Department worklist, first page, at growing numbers of dossiers on PostgreSQL: guardian direct
foreign-key tables (what Huicai uses) against guardian's generic tables (object_pk as text), same run,
same data.

Usage (needs PostgreSQL; takes a throw-away database):
    DATABASE_URL=postgres://huicai:huicai@127.0.0.1:5432/huicai_bench .venv/bin/python -m bench.worklist_bench --sizes 100000,1000000
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
from django.contrib.auth.models import Permission  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import BigIntegerField  # noqa: E402
from django.db.models.functions import Cast  # noqa: E402
from guardian.models import GroupObjectPermission, UserObjectPermission  # noqa: E402

from bench.loadgen import generate  # noqa: E402
from bench.report import write_section  # noqa: E402
from casefiles.models import Dossier  # noqa: E402
from casefiles.selectors import dossiers_actionable_by  # noqa: E402

USERS = ["baiyun.hr-bureau", "jilin.hr-bureau", "chuxiong.talent-office", "liaocheng.hr-bureau", "tonghua.service-center"]


def generic_actionable(user):
    """The same worklist on guardian's generic tables, written the same way (UNION of granted ids);
    object_pk is text there, so it is cast to match the dossier's integer key."""
    ct = ContentType.objects.get_for_model(Dossier)
    permission = Permission.objects.get(content_type=ct, codename="act_on_dossier").pk
    by_group = GroupObjectPermission.objects.filter(
        content_type=ct, permission_id=permission, group__in=user.groups.values("pk")
    ).annotate(obj=Cast("object_pk", BigIntegerField())).values("obj")
    by_user = UserObjectPermission.objects.filter(content_type=ct, permission_id=permission, user=user).annotate(
        obj=Cast("object_pk", BigIntegerField())
    ).values("obj")
    return Dossier.objects.filter(pk__in=by_group.union(by_user, all=True))


def first_page(queryset):
    page = list(queryset.select_related("scheme", "state", "requested_tier", "employer").order_by("due_date", "pk")[:50])
    total = queryset.count()
    return page, total


def measure(fn, repeat):
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], result


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

    load_schemes_and_users(password="bench-pass-123")
    users = [get_user_model().objects.get(username=u) for u in USERS]
    rows = []
    transition_rows = []
    current = Dossier.objects.count()
    for size in [int(s) for s in args.sizes.split(",")]:
        if current < size:
            start = time.monotonic()
            generate(size - current, generic=True, open_weight=args.open_weight)
            print(f"generated {size - current} in {time.monotonic() - start:.0f}s", file=sys.stderr)
            current = size
        for user in users:
            for layout, build in (("direct FK", dossiers_actionable_by), ("generic", generic_actionable)):
                first_page(build(user))  # warm the cache
                p50, p95, (page, total) = measure(lambda b=build, u=user: first_page(b(u)), args.repeat)
                rows.append((size, user.username, layout, total, p50, p95))
                print(f"{size:>8} {user.username:26} {layout:9} total={total:>7} p50={p50:7.1f}ms p95={p95:7.1f}ms", file=sys.stderr)
            if args.transitions:
                t50, t95, failed = transition_costs(user, args.transitions)
                transition_rows.append((size, user.username, t50, t95, failed))
                print(f"{size:>8} {user.username:26} transition p50={t50}ms p95={t95}ms refused={failed}", file=sys.stderr)
    lines = ["| dossiers | worklist of | layout | dossiers in worklist | p50 ms | p95 ms |", "|---|---|---|---|---|---|"]
    for size, username, layout, total, p50, p95 in rows:
        lines.append(f"| {size:,} | {username} | {layout} | {total:,} | {p50:.1f} | {p95:.1f} |")
    ratios = []
    for size in sorted({r[0] for r in rows}):
        direct = [r[5] for r in rows if r[0] == size and r[2] == "direct FK"]
        generic = [r[5] for r in rows if r[0] == size and r[2] == "generic"]
        ratios.append(f"- {size:,} dossiers: generic/direct p95 ratio (mean over users) = {statistics.mean(g / d for g, d in zip(generic, direct)):.1f}×")
    body = (
        "First page (50 rows, ordered by due date) plus the total count of a department's 待办 worklist, "
        f"{args.repeat} runs each after one warm-up. Both layouts hold the same grants.\n\n" + "\n".join(lines) + "\n\n" + "\n".join(ratios)
    )
    if transition_rows:
        lines = ["| dossiers | transition by | p50 ms | p95 ms | refused (not timed) |", "|---|---|---|---|---|"]
        for size, username, t50, t95, failed in transition_rows:
            fmt = lambda v: "—" if v is None else f"{v:.1f}"  # noqa: E731
            lines.append(f"| {size:,} | {username} | {fmt(t50)} | {fmt(t95)} | {failed} |")
        body += ("\n\nOne workflow transition (`dossier_transition`: lock, checks, state change, grants recomputed, journal "
                 f"entry, outbox), up to {args.transitions} per user on the first dossiers of the worklist, each rolled back "
                 "(the commit is not timed).\n\n" + "\n".join(lines))
    write_section(args.section, "Worklists: guardian direct FK vs generic tables" + args.title_suffix, body,
                  f"python -m bench.worklist_bench --sizes {args.sizes} --open-weight {args.open_weight}"
                  + (f" --transitions {args.transitions}" if args.transitions else ""))


if __name__ == "__main__":
    main()
