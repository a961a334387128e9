"""Committed workflow transitions on PostgreSQL, two versions of the code in one run (issues #16 and #21).

    .venv/bin/python -m bench.transition_bench --before /tmp/bench-before --after /work/main
    .venv/bin/python -m bench.transition_bench --before /tmp/bench-before --after /tmp/bench-before   # sanity: ≈ 1.0

Each side is a checkout of Huicai with its own ``.venv`` (a symlink is fine) and its own throw-away PostgreSQL database
(``<db-prefix>_before`` / ``<db-prefix>_after``: migrate, the schemes and their users, then synthetic dossiers from the
side's own ``bench/loadgen.py``). The side's code runs in subprocesses whose working directory and ``PYTHONPATH`` are
that checkout; this file is copied to /tmp and run there as a script, so a side that does not have it is measured too.

Every timed transition is COMMITTED (the after-commit callbacks run inside the timing: notifications; the search
index too with ``--index-on-commit``), each on a fresh dossier (no opinion yet) that can take the step. Transitions
come from scheme data only: scheme by scheme in turn, a fresh dossier, and the first transition of its state (in the
scheme's order) that ``transitions_available`` offers to the demo user standing for one of its principals
(``casefiles.testing.demo_user_for``). For 1, 2, 4 and 8 clients (processes, one database connection each) all clients
start together after their warm-up; the two sides alternate round by round (which one goes first alternates too),
so that the ratios compare runs made under the same load of this shared machine.

Reported per transition: wall ms and CPU ms of the client process (``time.process_time``), median and p95 over every
transition of every round; PostgreSQL backend CPU per transition (utime + stime of the backend from
``/proc/<pg_backend_pid()>/stat`` around the timed loop, divided by the number committed: 10 ms clock ticks, so only
the average is meaningful); throughput (committed transitions per second across all clients, median over rounds).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMENT = "基准测试意见。"
DB_PREFIX = "postgres://huicai:huicai@127.0.0.1:5432/huicai_benchtr"


# --------------------------------------------------------------------------------------------------------------------
# The side's half: runs inside the checkout being measured (Django set up from its code).


def fire_entry():
    """The public entry point of a workflow transition in this checkout, and its name for the report."""
    import importlib.util

    engine = importlib.util.find_spec("casefiles.actions") is not None
    try:
        from casefiles.services.dossiers import dossier_transition
    except ImportError:
        dossier_transition = None
    if dossier_transition is not None:
        return dossier_transition, "`dossier_transition`" + (" (→ `TransitionAction`)" if engine else "")
    from casefiles.actions.transition import TransitionAction  # the engine of issue #16

    def fire(*, dossier, transition, user, comment=""):
        return TransitionAction(dossier, transition, user, comment=comment).execute()

    return fire, "`TransitionAction.execute`"


def plan_transitions(count, exclude=()):
    """Up to ``count`` steps ``{"dossier", "transition", "user", "scheme"}``: fresh dossiers (no opinion), taken scheme
    by scheme in turn, each with the first transition of its state that its principal's demo user may fire now."""
    from casefiles.models import Dossier, Scheme, StateKind
    from casefiles.selectors import transitions_available
    from casefiles.testing import demo_user_for

    exclude = set(exclude)
    pools = []
    for scheme in Scheme.objects.order_by("pk"):
        fresh = (
            Dossier.objects.filter(scheme=scheme, opinions__isnull=True, state__outgoing__isnull=False)
            .exclude(state__kind=StateKind.END)
            .exclude(pk__in=exclude)
            .select_related("scheme", "state", "employer", "authority", "applicant")
            .distinct()
            .order_by("pk")
        )
        pools.append(fresh.iterator(chunk_size=200))
    plan = []
    while pools and len(plan) < count:
        for pool in list(pools):
            step = None
            for dossier in pool:
                step = _step_for(dossier, transitions_available, demo_user_for)
                if step:
                    break
            if step is None:
                pools.remove(pool)
                continue
            plan.append(step)
            if len(plan) >= count:
                break
    return plan


def _step_for(dossier, transitions_available, demo_user_for):
    for transition in dossier.state.outgoing.order_by("order", "pk"):
        principals = [p.strip() for p in transition.by.split(",")]
        for principal in [dossier.state.actor if p == "actor" else p for p in principals]:
            user = demo_user_for(dossier, principal) if principal else None
            if user is not None and any(t.pk == transition.pk for t in transitions_available(user, dossier)):
                return {
                    "dossier": dossier.pk,
                    "transition": transition.code,
                    "user": user.pk,
                    "scheme": dossier.scheme.slug,
                }
    return None


def _backend_cpu_seconds(pid):
    """utime + stime of a local PostgreSQL backend (None when it cannot be read: not local, not PostgreSQL)."""
    if not pid:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _backend_pid():
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def run_transitions(plan, before_start=None):
    """Fire every step of ``plan``, each committed in its own transaction; returns what it cost.

    ``before_start`` is called once after the set-up (the processes of one round wait there for each other)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from casefiles.models import Dossier

    fire, entry = fire_entry()
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in={s["user"] for s in plan})}
    pid = _backend_pid()
    if before_start:
        before_start()
    result = {
        "entry": entry,
        "asked": len(plan),
        "committed": 0,
        "refused": {},
        "wall_ms": [],
        "cpu_ms": [],
        "kinds": [],
        "changes": [],
        "backend_pid": pid,
    }
    backend_start = _backend_cpu_seconds(pid)
    process_start = time.process_time()
    result["started"] = time.time()
    for step in plan:
        dossier = Dossier.objects.select_related("scheme", "state").get(pk=step["dossier"])
        user = users[step["user"]]
        from_state = dossier.state.code
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            with transaction.atomic():
                fire(dossier=dossier, transition=step["transition"], user=user, comment=COMMENT)
        except Exception as error:  # a step the service refuses is reported, not timed
            name = type(error).__name__
            result["refused"][name] = result["refused"].get(name, 0) + 1
            continue
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        result["wall_ms"].append(wall * 1000)
        result["cpu_ms"].append(cpu * 1000)
        result["kinds"].append(f"{step['scheme']}:{step['transition']}")
        result["committed"] += 1
        result["changes"].append(
            [
                step["dossier"],
                step["transition"],
                from_state,
                Dossier.objects.filter(pk=step["dossier"]).values_list("state__code", flat=True).first(),
            ]
        )
    result["ended"] = time.time()
    result["process_cpu_s"] = time.process_time() - process_start
    backend_end = _backend_cpu_seconds(pid)
    same_backend = pid is not None and _backend_pid() == pid
    result["backend_cpu_s"] = (
        backend_end - backend_start if same_backend and None not in (backend_start, backend_end) else None
    )
    return result


def side_setup(dossiers, open_weight):
    from django.core.management import call_command

    from bench.loadgen import generate
    from casefiles.demo import load_schemes_and_users
    from casefiles.models import Dossier

    call_command("migrate", verbosity=0)
    load_schemes_and_users(password="bench-pass-123")
    current = Dossier.objects.count()
    if current < dossiers:
        generate(dossiers - current, open_weight=open_weight, progress=False, seed=7)
    return {"dossiers": Dossier.objects.count()}


def side_plan(count, exclude, open_weight):
    """A plan of ``count`` steps; tops the database up with fresh dossiers when there are too few left."""
    from bench.loadgen import generate

    plan = plan_transitions(count, exclude)
    if len(plan) < count:
        generate(max(2000, 4 * count), open_weight=open_weight, progress=False, seed=int(time.time()))
        plan = plan_transitions(count, exclude)
    return plan


def side_main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", required=True, choices=["setup", "plan", "run"])
    parser.add_argument("--dossiers", type=int, default=5000)
    parser.add_argument("--open-weight", type=int, default=30)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--plan")
    parser.add_argument("--exclude")
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huicai.settings.test")
    import django

    django.setup()
    if args.side == "setup":
        out = side_setup(args.dossiers, args.open_weight)
    elif args.side == "plan":
        exclude = json.loads(Path(args.exclude).read_text()) if args.exclude else []
        out = side_plan(args.count, exclude, args.open_weight)
    else:
        plan = json.loads(Path(args.plan).read_text())
        warm = run_transitions(plan[: args.warmup])  # imports, caches, the connection: committed, not counted

        def wait_for_go():
            print("ready", flush=True)
            sys.stdin.readline()

        out = run_transitions(plan[args.warmup :], before_start=wait_for_go)
        out["warmup_committed"] = warm["committed"]
    Path(args.out).write_text(json.dumps(out))


# --------------------------------------------------------------------------------------------------------------------
# The orchestrator: runs from /work/main, starts the sides' processes, alternates them and reports.


def log(message):
    print(message, file=sys.stderr, flush=True)


class Side:
    def __init__(self, name, path, db_url, script, workdir, index_on_commit):
        self.name, self.path, self.db_url, self.script, self.workdir = (
            name,
            Path(path).resolve(),
            db_url,
            script,
            workdir,
        )
        self.python = str(self.path / ".venv" / "bin" / "python")
        self.env = {
            **os.environ,
            "PYTHONPATH": str(self.path),
            "DJANGO_SETTINGS_MODULE": "huicai.settings.test",
            "DATABASE_URL": db_url,
            "HUICAI_PRIVATE_ROOT": f"/tmp/hp-benchtr-{name}",
            "HUICAI_SEARCH_SQLITE_PATH": f"/tmp/benchtr-search-{name}.sqlite3",
            "HUICAI_SEARCH_INDEX_ON_COMMIT": "1" if index_on_commit else "0",
            "ELASTICSEARCH_URL": "",
        }
        self.exclude = []
        self.rounds = {}

    def command(self, *args):
        return [self.python, self.script, *args]

    def call(self, *args):
        out = Path(tempfile.mkstemp(dir=self.workdir, suffix=".json")[1])
        done = subprocess.run(
            self.command(*args, "--out", str(out)), cwd=self.path, env=self.env, capture_output=True, text=True
        )
        if done.returncode != 0:
            sys.exit(f"{self.name}: {' '.join(args)} failed:\n{done.stderr[-4000:]}")
        return json.loads(out.read_text())


def ensure_database(url, fresh):
    name = url.rsplit("/", 1)[1]
    owner, password = url.split("//", 1)[1].split("@")[0].split(":")
    host_port = url.split("@", 1)[1].split("/")[0]
    host, port = host_port.split(":") if ":" in host_port else (host_port, "5432")
    env = {**os.environ, "PGPASSWORD": password}
    base = ["-h", host, "-p", port, "-U", owner]
    if fresh:
        subprocess.run(["dropdb", *base, "--if-exists", name], check=True, env=env, capture_output=True)
    exists = (
        subprocess.run(["psql", *base, "-d", name, "-Atc", "select 1"], env=env, capture_output=True).returncode == 0
    )
    if not exists:
        subprocess.run(["createdb", *base, name], check=True, env=env, capture_output=True)


def run_round(side, clients, per_client, warmup):
    plan = side.call(
        "--side", "plan", "--count", str(clients * (per_client + warmup)), "--exclude", _write(side, side.exclude)
    )
    side.exclude.extend(step["dossier"] for step in plan)
    if len(plan) < clients * (per_client + warmup):
        sys.exit(f"{side.name}: only {len(plan)} fresh dossiers can take a step")
    slices = [plan[i::clients] for i in range(clients)]  # each client gets every scheme in turn
    processes = []
    for part in slices:
        plan_file, out = _write(side, part), tempfile.mkstemp(dir=side.workdir, suffix=".json")[1]
        command = side.command("--side", "run", "--plan", plan_file, "--warmup", str(warmup), "--out", out)
        process = subprocess.Popen(
            command, cwd=side.path, env=side.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        processes.append((process, out))
    for process, _out in processes:
        if process.stdout.readline().strip() != "ready":
            process.wait()
            sys.exit(f"{side.name}: a client died before the start (exit {process.returncode})")
    for process, _out in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    results = []
    for process, out in processes:
        process.wait()
        if process.returncode != 0:
            sys.exit(f"{side.name}: a client failed (exit {process.returncode})")
        results.append(json.loads(Path(out).read_text()))
    committed = sum(r["committed"] for r in results)
    span = max(r["ended"] for r in results) - min(r["started"] for r in results)
    backend = [r["backend_cpu_s"] for r in results]
    summary = {
        "entry": results[0]["entry"],
        "asked": sum(r["asked"] for r in results),
        "committed": committed,
        "refused": sum(sum(r["refused"].values()) for r in results),
        "refused_kinds": sorted({k for r in results for k in r["refused"]}),
        "wall_ms": [v for r in results for v in r["wall_ms"]],
        "cpu_ms": [v for r in results for v in r["cpu_ms"]],
        "kinds": [v for r in results for v in r["kinds"]],
        "throughput": committed / span if span > 0 else 0.0,
        "backend_cpu_s": None if None in backend else sum(backend),
        "mix": sorted({f"{s['scheme']}:{s['transition']}" for s in plan}),
    }
    side.rounds.setdefault(clients, []).append(summary)
    log(
        f"{side.name:6} clients={clients} committed={committed}/{summary['asked']} refused={summary['refused']} "
        f"wall p50={statistics.median(summary['wall_ms']):.1f}ms cpu p50={statistics.median(summary['cpu_ms']):.1f}ms "
        f"throughput={summary['throughput']:.1f}/s"
    )
    return summary


def _write(side, data):
    handle, name = tempfile.mkstemp(dir=side.workdir, suffix=".json")
    with os.fdopen(handle, "w") as stream:
        json.dump(data, stream)
    return name


def p95(values):
    values = sorted(values)
    return values[max(0, int(len(values) * 0.95) - 1)] if values else float("nan")


def aggregate(rounds):
    wall = [v for r in rounds for v in r["wall_ms"]]
    cpu = [v for r in rounds for v in r["cpu_ms"]]
    committed = sum(r["committed"] for r in rounds)
    backend = (
        None
        if any(r["backend_cpu_s"] is None for r in rounds) or not committed
        else (1000 * sum(r["backend_cpu_s"] for r in rounds) / committed)
    )
    return {
        "committed": committed,
        "refused": sum(r["refused"] for r in rounds),
        "wall_p50": statistics.median(wall) if wall else float("nan"),
        "wall_p95": p95(wall),
        "cpu_p50": statistics.median(cpu) if cpu else float("nan"),
        "cpu_p95": p95(cpu),
        "backend_ms": backend,
        "throughput": statistics.median(r["throughput"] for r in rounds),
    }


def paired(before_rounds, after_rounds, key):
    """after/before of the round medians, round i against round i (run next to each other, under the same load)."""
    values = sorted(
        statistics.median(b[key]) / statistics.median(a[key])
        for a, b in zip(before_rounds, after_rounds, strict=False)
        if a[key] and b[key]
    )
    if not values:
        return "—"
    return f"{statistics.median(values):.2f} ({values[0]:.2f}–{values[-1]:.2f})"


def same_steps(before_rounds, after_rounds):
    """Geometric mean over the scheme:transition steps both sides fired of the ratio of their CPU medians."""
    import math

    def by_kind(rounds):
        kinds = {}
        for r in rounds:
            for kind, cpu in zip(r["kinds"], r["cpu_ms"], strict=True):
                kinds.setdefault(kind, []).append(cpu)
        return kinds

    a, b = by_kind(before_rounds), by_kind(after_rounds)
    common = [k for k in a if k in b]
    if not common:
        return "—"
    logs = [math.log(statistics.median(b[k]) / statistics.median(a[k])) for k in common]
    return f"{math.exp(statistics.mean(logs)):.2f} over {len(common)} steps"


def report(sides, clients_list, args, load_start, load_end, started, ended):
    before, after = sides
    fmt = lambda v: "—" if v is None else f"{v:.1f}"  # noqa: E731
    lines = [
        "| clients | side | committed (refused) | wall p50 ms | wall p95 ms | client CPU p50 ms | client CPU p95 ms "
        "| PostgreSQL backend CPU ms / transition | throughput / s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    ratios = [
        "| clients | wall p50 | wall p95 | client CPU p50 | backend CPU | throughput | round by round: wall p50, "
        "client CPU p50, median (range) | client CPU, same steps only |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for clients in clients_list:
        ra, rb = before.rounds[clients], after.rounds[clients]
        a, b = aggregate(ra), aggregate(rb)
        for side, agg in ((before, a), (after, b)):
            lines.append(
                f"| {clients} | {side.name} | {agg['committed']} ({agg['refused']}) | {agg['wall_p50']:.1f} | "
                f"{agg['wall_p95']:.1f} | {agg['cpu_p50']:.1f} | {agg['cpu_p95']:.1f} | {fmt(agg['backend_ms'])} | "
                f"{agg['throughput']:.1f} |"
            )
        ratio = lambda x, y: "—" if x is None or y is None or not x else f"{y / x:.2f}"  # noqa: E731
        ratios.append(
            f"| {clients} | {ratio(a['wall_p50'], b['wall_p50'])} | {ratio(a['wall_p95'], b['wall_p95'])} | "
            f"{ratio(a['cpu_p50'], b['cpu_p50'])} | {ratio(a['backend_ms'], b['backend_ms'])} | "
            f"{ratio(a['throughput'], b['throughput'])} | {paired(ra, rb, 'wall_ms')}, {paired(ra, rb, 'cpu_ms')} | "
            f"{same_steps(ra, rb)} |"
        )
    scaling = []
    for side in sides:
        throughput = {c: aggregate(side.rounds[c])["throughput"] for c in clients_list}
        steps = ", ".join(f"{c}: {throughput[c]:.1f}/s" for c in clients_list)
        tail = ""
        if 2 in throughput and clients_list[-1] > 2 and throughput[2]:
            tail = f"; {clients_list[-1]} clients / 2 clients = {throughput[clients_list[-1]] / throughput[2]:.2f}"
        scaling.append(f"- Throughput by clients, {side.name}: {steps}{tail}.")
    entries = {s.name: sorted({r["entry"] for rs in s.rounds.values() for r in rs}) for s in sides}
    mixes = {s.name: sorted({m for rs in s.rounds.values() for r in rs for m in r["mix"]}) for s in sides}
    refused = {s.name: sorted({k for rs in s.rounds.values() for r in rs for k in r["refused_kinds"]}) for s in sides}
    body = [
        f"- Sides: **{before.name}** = `{before.path}` ({_describe(before.path)}), **{after.name}** = `{after.path}` "
        f"({_describe(after.path)}); entry point: {before.name} {', '.join(entries[before.name])}, "
        f"{after.name} {', '.join(entries[after.name])}.",
        f"- Each side on its own PostgreSQL database ({args.dossiers:,} synthetic dossiers to start with, open states "
        f"weighted {args.open_weight} against 30 per closed state, topped up when fresh ones run out). "
        f"{args.reps} rounds per client count, {args.per_client} timed committed transitions per client per round "
        f"after {args.warmup} committed warm-up ones; sides alternate round by round. Search indexing after commit: "
        + (
            "on (embedded SQLite FTS5)."
            if args.index_on_commit
            else "off (the outbox row is written in the transaction)."
        ),
        f"- Load average (1, 5, 15 min) at start {load_start}, at end {load_end}; run {started} → {ended} "
        f"({nproc()} CPUs by `nproc`).",
        "",
        "\n".join(lines),
        "",
        f"Ratios {after.name} / {before.name} (same run; < 1 is cheaper or, for throughput, > 1 is better):",
        "",
        "\n".join(ratios),
        "",
        *scaling,
        f"- Transitions fired (scheme:transition, from scheme data): {before.name} {len(mixes[before.name])} kinds, "
        f"{after.name} {len(mixes[after.name])} kinds"
        + (
            ", the same set."
            if mixes[before.name] == mixes[after.name]
            else f"; only {before.name}: {', '.join(sorted(set(mixes[before.name]) - set(mixes[after.name]))) or '—'}; "
            f"only {after.name}: {', '.join(sorted(set(mixes[after.name]) - set(mixes[before.name]))) or '—'}."
        )
        + f" Refusals (not timed): {before.name} {', '.join(refused[before.name]) or 'none'}; "
        f"{after.name} {', '.join(refused[after.name]) or 'none'}.",
    ]
    return "\n".join(body)


def _describe(path):
    done = subprocess.run(["git", "-C", str(path), "log", "-1", "--format=%h %s"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    )
    text = done.stdout.strip()[:70] or "not a git checkout"
    return text + (", with uncommitted changes" if dirty.stdout.strip() else "")


def nproc():
    return subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())


def loadavg():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="checkout measured as 'before' (has its own .venv)")
    parser.add_argument("--after", required=True, help="checkout measured as 'after'")
    parser.add_argument("--clients", default="1,2,4,8")
    parser.add_argument("--per-client", type=int, default=25, help="timed transitions per client per round")
    parser.add_argument("--warmup", type=int, default=5, help="committed, untimed transitions per client first")
    parser.add_argument("--reps", type=int, default=3, help="rounds per client count and side")
    parser.add_argument("--dossiers", type=int, default=5000)
    parser.add_argument(
        "--open-weight", type=int, default=30, help="weight of each open state against 30 per closed one"
    )
    parser.add_argument("--db-prefix", default=DB_PREFIX, help="databases <prefix>_before and <prefix>_after")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate both databases first")
    parser.add_argument(
        "--index-on-commit", action="store_true", help="index search right after each commit (embedded)"
    )
    parser.add_argument("--section", default="", help="also write this marker section into docs/PERFORMANCE.md")
    args = parser.parse_args()
    clients_list = [int(c) for c in args.clients.split(",")]
    workdir = tempfile.mkdtemp(prefix="benchtr-")
    script = str(Path(workdir) / "transition_bench_side.py")
    shutil.copy(__file__, script)  # both sides run this very text, whichever checkout they are
    sides = [
        Side(name, path, f"{args.db_prefix}_{name}", script, workdir, args.index_on_commit)
        for name, path in (("before", args.before), ("after", args.after))
    ]
    for side in sides:
        ensure_database(side.db_url, args.fresh)
        start = time.monotonic()
        made = side.call("--side", "setup", "--dossiers", str(args.dossiers), "--open-weight", str(args.open_weight))
        log(f"{side.name}: {made['dossiers']} dossiers, set up in {time.monotonic() - start:.0f}s")
    load_start, started = loadavg(), time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    for rep in range(args.reps):
        for clients in clients_list:
            order = sides if (rep + clients_list.index(clients)) % 2 == 0 else sides[::-1]
            for side in order:
                run_round(side, clients, args.per_client, args.warmup)
    load_end, ended = loadavg(), time.strftime("%H:%M UTC", time.gmtime())
    body = report(sides, clients_list, args, load_start, load_end, started, ended)
    print(body)
    command = "python -m bench.transition_bench " + " ".join(sys.argv[1:])
    if args.section:
        from bench.report import write_section

        write_section(args.section, "Committed transition (issue #16)", body, command)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if "--side" in sys.argv:
        # Run as a copied script inside a side's checkout: only that checkout may be importable.
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
        side_main(sys.argv[1:])
    else:
        main()
