import os

import pytest

# One index prefix per test session, so parallel runs and developers' indices never meet.
TEST_PREFIX = f"test-{os.getpid()}"


def _elastic_url():
    return os.environ.get("ELASTICSEARCH_URL", "")


@pytest.fixture(scope="session")
def _search_session(tmp_path_factory):
    info = {"sqlite": tmp_path_factory.mktemp("search") / "search.sqlite3"}
    yield info
    if _elastic_url():
        from search.backends.elastic import ElasticBackend

        try:
            ElasticBackend(_elastic_url(), TEST_PREFIX).delete_indices()
        except Exception:  # the node may already be gone; nothing to clean then
            pass


@pytest.fixture(
    params=[
        pytest.param("embedded", marks=pytest.mark.smoke),
        pytest.param("elastic", marks=pytest.mark.elasticsearch),
    ]
)
def search_backend(request, settings, db, _search_session):
    """The search service switched to one backend, with empty collections."""
    from search import service

    if request.param == "elastic":
        if not _elastic_url():
            pytest.skip("ELASTICSEARCH_URL is not set")
        settings.ELASTICSEARCH_URL = _elastic_url()
    else:
        settings.ELASTICSEARCH_URL = ""
    settings.HUICAI_SEARCH_INDEX_PREFIX = TEST_PREFIX
    settings.HUICAI_SEARCH_SQLITE_PATH = _search_session["sqlite"]
    service.clear_cool_off()
    backend = service.get_backend()
    backend.ensure()
    backend.drop()
    yield backend
    service.clear_cool_off()


@pytest.fixture
def seed_content(search_backend):
    """The five seed policies indexed per article and item (pages once they exist, else the seed text)."""
    from casefiles.schemes.loader import schemes_load
    from search import service
    from search.documents import page_content_documents, seed_content_documents

    from tests.casefiles import factories

    if not factories.PRELOADED["schemes"]:  # a module with ``schemes_once`` has them loaded already
        schemes_load()
    docs = page_content_documents() or seed_content_documents()
    service.index_content(docs)
    return {d["key"]: d for d in docs}
