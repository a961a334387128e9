"""The backup's row counts leave out the embedded search index, all of whose tables are rebuilt on restore.

On a pytest-xdist worker of the smoke pass, test_backup found 260 rows in ``search_principal`` after load_demo and
238 after restore + reindex: the table lives in the SQLite database itself, is no Django model, so a flush leaves the
rows earlier tests indexed, and the backup counted them although the reindex after a restore rebuilds the table."""

import pytest
from django.db import connection

from casefiles.management.commands.backup import table_counts
from search.backends.embedded import SCHEMA, TABLE_PREFIXES

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded index lives in the database on SQLite only")
def test_the_embedded_index_tables_are_not_counted_and_django_tables_are():
    with connection.cursor() as cursor:
        for statement in SCHEMA:
            cursor.execute(statement)
        cursor.execute("INSERT OR IGNORE INTO search_principal (principal, doc_id) VALUES ('g:stale', 1)")
        made = {
            name
            for name in connection.introspection.table_names(cursor)
            if name.startswith(("search_doc", "search_fts", "search_principal"))
        }
    counts = table_counts()
    assert {"search_doc", "search_principal"} <= made  # the schema made its tables here
    assert not [name for name in counts if name in made], counts.keys()
    assert all(name.startswith(TABLE_PREFIXES) for name in made)
    assert "huicai_search_outboxentry" in counts  # the search app's own model is backed up and counted
    assert "casefiles_dossier" in counts
