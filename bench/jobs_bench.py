"""A production batch's print file: the request's cost when it renders (before) and when it only queues a job for
the worker (after), and the worker's cost for the same job.

    HUICAI_PRIVATE_ROOT=/tmp/hp-bench .venv/bin/python bench/jobs_bench.py --cards 200

A throw-away test database (SQLite in memory unless DATABASE_URL names PostgreSQL: then ``test_<name>``) gets the
楚雄 scheme, one card issued through the workflow and ``--cards - 1`` copies of it (numbers and tokens of their
own), all in one production batch. Then, ``--rounds`` times each, interleaved:
- before: what the old view did in the request, ``pdf.certificates_pdf(cards)`` after reading the cards;
- after (request): the bank's POST to /cards/batches/<id>/certificates.pdf with the database task backend — the
  job row and its task row, then the redirect;
- after (worker): ``job_run`` of that job — what db_worker does.
Wall is perf_counter; CPU is this process's plus its waited-for children's (the renderer forks for big batches).
Prints a Markdown table with the load average (1 min) before and after: the machine is shared.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn):
    wall, used = time.perf_counter(), cpu()
    result = fn()
    return result, time.perf_counter() - wall, cpu() - used


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huicai.settings.test")
    import django

    django.setup()
    import secrets

    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    settings.ALLOWED_HOSTS = ["*"]
    try:
        run(args, secrets)
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


def run(args, secrets):
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from casefiles import pdf
    from casefiles.demo_cards import issue_card, prepare_schemes
    from casefiles.models import BackgroundJob, Card, JobStatus, ProductionBatch, ProductionItem
    from casefiles.selectors_cards import batch_certificate_cards
    from casefiles.services.jobs import job_run

    (scheme,) = prepare_schemes(["chuxiong"])
    first = issue_card("chuxiong", applicant_name="欧阳明华")
    bank = get_user_model().objects.get(username="chuxiong.bank")
    batch = ProductionBatch.objects.create(scheme=scheme, number="BENCH-1", created_by=bank)
    copies = []
    for i in range(1, args.cards):
        card = Card.objects.get(pk=first.pk)
        card.pk = None
        card.number = f"{first.number[:-5]}{90000 + i:05d}"
        card.verification_token = secrets.token_urlsafe(32)
        copies.append(card)
    Card.objects.bulk_create(copies)
    cards = list(Card.objects.filter(scheme=scheme))
    ProductionItem.objects.bulk_create(ProductionItem(batch=batch, dossier=first.dossier, card=c) for c in cards)
    assert batch_certificate_cards(bank, batch).count() == args.cards
    pdf.warm_up()

    from django.test import override_settings

    database_tasks = {"default": {**settings.TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}}
    override_settings(TASKS=database_tasks).enable()
    client = Client()
    client.force_login(bank)
    url = f"/cards/batches/{batch.pk}/certificates.pdf"

    def before():
        chosen = list(batch_certificate_cards(bank, batch).select_related("scheme", "tier").order_by("number"))
        return pdf.certificates_pdf(chosen)

    def request():
        response = client.post(url)
        assert response.status_code == 302, response.status_code
        return BackgroundJob.objects.latest("pk")

    rows = {"before": [], "after (request)": [], "after (worker)": []}
    load_start = os.getloadavg()[0]
    for _ in range(args.rounds):
        content, wall, used = timed(before)
        assert content.startswith(b"%PDF")
        rows["before"].append((wall, used))
        job, wall, used = timed(request)
        assert job.status == JobStatus.QUEUED and not job.file
        rows["after (request)"].append((wall, used))
        _r, wall, used = timed(lambda job=job: job_run(job.pk))
        job.refresh_from_db()
        assert job.status == JobStatus.DONE and job.done == args.cards
        rows["after (worker)"].append((wall, used))
    load_end = os.getloadavg()[0]
    base_wall = statistics.median(w for w, _c in rows["before"])
    print(f"{args.cards} certificates, {args.rounds} rounds, {connection_vendor()}, load average (1 min) "
          f"{load_start:.2f} → {load_end:.2f}, {os.cpu_count()} cores")
    print("| path | wall median (s) | CPU median (s) | wall ÷ before |")
    print("|---|---|---|---|")
    for name, values in rows.items():
        wall = statistics.median(w for w, _c in values)
        used = statistics.median(c for _w, c in values)
        print(f"| {name} | {wall:.3f} | {used:.3f} | {wall / base_wall:.4f} |")


def connection_vendor():
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main()
