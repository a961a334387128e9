import contextlib
import os

import pytest


@pytest.fixture(scope="session")
def artifacts_dir():
    """Where tests leave screenshots and rendered pages for a person to look at."""
    path = os.environ.get("HUICAI_ARTIFACTS") or os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return path


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_scheme_periods: the schemes' periods as the files ship them (no lifting for the test day)")


# Modules with one long test (minutes: the permission sweeps, the generated-request fuzzers). Under pytest-xdist
# they are handed out first, so that no worker starts one when the others are about to finish. The first needs the
# demo template, which the first worker to ask makes (about 45 s) while any other waits for it: the second is one
# that does not (the fuzzer), so the other worker works meanwhile.
LONG_MODULES = (
    "tests/security/test_permission_matrix_full.py",
    "tests/security/test_api_fuzz.py",
    "tests/casefiles/test_permission_matrix.py",
    "tests/api/test_contract.py",
    "tests/security/test_permission_matrix_opinions.py",
)


def pytest_collection_finish(session):
    """Python's cycle collector, told what stays: everything made so far (Django, Wagtail, the collected tests) is
    moved out of its generations, and a young generation is collected after 50,000 new objects instead of 700. A
    request in these tests makes tens of thousands of short-lived objects; the defaults walked the long-lived heap
    again and again (about 5 % of a worker's CPU in a permission sweep, 2 % after). Memory grows a little between
    collections; nothing else changes."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a test with ``serialized_rollback`` (which loads the migrated database's rows, ids and all): a database
    that a plain transactional test left behind is emptied first.

    Django leaves three states after a test. A plain transactional test flushes and sends ``post_migrate``: content
    types and permissions made again with new ids, and no rows from data migrations. A test with
    ``serialized_rollback`` flushes without it, and the next such test loads the migrated rows back. Loading those rows
    over the first state fails on a unique key (Wagtail's locale); a plain test run after an emptied database
    finds no content types while the process still has their ids cached (a foreign key error at commit). Which
    modules follow which on an xdist worker changes from run to run, so both happened only sometimes. Here the first
    case is emptied before the load, with the migrated content types put in Django's cache: loading a Wagtail task
    builds the object, which asks for its content type, and from an empty cache that type would be made again in the
    empty table with a new id, colliding with the loaded row. :func:`pytest_runtest_teardown` handles the second."""
    if not _serialized_rollback(item):
        return
    from django.db import connection

    migrated = _migrated_content_types(connection)
    if not migrated:
        return
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command

    with item.config.stash[_blocker_key()].unblock():
        lowest = _lowest_content_type_id(connection)
        if lowest is None or lowest <= max(ct.pk for ct in migrated):
            return  # emptied, or the migrated rows themselves
        call_command("flush", verbosity=0, interactive=False, reset_sequences=False, inhibit_post_migrate=True)
    _caches_of_ids_cleared()
    for content_type in migrated:
        ContentType.objects._add_to_cache(connection.alias, content_type)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a test with ``serialized_rollback`` (whose flush leaves every table empty), the migrated database's rows
    are loaded back at once, so that whatever test comes next on this worker starts from the database ``migrate``
    made, as at the start of the run (see :func:`pytest_runtest_setup`)."""
    result = yield
    from django.db import connection

    if _serialized_rollback(item) and _migrated_content_types(connection):
        with item.config.stash[_blocker_key()].unblock():
            if _lowest_content_type_id(connection) is None:
                connection.creation.deserialize_db_from_string(connection._test_serialized_contents)
        _caches_of_ids_cleared()
    return result


def _serialized_rollback(item):
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("serialized_rollback"))


def _blocker_key():
    from pytest_django.plugin import blocking_manager_key

    return blocking_manager_key


def _lowest_content_type_id(connection):
    """The lowest content type id in the database, None when the table is empty (after a serialized test)."""
    with connection.cursor() as cursor:
        cursor.execute('SELECT min(id) FROM "django_content_type"')
        return cursor.fetchone()[0]


_MIGRATED = {}


def _migrated_content_types(connection):
    """The content types among the migrated database's serialized rows (read once), or [] when the test database was
    not serialized."""
    import json

    from django.contrib.contenttypes.models import ContentType

    contents = getattr(connection, "_test_serialized_contents", None)
    if contents is None:
        return []
    if "content_types" not in _MIGRATED:
        _MIGRATED["content_types"] = [
            ContentType(pk=row["pk"], **row["fields"])
            for row in json.loads(contents)
            if row["model"] == "contenttypes.contenttype"
        ]
    return _MIGRATED["content_types"]


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    first = {path: rank for rank, path in enumerate(LONG_MODULES)}
    items.sort(key=lambda item: first.get(item.nodeid.split("::")[0], len(first)))


_PERIODS = {"lift": True}
DEMO_PASSWORD = "demo-pass-123"


@pytest.fixture(scope="session")
def django_db_setup(  # noqa: PLR0913
    request, django_test_environment, django_db_blocker, django_db_use_migrations, django_db_keepdb,
    django_db_createdb, django_db_modify_db_settings,
):
    """pytest-django's test database, made on PostgreSQL by cloning a migrated template rather than migrating again.

    Migrating from nothing costs about 30 s of CPU (every app's migrations, Wagtail's among them); ``scripts/test.sh``
    did it once per xdist worker and again for the serial pass. The first process to need it migrates a template
    database named after the migration files' contents (under an advisory lock; the other workers wait), and each
    worker's database is then ``CREATE DATABASE … TEMPLATE``: the same database ``migrate`` makes, in a second. A
    changed migration gives a new name, so a stale template is never used (older ones are dropped). Then Django's own
    setup runs with ``keepdb``: ``migrate`` finds nothing to apply and sends ``post_migrate`` as always."""
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    reuse = django_db_keepdb and not django_db_createdb  # --reuse-db: the database as it is
    with django_db_blocker.unblock():
        cloned = django_db_use_migrations and not reuse and _clone_from_migrated_template(connections["default"])
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose, interactive=False, aliases=aliases,
            serialized_aliases=serialized_aliases, keepdb=cloned or reuse,
        )
        _autovacuum_off(connections)
    yield
    with django_db_blocker.unblock():
        _DEMO_DATABASE.drop(connections["default"])
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            try:
                teardown_databases(db_cfg, verbosity=request.config.option.verbose)
            except Exception as exc:  # noqa: BLE001 (as pytest-django: a warning, not a failed run)
                request.node.warn(pytest.PytestWarning(f"Error when trying to teardown test databases: {exc!r}"))


TEMPLATE_LOCK = 7_143_001  # pg_advisory_lock key of the template's maker
_MIGRATED_TEMPLATE = {"name": None}  # the migrated template this process's test database was cloned from


def _migrations_digest():
    """A digest of every installed app's migration files (ours and the libraries'), and of the Django version."""
    import hashlib
    from pathlib import Path

    import django
    from django.apps import apps

    digest = hashlib.sha256(django.get_version().encode())
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        folder = Path(config.path) / "migrations"
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            digest.update(f"{config.label}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _clone_from_migrated_template(connection):
    """Make this process's test database a copy of a migrated template; True when it did."""
    if connection.vendor == "sqlite":
        return _sqlite_from_migrated_template(connection)
    if connection.vendor != "postgresql":
        return False
    creation = connection.creation
    target = creation._get_test_db_name()
    base = connection.settings_dict["NAME"]
    template = f"{base}_tpl_{_migrations_digest()}"
    quote = connection.ops.quote_name
    _MIGRATED_TEMPLATE["name"] = template
    with creation._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [TEMPLATE_LOCK])
        try:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            if cursor.fetchone() is None:
                cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{base}\\_tpl\\_%"])
                for (stale,) in cursor.fetchall():
                    cursor.execute(f"DROP DATABASE IF EXISTS {quote(stale)}")
                _migrate_into(connection, f"{template}_partial")
                cursor.execute(f"ALTER DATABASE {quote(template + '_partial')} RENAME TO {quote(template)}")
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(target)}")
            cursor.execute(f"CREATE DATABASE {quote(target)} TEMPLATE {quote(template)}")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [TEMPLATE_LOCK])
    return True


def sqlite_migrated_template(connection):
    """The migrated SQLite template file (``var/test-sqlite-<digest>.sqlite3``), made under a file lock by the first
    process that needs it. ``scripts/test.sh`` makes it while the serial pass waits on Elasticsearch, so that the
    smoke pass's two workers do not each migrate from nothing (about 22 s of CPU each)."""
    import fcntl
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.BASE_DIR) / "var"
    folder.mkdir(parents=True, exist_ok=True)
    template = folder / f"test-sqlite-{_migrations_digest()}.sqlite3"
    with open(folder / "test-sqlite.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            for stale in folder.glob("test-sqlite-*.sqlite3*"):
                stale.unlink()
            partial = template.with_name(template.name + ".partial")
            _migrate_into(connection, str(partial))
            partial.replace(template)
    return template


def _sqlite_from_migrated_template(connection):
    """SQLite (the smoke pass): the in-memory test database filled from the migrated template file by SQLite's
    backup, before Django's setup runs; its ``migrate`` then finds nothing to apply. Only for the in-memory test
    database (a file named in ``TEST.NAME`` is left to Django)."""
    import sqlite3

    from django.conf import settings

    creation = connection.creation
    test_name = creation._get_test_db_name()
    if not creation.is_in_memory_db(test_name):
        return False
    template = sqlite_migrated_template(connection)
    connection.close()
    connection.settings_dict["NAME"] = settings.DATABASES[connection.alias]["NAME"] = test_name
    connection.ensure_connection()  # the in-memory database lives as long as this connection (close is ignored)
    source = sqlite3.connect(template)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    return True


def _migrate_into(connection, name):
    """``migrate`` into a new database ``name`` (dropped first if a run was interrupted while making it)."""
    from django.conf import settings

    test_settings = connection.settings_dict.setdefault("TEST", {})
    wanted, original = test_settings.get("NAME"), connection.settings_dict["NAME"]
    test_settings["NAME"] = name
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
    finally:
        connection.close()
        test_settings["NAME"] = wanted
        connection.settings_dict["NAME"] = original
        settings.DATABASES[connection.alias]["NAME"] = original


def _autovacuum_off(connections):
    """The test database without autovacuum (PostgreSQL). A test's rows live in a transaction that is rolled back;
    autovacuum, woken by the dead rows of the tests before, vacuums a table while a test still holds its rows
    uncommitted and records it as empty (pg_class.reltuples 0 with its pages filled: seen on casefiles_dossier,
    _document and _attachment in a fresh-clone run). The planner then chose nested loops over the grant tables
    and the documents' permission matrix ran past its 15-minute limit. Without autovacuum the tables keep the
    estimates of their pages, and the fixtures that load a lot say ANALYZE themselves (``analyze_tables``)."""
    for connection in connections.all():
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT format('ALTER TABLE %I.%I SET (autovacuum_enabled = false, toast.autovacuum_enabled = "
                "false)', schemaname, tablename) FROM pg_tables WHERE schemaname = current_schema()")
            for (statement,) in cursor.fetchall():
                cursor.execute(statement)


@pytest.fixture(scope="session", autouse=True)
def scheme_periods_cover_the_test_day():
    """Tests run every programme inside its period, as its administration would keep it open.

    A shipped scheme file states its policy's period (``cards.applications``, issue #17 item 6): 白云's 细则 第七条
    ran five years from 2019-06-05, so in a test run on the real date 白云 would take no applications and every
    sweep that applies to every scheme would stop at 白云. Here a scheme whose file period has ended when it is
    loaded gets the administrative edit an administration would make to keep it running (``closes`` lifted, marked
    a setting) — the fallback period only: a published policy page still decides where a test publishes one. The
    rule itself is untouched; tests/casefiles/test_scheme_period.py (marker ``real_scheme_periods``) runs the files
    as shipped. Session-wide, so schemes loaded by module- and session-scoped fixtures are covered too."""
    from django.db.models.signals import post_save

    from casefiles.models import Scheme

    post_save.connect(_scheme_period_lifted, sender=Scheme, dispatch_uid="tests-scheme-period")
    yield
    post_save.disconnect(sender=Scheme, dispatch_uid="tests-scheme-period")


@pytest.fixture(scope="session", autouse=True)
def wagtail_initial_data_after_flush():
    """What Wagtail's migrations put in a new database (the default locale, the root page, the welcome page and the
    default site, the root collection), made again after a transactional test has flushed the database.

    The flush at the end of a transactional or live-server test empties every table, and Django then sends
    ``post_migrate`` as it does after ``migrate``; the data migrations do not run again. Under pytest-xdist a worker's
    order can put such a test before one that opens the admin (whose menu links the root page: NoReverseMatch for
    ``wagtailadmin_explore`` without it) or renders a page of the default site. Restored here, every test starts from
    the database ``migrate`` made, whatever ran before it on its worker. Nothing is made when the rows exist."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    post_migrate.connect(
        _wagtail_initial_data, sender=apps.get_app_config("wagtailcore"), dispatch_uid="tests-wagtail-initial-data"
    )
    yield
    post_migrate.disconnect(sender=apps.get_app_config("wagtailcore"), dispatch_uid="tests-wagtail-initial-data")


def _wagtail_initial_data(sender, using="default", **kwargs):
    from wagtail.models import Collection, Page, Site

    from policypages.testing import ensure_wagtail_root

    if using != "default":
        return
    ensure_wagtail_root()
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    if not Site.objects.exists():
        root = Page.get_first_root_node()
        welcome = root.get_children().first() or root.add_child(
            instance=Page(title="Welcome to your new Wagtail site!", slug="home")
        )
        Site.objects.create(hostname="localhost", port=80, root_page=welcome, is_default_site=True)


@pytest.fixture(autouse=True)
def _real_scheme_periods_when_marked(request):
    """A test marked ``real_scheme_periods`` loads the files' periods as shipped."""
    if not request.node.get_closest_marker("real_scheme_periods"):
        yield
        return
    _PERIODS["lift"] = False
    try:
        yield
    finally:
        _PERIODS["lift"] = True


def periods_lifted():
    return _PERIODS["lift"]


@pytest.fixture(scope="module")
def schemes_once(request, django_db_setup, django_db_blocker):
    """The five shipped schemes and their demo users (``setup_schemes``), loaded once for the module inside a
    transaction rolled back at its end; each test runs in a savepoint inside it and ``setup_schemes`` only reads them.
    A module opts in with ``pytestmark = pytest.mark.usefixtures("schemes_once")`` (then every test of the module
    starts with the schemes loaded); not for modules with transactional or live-server tests."""
    from casefiles.demo import load_schemes_and_users
    from tests.casefiles import factories

    # A module marked ``real_scheme_periods`` gets the files' periods as shipped, and its tests (marked too) find them.
    real = request.node.get_closest_marker("real_scheme_periods") is not None
    with rolled_back(django_db_blocker):
        _PERIODS["lift"] = not real
        try:
            load_schemes_and_users(password=factories.PASSWORD)
        finally:
            _PERIODS["lift"] = True
        factories.PRELOADED["schemes"] = "real periods" if real else "lifted periods"
        try:
            yield
        finally:
            factories.PRELOADED["schemes"] = False


@contextlib.contextmanager
def rolled_back(django_db_blocker):
    """A transaction for a module-scoped fixture's rows, rolled back when the module ends; each test of the module
    runs in a savepoint inside it (pytest-django's ``db``), so what a test changes is gone for the next."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


@pytest.fixture(scope="module")
def pages_once(django_db_setup, django_db_blocker):
    """The five shipped schemes (``schemes_load``) and the public site's pages as ``load_pages`` publishes them
    (sections, policies, guides, tier tables, workflows), loaded once for the module inside a transaction rolled back
    at its end; each test runs in a savepoint inside it. The value is the home page. For modules whose every test
    began by loading these (about 14 s a time); not for transactional or live-server tests."""
    from casefiles.schemes.loader import schemes_load
    from policypages.demo import load_pages

    with rolled_back(django_db_blocker):
        schemes_load()
        yield load_pages()


@pytest.fixture(scope="module")
def demo_once(demo_database):
    """The full demo data set (``load_demo``) for the module, each test in a savepoint inside a transaction rolled back
    at the module's end, so what a test changes is gone for the next. The value is the demo password. A test asks for
    it beside ``db`` (or a module opts in with ``pytestmark = pytest.mark.usefixtures("demo_once")``); not for
    transactional or live-server tests, which commit and would see nothing of it."""
    return demo_database


@pytest.fixture(scope="module")
def demo_database(django_db_setup, django_db_blocker):
    """The demo data, loaded once per test process (see ``_DemoDatabase``), for one module inside a transaction rolled
    back at its end. On SQLite (the smoke pass), or with a database not cloned from the migrated template
    (``--reuse-db``), it is loaded into the module's transaction."""
    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "postgresql" or _MIGRATED_TEMPLATE["name"] is None:
        with rolled_back(django_db_blocker):
            call_command("load_demo", password=DEMO_PASSWORD, stdout=open(os.devnull, "w"))
            analyze_tables()
            yield DEMO_PASSWORD
        return
    with django_db_blocker.unblock():
        name = _DEMO_DATABASE.ready(connection)
    with _database_switched(connection, name), rolled_back(django_db_blocker):
        yield DEMO_PASSWORD


class _DemoDatabase:
    """The demo data committed in a database of its own, used by every module that needs the demo.

    ``load_demo`` costs 25-30 s; eight modules of the main pass loaded it, each into its own transaction, and both
    workers began with one. Now the first process of a test run that needs it loads it once into a template
    (``<migrated template>_demo_<run>``, made from the migrated template under an advisory lock, the other worker
    waiting) and commits, with the database task backend: the background work the load asks for (search indexing,
    text extraction, notifications) is committed with it as queued task rows, as a deployment's worker would find
    them, and runs nowhere yet. Each process then works on copies of the template:

    - ``<test database>_demo`` for the modules that roll back (``demo_database``), every module inside a transaction
      rolled back at its end, as ``demo_once`` did in the worker's own database; its queued tasks are deleted, since a
      load rolled back never ran them either;
    - ``<test database>_live`` for a test that commits (``demo_committed``: the live-server and browser tests, which
      called ``load_demo`` themselves), made afresh for each such test; the queued tasks are run in the test process
      first, as after a committed load (the immediate backend of the tests), and the copy is dropped after the test.

    The files the load stored (attachments, PDFs) are kept aside as hard links beside the workers' private folders
    and put into a worker's folder before each module or test, since a test may delete a stored file in a savepoint
    that is rolled back (the row comes back, the file would not). A process's copies are dropped at the end of its
    session; the template is left for the next run's maker, which drops it as stale."""

    LOCK = 7_143_002  # pg_advisory_lock key of the demo template's maker

    def __init__(self):
        self.name = None
        self.files = None

    def ready(self, connection):
        """The rolled-back modules' copy, made on first use; the stored files put back."""
        from django.conf import settings

        if self.name is None:
            self.name = self._copy(connection, "demo")
            with _database_switched(connection, self.name):
                _queued_tasks_deleted()
        _files_restored(self.files, settings.PRIVATE_ROOT)
        return self.name

    def committed(self, connection):
        """A fresh copy for one committing test, with the stored files put back and the load's queued work done
        when the caller has switched to it (``_queued_tasks_run``)."""
        from django.conf import settings

        name = self._copy(connection, "live")
        _files_restored(self.files, settings.PRIVATE_ROOT)
        return name

    def _copy(self, connection, suffix):
        from pathlib import Path

        from django.conf import settings

        run = (os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"p{os.getpid()}")[:12]
        template = f"{_MIGRATED_TEMPLATE['name']}_demo_{run}"
        files = Path(settings.PRIVATE_ROOT).parent / f"demo-files-{run}"
        name = f"{connection.settings_dict['NAME']}_{suffix}"
        quote = connection.ops.quote_name
        with connection.creation._nodb_cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [self.LOCK])
            try:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
                if cursor.fetchone() is None:
                    cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                   [f"{_MIGRATED_TEMPLATE['name']}\\_demo\\_%"])
                    for (stale,) in cursor.fetchall():
                        cursor.execute(f"DROP DATABASE IF EXISTS {quote(stale)}")
                    self._make(connection, cursor, template, files)
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")
                cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self.LOCK])
        if self.files is None:
            self.files = (files, [p.relative_to(files) for p in files.rglob("*") if p.is_file()])
        return name

    def _make(self, connection, cursor, template, files):
        import shutil
        from pathlib import Path

        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections, transaction
        from django.test.utils import override_settings

        quote = connection.ops.quote_name
        partial = f"{template}_partial"
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(partial)}")
        cursor.execute("SELECT pg_advisory_lock(%s)", [TEMPLATE_LOCK])  # no worker is cloning the migrated template
        try:
            cursor.execute(f"CREATE DATABASE {quote(partial)} TEMPLATE {quote(_MIGRATED_TEMPLATE['name'])}")
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [TEMPLATE_LOCK])
        root = Path(settings.PRIVATE_ROOT)
        before = {p for p in root.rglob("*") if p.is_file()}
        queued = {alias: {**options, "BACKEND": "django_tasks_db.DatabaseBackend"}
                  for alias, options in settings.TASKS.items()}
        with _database_switched(connection, partial):
            _autovacuum_off(connections)
            with override_settings(TASKS=queued), transaction.atomic():
                call_command("load_demo", password=DEMO_PASSWORD, stdout=open(os.devnull, "w"))
                # What is left are the tasks' markers and callbacks of this process (a page-cache version, a signal
                # nobody receives); the work itself is in the task rows.
                connection.run_on_commit.clear()
            analyze_tables()
        cursor.execute(f"ALTER DATABASE {quote(partial)} RENAME TO {quote(template)}")
        for stale in files.parent.glob("demo-files-*"):
            shutil.rmtree(stale, ignore_errors=True)
        for path in {p for p in root.rglob("*") if p.is_file()} - before:
            kept = files / path.relative_to(root)
            kept.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, kept)

    def drop(self, connection, name=None):
        """Drop this process's rolled-back copy (at the session's end), or the committed copy ``name``."""
        if name is None and self.name is None:
            return
        with connection.creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name or self.name)} WITH (FORCE)")
        if name is None:
            self.name = None


def _queued_tasks_deleted():
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()


def _queued_tasks_run():
    """Run the tasks the demo load queued (``_DemoDatabase._make``), in the order they were queued, with the
    tests' backend (immediate: each runs as it is enqueued, as after a load committed in the test); then forget them."""
    from django_tasks_db.models import DBTaskResult

    for row in DBTaskResult.objects.order_by("enqueued_at", "pk"):
        arguments = row.args_kwargs or {}
        row.task.enqueue(*arguments.get("args", ()), **arguments.get("kwargs", {}))
    _queued_tasks_deleted()


_DEMO_DATABASE = _DemoDatabase()


@contextlib.contextmanager
def _database_switched(connection, name):
    """The default connection on database ``name`` until the block ends (no transaction may be open)."""
    from django.conf import settings

    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = settings.DATABASES[connection.alias]["NAME"] = name
    _caches_of_ids_cleared()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = settings.DATABASES[connection.alias]["NAME"] = original
        _caches_of_ids_cleared()


def _caches_of_ids_cleared():
    """What a process remembers of a database's rows, forgotten when the connection moves to another database: the
    two databases were made alike, but a flush (after a transactional test) makes the content types and permissions
    again with new ids, as the ``post_migrate`` handlers that forget them after a flush know."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import caches

    from casefiles.permissions import _forget_permission_ids

    ContentType.objects.clear_cache()
    _forget_permission_ids()
    for cache in caches.all(initialized_only=True):
        cache.clear()


def _files_restored(files, root):
    from pathlib import Path

    keep, kept = files
    for relative in kept:
        target = Path(root) / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(keep / relative, target)


def _scheme_period_lifted(sender, instance, **kwargs):
    import datetime

    from django.utils import timezone

    if not _PERIODS["lift"]:
        return
    rules = instance.card_rules or {}
    period = rules.get("applications") or {}
    closes = period.get("closes")
    if closes and datetime.date.fromisoformat(str(closes)) <= timezone.localdate():
        instance.card_rules = {**rules, "applications": {**period, "closes": None, "setting": True}}
        sender.objects.filter(pk=instance.pk).update(card_rules=instance.card_rules)


@pytest.fixture
def jurisdictions(db):
    from casefiles.schemes.loader import jurisdictions_load

    return jurisdictions_load()


@pytest.fixture
def demo(request, demo_database, db):
    """The full demo data set, as load_demo makes it (``demo_database``: loaded once per test process, each test
    in a savepoint of the module's transaction). Not for transactional or live-server tests: they commit, and a live
    server's threads would not see the module's transaction; such a test asks for ``demo_committed``."""
    committing = {"transactional_db", "live_server"} & set(request.fixturenames)
    if committing or getattr(request.node.get_closest_marker("django_db"), "kwargs", {}).get("transaction"):
        pytest.fail("the demo fixture is not for a transactional test: ask for demo_committed")
    return demo_database


@pytest.fixture
def demo_committed(transactional_db, django_db_blocker):
    """The full demo data set committed, for a transactional or live-server test (a browser walk, the load test):
    the test's database is a fresh copy of the demo template (``_DemoDatabase.committed``) for the test's duration,
    and the background work the load queued (indexing into this worker's search indices, text extraction, the inbox
    and mail) has been done, as after ``load_demo`` committed in the test — which cost 25-30 s a test. The live
    server's threads open their connections with the same settings, so they read the copy too. The value is the demo
    password. On SQLite (the smoke pass), or with a database not cloned from the migrated template, the test loads
    the demo itself."""
    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "postgresql" or _MIGRATED_TEMPLATE["name"] is None:
        call_command("load_demo", password=DEMO_PASSWORD, stdout=open(os.devnull, "w"))
        yield DEMO_PASSWORD
        return
    name = _DEMO_DATABASE.committed(connection)
    try:
        with _database_switched(connection, name):
            _queued_tasks_run()
            yield DEMO_PASSWORD
    finally:
        _DEMO_DATABASE.drop(connection, name)


def analyze_tables():
    """Give PostgreSQL's planner the row counts of what a fixture just loaded (inside the test's transaction,
    ANALYZE counts the transaction's own rows). After a transactional test has flushed the database (TRUNCATE), the
    tables are recorded as empty until autovacuum analyzes them again — and it never sees rows that a test's
    transaction has not committed. With "empty" tables the planner chose nested loops over the grant tables, and
    the documents' permission matrix ran for over ten minutes in a fresh-clone run instead of under two."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


@pytest.fixture(scope="session")
def signing_ca(tmp_path_factory):
    """A development CA for the session (casefiles/seals/keys.py), in its own directory: EC keys, made in
    milliseconds. Department keys are issued under it on demand by ``signing_keys``."""
    from casefiles.seals import keys

    directory = tmp_path_factory.mktemp("signing")
    keys.dev_ca(directory)
    return directory


@pytest.fixture
def signing_keys(settings, signing_ca):
    """Signing on, against the session's CA: ``issue(*departments)`` gives departments keys (kept for the session:
    files are named by jurisdiction and department code)."""
    from casefiles.seals import keys

    settings.HUICAI_SIGNING_DIR = str(signing_ca)
    settings.HUICAI_SIGNING_BACKEND = keys.DEV_BACKEND
    settings.HUICAI_SIGNING_TRUST_ROOTS = None

    def issue(*departments):
        for department in departments:
            keys.make_dev_department_key(department, signing_ca)

    return issue
