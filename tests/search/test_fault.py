"""Elasticsearch goes away: saving dossiers still works, nothing is lost, the index catches up.

With HUICAI_SEARCH_FAULT_STOP_NODE=1, which scripts/test.sh (and so CI) sets because it started the node itself,
the test really stops the node with scripts/elasticsearch.sh, changes 100 dossiers, starts it again and drains.
Without it (a node shared with other work) the client is pointed at a dead port instead.
"""

import os
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from casefiles.models import Scheme
from search import service
from search.models import OutboxEntry

from .conftest import TEST_PREFIX
from .test_contract import make_dossier

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.elasticsearch, pytest.mark.serial]  # scripts/test.sh runs it after the parallel pass


def _node(command):
    done = subprocess.run(["bash", str(ROOT / "scripts" / "elasticsearch.sh"), command], capture_output=True, text=True)
    assert done.returncode == 0, f"elasticsearch.sh {command}: {done.stderr}"


def test_changes_while_elasticsearch_is_down_are_not_lost(
    settings, db, django_capture_on_commit_callbacks, _search_session
):
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("ELASTICSEARCH_URL is not set")
    from casefiles.demo import load_schemes_and_users
    from casefiles.services.dossiers import dossier_update

    settings.ELASTICSEARCH_URL = url
    settings.HUICAI_SEARCH_INDEX_PREFIX = TEST_PREFIX
    service.clear_cool_off()
    service.get_backend().drop()
    load_schemes_and_users(password="demo-pass-123")
    scheme = Scheme.objects.get(slug="tonghua")
    dossiers = [make_dossier(scheme) for _ in range(100)]
    service.drain_outbox(batch=1000)
    assert not OutboxEntry.objects.exists()
    applicant = dossiers[0].applicant
    admin = get_user_model().objects.get(username="admin")

    real_stop = os.environ.get("HUICAI_SEARCH_FAULT_STOP_NODE") == "1"
    if real_stop:
        _node("stop")
    else:
        settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens there
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for dossier in dossiers:
                dossier_update(dossier=dossier, user=applicant, sector="量子精密测量")
        assert OutboxEntry.objects.filter(kind="dossier").count() == 100, "every change left its row"
        stats = service.drain_outbox(batch=1000, retries=2, backoff=0.1)
        assert stats["indexed"] == 0 and stats["failed"] == 100
        assert all(e.attempts >= 1 and e.last_error for e in OutboxEntry.objects.all())
    finally:
        if real_stop:
            _node("start")
        settings.ELASTICSEARCH_URL = url
        service.clear_cool_off()

    while OutboxEntry.objects.exists():
        stats = service.drain_outbox(batch=30)
        assert stats["failed"] == 0
    result = service.search_staff(admin, "量子精密测量", page_size=200)
    assert result.total == 100
    assert {h.key for h in result.hits} == {str(d.pk) for d in dossiers}
