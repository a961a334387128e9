import os

import pytest


@pytest.fixture(scope="session")
def artifacts_dir():
    """Where tests leave screenshots and rendered pages for a person to look at."""
    path = os.environ.get("HUICAI_ARTIFACTS") or os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return path


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
