"""Import of the office's list of holders into the cardholder registry (楚雄 第四条)."""

import io
import random

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from casefiles.models import Card, CardStatus, Dossier, JournalEntry
from casefiles.services.registry_import import HEADERS
from casefiles.testing import resident_id
from tests.casefiles.factories import setup_schemes

pytestmark = [pytest.mark.django_db, pytest.mark.smoke, pytest.mark.usefixtures("schemes_once")]
URL = "/admin/card-registry/import/"
EMPLOYER = "楚雄示范医药有限公司"


def staff(username):
    user = get_user_model().objects.get(username=username)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return user


def workbook(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "holders.xlsx"
    return buffer


def ids(n, seed=7):
    rng = random.Random(seed)
    return [resident_id(rng, birth=f"19{80 + i}0315", area="532301") for i in range(n)]


@pytest.fixture
def chuxiong(db):
    setup_schemes()
    from casefiles.models import Scheme

    return Scheme.objects.get(slug="chuxiong")


def upload(client, scheme, rows):
    return client.post(URL, {"scheme": scheme.pk, "file": workbook(rows)})


def test_preview_shows_row_errors_and_writes_nothing(client, chuxiong):
    client.force_login(staff("chuxiong.talent-office"))
    good, bad, other = ids(3)
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    dossiers, cards = Dossier.objects.count(), Card.objects.count()
    response = upload(client, chuxiong, [
        ["李明", "居民身份证", good, "13800000001", EMPLOYER, "A", "3.1.2", ""],
        ["王芳", "居民身份证", bad, "13800000002", EMPLOYER, "A", "3.1.2", ""],
        ["张伟", "居民身份证", other, "13800000003", EMPLOYER, "Z", "3.1.2", ""],
    ])
    assert response.status_code == 200
    html = response.content.decode()
    assert "第3行：" in html and "校验位不正确" in html
    assert "第4行：" in html and "卡级“Z”不存在" in html
    assert "第2行" not in html
    assert 'name="confirm"' not in html
    assert (Dossier.objects.count(), Card.objects.count()) == (dossiers, cards)
    # confirming without a clean checked file imports nothing
    response = client.post(URL, {"confirm": "1", "hash": "x", "scheme": chuxiong.pk})
    assert response.status_code == 302
    assert (Dossier.objects.count(), Card.objects.count()) == (dossiers, cards)


def test_import_three_holders_then_refuse_second_run(client, chuxiong):
    client.force_login(staff("chuxiong.talent-office"))
    rows = [
        [name, "居民身份证", number, f"1390000000{i}", EMPLOYER, tier, criterion, ""]
        for i, (name, number, tier, criterion) in enumerate(
            zip(["李明", "王芳", "张伟"], ids(3, seed=11), ["A", "B卡", "A"], ["3.1.2", "3.2.1", "3.1.5"], strict=True)
        )
    ]
    response = upload(client, chuxiong, rows)
    html = response.content.decode()
    assert response.status_code == 200 and "第" not in html.split("cf-preview")[1].split("<table")[0].replace("第四条", "")
    digest = client.session["casefiles_registry_import"]["hash"]
    response = client.post(URL, {"confirm": "1", "hash": digest, "scheme": chuxiong.pk})
    assert response.status_code == 302
    cards = Card.objects.filter(scheme=chuxiong, status=CardStatus.ACTIVE, dossier__facts__registry_import=True)
    assert cards.count() == 3
    assert sorted(c.tier.code for c in cards) == ["A", "A", "B"]
    assert all(c.dossier.state.code == "issued" for c in cards)
    assert all(c.dossier.opinions.get().transition == "registry_import" for c in cards)
    assert JournalEntry.objects.filter(action="casefiles.dossier.import").count() == 3
    assert not any(c.holder.has_usable_password() for c in cards)

    # the same file again: every row already holds an active card, nothing can be confirmed
    response = upload(client, chuxiong, rows)
    html = response.content.decode()
    assert html.count("已持有本卡种的有效人才卡") == 3
    assert 'name="confirm"' not in html
    response = client.post(URL, {"confirm": "1", "hash": digest, "scheme": chuxiong.pk})
    assert response.status_code == 302
    assert Card.objects.filter(scheme=chuxiong).count() == 3


def test_bank_user_may_not_import(client, chuxiong):
    client.force_login(staff("chuxiong.bank"))
    assert client.get(URL).status_code == 403
    assert upload(client, chuxiong, [["李明", "居民身份证", ids(1)[0], "13800000001", EMPLOYER, "A", "3.1.2", ""]]).status_code == 403
    assert client.get(URL + "template/").status_code == 403
    assert Card.objects.count() == 0


def test_template_download(client, chuxiong):
    client.force_login(staff("chuxiong.talent-office"))
    response = client.get(URL + "template/")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS


def test_preview_refuses_every_valid_until_the_write_step_refuses(client, chuxiong):
    """The preview runs the dossier's date check on 有效期至 (it becomes the contract end): for every date the
    preview accepts the import writes, and every date the write step would refuse is a row error in the preview
    (in Chinese, with its row number), never a failure after a clean preview."""
    import datetime

    from django.utils import timezone
    from django.utils.translation import override

    from casefiles.exceptions import CaseFileError
    from casefiles.services.registry_import import FIELDS, registry_import, validate_rows

    office = staff("chuxiong.talent-office")
    today = timezone.localdate()

    def years(n, days=0):
        try:
            day = today.replace(year=today.year + n)
        except ValueError:
            day = today.replace(year=today.year + n, day=28)
        return day + datetime.timedelta(days=days)

    dates = [today, years(1), years(49), years(50), years(50, 1), years(51), years(60), years(200),
             datetime.date(9999, 12, 31)]
    disagreements, refused = [], 0
    for number, (day, id_number) in enumerate(zip(dates, ids(len(dates), seed=23), strict=True)):
        raw = ["李明", "居民身份证", id_number, f"1390000{number:04d}", EMPLOYER, "A", "3.1.2", day.isoformat()]
        with override("zh-hans"):
            rows, errors = validate_rows(chuxiong, [(2, dict(zip(FIELDS, raw, strict=True)))])
        row = rows[0] if rows else {
            "row": 2, "applicant_name": raw[0], "id_type": raw[1], "id_number": raw[2], "phone": raw[3],
            "employer_name": EMPLOYER, "tier_name": "A", "criterion_ref": "3.1.2", "valid_until": day.isoformat()}
        if errors:
            refused += 1
            assert errors[0].startswith("第2行：") and "有效期至：" in errors[0] and "50" in errors[0], errors
        # the write step, bypassing the preview, on the very same row
        try:
            with override("zh-hans"):
                registry_import(scheme=chuxiong, user=office, rows=[row])
            written = True
        except CaseFileError:
            written = False
        if written == bool(errors):
            disagreements.append((day, errors))
    assert disagreements == []
    assert refused == 5  # 50 years and a day, 51, 60, 200 years ahead, 9999-12-31
    # and the preview page shows it per row
    client.force_login(office)
    html = upload(client, chuxiong, [["王芳", "居民身份证", ids(1, seed=29)[0], "13800000009", EMPLOYER, "A", "3.1.2",
                                      years(60).isoformat()]]).content.decode()
    assert "第2行：" in html and "有效期至：" in html and 'name="confirm"' not in html
