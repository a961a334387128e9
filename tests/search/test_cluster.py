"""Elasticsearch as a three-node cluster: a node dies (SIGKILL) during a reindex and during a stream of searches.

Users see no error (every public search page answers 200 with hits, every staff search returns the full list: in a
cluster with one replica the degraded "temporarily unavailable" answer is not acceptable either), nothing is lost
(after the node is back and the outbox is drained, the index holds exactly the database's dossiers, changes made
while the node was dead included) and the cluster returns to green (waited for, with a generous timeout; no
assertion of speed).

The test starts its own cluster with scripts/elasticsearch.sh (HUICAI_ES_NODES=3) when HUICAI_SEARCH_CLUSTER_TEST=1,
which scripts/test.sh sets, and stops it afterwards; the single node of the rest of the suite is left alone. Where:
HUICAI_ES_CLUSTER_DIR (default a pytest temporary directory), HUICAI_ES_CLUSTER_PORT (HTTP ports from 9250) and
HUICAI_ES_CLUSTER_TRANSPORT_PORT (default HTTP + 100). A cluster already running there (same directory and ports) is
used as it is and left running.
"""

import os
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from elasticsearch import Elasticsearch, helpers

from casefiles.models import Dossier, Scheme
from search import service
from search.backends.base import DOSSIER
from search.models import OutboxEntry

from .conftest import TEST_PREFIX
from .test_contract import make_dossier

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "elasticsearch.sh"
NODES = 3
PREFIX = f"{TEST_PREFIX}-cluster"
GREEN_TIMEOUT = "180s"  # how long to wait for green before failing; not a measure of speed
PUBLIC_QUERY = "体检"  # in the seed policies
NEW_SECTOR = "量子精密测量"

pytestmark = [
    pytest.mark.elasticsearch,
    pytest.mark.skipif(
        os.environ.get("HUICAI_SEARCH_CLUSTER_TEST") != "1",
        reason="needs HUICAI_SEARCH_CLUSTER_TEST=1 (starts a 3-node Elasticsearch cluster; scripts/test.sh sets it)",
    ),
]


@dataclass
class Cluster:
    env: dict
    urls: str

    def script(self, *args, check=True):
        done = subprocess.run(["bash", str(SCRIPT), *args], env=self.env, capture_output=True, text=True)
        if check:
            assert done.returncode == 0, f"elasticsearch.sh {' '.join(args)}: {done.stderr}"
        return done

    @property
    def client(self):
        return Elasticsearch(self.urls.split(","), request_timeout=30, max_retries=NODES - 1)

    def kill(self, node):
        """SIGKILL at once (the next bulk request is then in flight), then let the script see the process gone."""
        pid = int((Path(self.env["HUICAI_ES_DIR"]) / f"node{node}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        self.script("kill", str(node))

    def start(self, node):
        self.script("start", str(node))

    def node_number(self, name):
        assert name.startswith("huicai-es-"), name
        return int(name.rsplit("-", 1)[1])

    def master(self):
        return self.node_number(self.client.cat.master(format="json")[0]["node"])

    def primary_of(self, index):
        shards = self.client.cat.shards(index=index, format="json")
        return self.node_number(next(s["node"] for s in shards if s["prirep"] == "p" and s["state"] == "STARTED"))

    def wait_green(self):
        health = self.client.options(request_timeout=200, ignore_status=408).cluster.health(
            wait_for_status="green", wait_for_nodes=str(NODES), wait_for_no_initializing_shards=True,
            timeout=GREEN_TIMEOUT,
        )
        assert not health["timed_out"], f"the cluster is {health['status']} with {health['number_of_nodes']} nodes"
        assert health["status"] == "green" and health["number_of_nodes"] == NODES


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    port = int(os.environ.get("HUICAI_ES_CLUSTER_PORT", "9250"))
    env = {
        **os.environ,
        "HUICAI_ES_DIR": os.environ.get("HUICAI_ES_CLUSTER_DIR") or str(tmp_path_factory.mktemp("es-cluster")),
        "HUICAI_ES_NODES": str(NODES),
        "HUICAI_ES_PORT": str(port),
        "HUICAI_ES_TRANSPORT_PORT": os.environ.get("HUICAI_ES_CLUSTER_TRANSPORT_PORT", str(port + 100)),
    }
    env.pop("HUICAI_ES_TIMEOUT", None)
    probe = Cluster(env, "")
    was_running = probe.script("status", check=False).returncode == 0
    urls = probe.script("start").stdout.strip().splitlines()[-1]
    cluster = Cluster(env, urls)
    yield cluster
    if was_running:
        cluster.start("")  # every node up again (a failed test may have left one down)
        for name in cluster.client.indices.get(index=f"{PREFIX}-*", ignore_unavailable=True):
            cluster.client.indices.delete(index=name, ignore_unavailable=True)
    else:
        cluster.script("stop")


@pytest.fixture
def on_cluster(cluster, settings, db, _search_session):
    """The search service pointed at all three nodes (a comma-separated ELASTICSEARCH_URL), empty collections, the
    seed policies indexed for the public page, and the cluster green."""
    from casefiles.demo import load_schemes_and_users
    from search.documents import seed_content_documents

    settings.ELASTICSEARCH_URL = cluster.urls
    settings.HUICAI_SEARCH_INDEX_PREFIX = PREFIX
    settings.HUICAI_SEARCH_REPLICAS = None  # derived: several URLs, one replica
    service.clear_cool_off()
    backend = service.get_backend()
    assert backend.replicas == 1
    backend.ensure()
    backend.drop()
    load_schemes_and_users(password="demo-pass-123")
    service.index_content(seed_content_documents())
    cluster.start("")  # all nodes (a test that failed may have left one dead)
    cluster.wait_green()
    yield cluster
    service.clear_cool_off()


class Searches:
    """What users do while the node dies: the public search page, and staff search through the service."""

    def __init__(self, client, staff, expected_total):
        self.client, self.staff, self.expected_total = client, staff, expected_total
        self.done = 0

    def run(self):
        response = self.client.get("/search/", {"q": PUBLIC_QUERY})
        assert response.status_code == 200, f"search {self.done + 1}: the public page answered {response.status_code}"
        assert f"<mark>{PUBLIC_QUERY}</mark>" in response.content.decode()
        result = service.search_staff(self.staff, "", page_size=5)  # raises if the engine failed
        assert result.total == self.expected_total, f"search {self.done + 1}: {result.total} dossiers listed"
        self.done += 1


def _index_ids(cluster, alias):
    return {hit["_id"] for hit in helpers.scan(cluster.client, index=alias, query={"query": {"match_all": {}}})}


def _drain():
    service.clear_cool_off()
    for _ in range(100):  # a bound on rounds, not on time
        stats = service.drain_outbox(batch=500, retries=3, backoff=0.5)
        if not OutboxEntry.objects.exists():
            return
        assert stats["indexed"] or not stats["failed"], f"the outbox does not drain: {stats}"
    raise AssertionError("the outbox still has rows after 100 rounds")


def test_a_node_killed_during_a_reindex_loses_nothing(on_cluster, client, django_capture_on_commit_callbacks):
    from casefiles.services.dossiers import dossier_update
    from search.documents import seed_content_documents

    cluster = on_cluster
    scheme = Scheme.objects.get(slug="tonghua")
    dossiers = [make_dossier(scheme) for _ in range(200)]
    _drain()
    backend = service.get_backend()
    alias = backend.alias(DOSSIER)
    cluster.wait_green()
    old_indices = set(cluster.client.indices.get_alias(name=alias))
    staff = get_user_model().objects.get(username="admin")
    searches = Searches(client, staff, expected_total=len(dossiers))
    searches.run()

    killed = {}
    changed = dossiers[:20]

    def during(done, total, label):
        if label == "dossiers" and done >= 50 and not killed:
            # The node holding the new index's primary shard dies while the next bulk request is in flight.
            new = sorted(set(cluster.client.indices.get(index=f"{alias}-*")) - old_indices)
            assert new, "the reindex fills a new index"
            killed["node"] = cluster.primary_of(new[-1])
            cluster.kill(killed["node"])
            # Officers keep working while the node is dead: their changes go through the outbox.
            with django_capture_on_commit_callbacks(execute=True):
                for dossier in changed:
                    dossier_update(dossier=dossier, user=dossier.applicant, sector=NEW_SECTOR)
        searches.run()

    stats = service.reindex_all(progress=during, chunk=25, content_docs=seed_content_documents())
    assert killed, "the node was killed during the reindex"
    assert stats["dossiers"] == len(dossiers)
    assert set(cluster.client.indices.get_alias(name=alias)).isdisjoint(old_indices), "the new index is in use"
    searches.run()

    cluster.start(killed["node"])
    cluster.wait_green()
    _drain()
    searches.run()
    assert _index_ids(cluster, alias) == {str(pk) for pk in Dossier.objects.values_list("pk", flat=True)}
    assert cluster.client.count(index=alias)["count"] == len(dossiers)
    result = service.search_staff(staff, NEW_SECTOR, page_size=100)
    assert {h.key for h in result.hits} == {str(d.pk) for d in changed}, "changes made while the node was dead"


def test_searches_go_on_while_the_master_node_dies_and_returns(on_cluster, client):
    cluster = on_cluster
    scheme = Scheme.objects.get(slug="tonghua")
    dossiers = [make_dossier(scheme) for _ in range(30)]
    _drain()
    cluster.wait_green()
    staff = get_user_model().objects.get(username="admin")
    searches = Searches(client, staff, expected_total=len(dossiers))
    victim = cluster.master()

    # The kill and the restart run beside the stream of searches, so requests are in flight when the node dies
    # and while it rejoins and its shards recover.
    streaming = threading.Event()
    errors = []

    def kill_then_start():
        try:
            streaming.wait()
            cluster.kill(victim)
            killed.set()
            cluster.start(victim)
        except BaseException as exc:  # noqa: BLE001 — reported by the main thread
            errors.append(exc)

    killed = threading.Event()
    worker = threading.Thread(target=kill_then_start)
    worker.start()
    while_dead = 0
    try:
        while worker.is_alive():
            searches.run()
            while_dead += killed.is_set()
            if searches.done == 5:
                streaming.set()
    finally:
        streaming.set()
        worker.join()
    assert not errors, errors
    assert killed.is_set() and while_dead, "searches ran while the node was dead or rejoining"
    cluster.wait_green()
    for _ in range(5):
        searches.run()
    assert _index_ids(cluster, service.get_backend().alias(DOSSIER)) == {str(d.pk) for d in dossiers}
