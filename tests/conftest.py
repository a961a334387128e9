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


_PERIODS = {"lift": True}


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
def demo(db):
    """The full demo data set, as load_demo makes it."""
    from django.core.management import call_command

    call_command("load_demo", password="demo-pass-123", stdout=open(os.devnull, "w"))
    return "demo-pass-123"
