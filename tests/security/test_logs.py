"""No raw ID or phone number reaches the log output: a whole dossier flow runs with every logger at DEBUG,
SQL logging on (its statements carry the identity values) and request logging, through the handler the
settings configure; the captured output must hold the masked forms and never the raw ones."""

import io
import logging

import pytest
from django.db import connection

from casefiles.masking import mask_id_number, mask_phone
from tests.casefiles.factories import setup_schemes

from .people import ALICE, full_flow, staff

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]


@pytest.fixture
def log_output():
    """Point the configured PII-filtered console handler at a buffer, everything at DEBUG."""
    from huicai.logfilters import PersonalDataFilter

    root = logging.getLogger()
    handlers = [h for h in root.handlers if any(isinstance(f, PersonalDataFilter) for f in h.filters)]
    assert handlers, "settings.LOGGING must attach the personal-data filter to the root handler"
    handler = handlers[0]
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    old_formatter = handler.formatter
    # A verbose format, as an operator might configure: logger name, level, message, traceback.
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    levels = {name: logging.getLogger(name).level for name in ("", "django", "django.db.backends", "django.request")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    old_level, handler.level = handler.level, logging.DEBUG
    old_debug_cursor, connection.force_debug_cursor = connection.force_debug_cursor, True
    yield buffer
    connection.force_debug_cursor = old_debug_cursor
    handler.level = old_level
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    handler.setFormatter(old_formatter)
    handler.setStream(old_stream)


def test_dossier_flow_logs_no_identity(log_output, client, django_capture_on_commit_callbacks):
    setup_schemes()
    with django_capture_on_commit_callbacks(execute=True):
        dossier = full_flow(ALICE)
    client.force_login(dossier.applicant)
    assert client.get(f"/applications/{dossier.pk}/").status_code == 200
    client.force_login(staff("liaocheng.hr-bureau"))
    client.get(f"/api/v1/dossiers/{dossier.pk}/")
    client.get("/api/v1/dossiers/", {"q": ALICE.id_number})
    # A 404 on a URL carrying the numbers is logged by django.request with its path.
    assert client.get(f"/verify/{ALICE.id_number}/{ALICE.phone}/").status_code == 404
    # An error logged with its traceback, whose exception text names the person.
    try:
        raise ValueError(f"holder {ALICE.id_number} phone {ALICE.new_phone} not found")
    except ValueError:
        logging.getLogger("casefiles").exception("lookup failed for %s", ALICE.phone)

    output = log_output.getvalue()
    assert "INSERT INTO" in output, "SQL logging was on (the statements carry the identity values)"
    assert mask_id_number(ALICE.id_number)[:3] in output and "Not Found" in output and "Traceback" in output
    assert mask_phone(ALICE.phone) in output and mask_phone(ALICE.new_phone) in output
    for raw in (ALICE.id_number, ALICE.phone, ALICE.new_phone):
        assert raw not in output, f"{raw[:3]}… appears in the log output"
