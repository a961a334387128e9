"""Tampering with the journal behind the application's back (raw SQL), and running ``journal_verify`` on it."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from casefiles.models import JournalEntry


def verify(*args):
    """``journal_verify``'s output when every chain is intact."""
    out = io.StringIO()
    call_command("journal_verify", *args, stdout=out)
    return out.getvalue()


def tamper(sql, params):
    """Run ``sql`` with ``{table}`` standing for the journal's table."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=connection.ops.quote_name(JournalEntry._meta.db_table)), params)


def verify_fails(*args):
    """``journal_verify``'s error message; the test fails if it passes."""
    with pytest.raises(CommandError) as failure:
        verify(*args)
    return str(failure.value)
