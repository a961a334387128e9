"""The cardholder registry in the Wagtail admin: scoped listing, Excel export, no editing outside services."""

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from casefiles.demo_cards import issue_card, prepare_schemes

pytestmark = [pytest.mark.django_db]


def test_registry_lists_own_scheme_and_exports_excel(client):
    prepare_schemes(["tonghua", "jilin"])
    mine = issue_card("tonghua", applicant_name="孙志强")
    theirs = issue_card("jilin", applicant_name="周建国")
    staff = get_user_model().objects.get(username="tonghua.service-center")
    # Wagtail admin access is granted to department staff elsewhere; here directly.
    staff.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    client.force_login(staff)
    html = client.get("/admin/cards/").content.decode()
    assert mine.number in html and theirs.number not in html
    response = client.get("/admin/cards/?export=xlsx")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    numbers = [r[0] for r in rows[1:]]
    assert numbers == [mine.number]
    assert rows[1][1] == "孙志强"
    # no one edits a card by form: the edit page finds no card it may change, like a missing id (huicai.admin_scope)
    assert client.get(f"/admin/cards/edit/{mine.pk}/").status_code == 404
    assert client.get(f"/admin/cards/inspect/{mine.pk}/").status_code == 200
