"""Service commissioners (聊城 第三十八条) are published with name, unit and office phone — never a personal phone."""

import re

import pytest

from casefiles.models import Card
from programmes.models import CommissionerScope, ServiceCommissioner
from programmes.services import NotAllowed, commissioner_save

from .conftest import PASSWORD, user

pytestmark = pytest.mark.smoke
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def test_public_page_shows_office_phone_and_never_a_mobile(schemes, client):
    liaocheng = schemes["liaocheng"]
    hr = liaocheng.departments.get(code="hr-bureau")
    employer = liaocheng.jurisdiction.departments.filter(kind="employer").first()
    office = user("liaocheng.hr-bureau")
    commissioner_save(commissioner=ServiceCommissioner(
        scheme=liaocheng, name="赵明远", unit=hr, position="人才服务科科长", office_phone="0635-8101234",
        personal_phone="13906351234", scope=CommissionerScope.DEPARTMENT, served_department=employer), user=office)
    commissioner_save(commissioner=ServiceCommissioner(
        scheme=liaocheng, name="不公开", unit=hr, office_phone="0635-8109999", published=False), user=office)
    html = client.get("/schemes/liaocheng/commissioners/").content.decode()
    assert "赵明远" in html and "聊城市人力资源社会保障局" in html and "0635-8101234" in html
    assert employer.name in html
    assert "13906351234" not in html and not MOBILE.search(html)
    assert "不公开" not in html
    assert client.get("/schemes/tonghua/commissioners/").status_code == 200
    assert "赵明远" not in client.get("/schemes/tonghua/commissioners/").content.decode()


def test_only_the_programme_office_manages_commissioners(schemes, client):
    liaocheng = schemes["liaocheng"]
    hr = liaocheng.departments.get(code="hr-bureau")
    with pytest.raises(NotAllowed):
        commissioner_save(commissioner=ServiceCommissioner(scheme=liaocheng, name="某人", unit=hr, office_phone="0635-1"),
                          user=user("tonghua.hr-bureau"))
    with pytest.raises(Exception):  # a holder's commissioner needs the holder
        commissioner_save(commissioner=ServiceCommissioner(scheme=liaocheng, name="某人", unit=hr, office_phone="0635-1",
                                                           scope=CommissionerScope.HOLDER), user=user("liaocheng.hr-bureau"))
    assert not Card.objects.exists()
    client.login(username="liaocheng.hr-bureau", password=PASSWORD)
    response = client.post("/admin/programmes_commissioners/new/", {
        "scheme": liaocheng.pk, "name": "钱晓丽", "unit": hr.pk, "office_phone": "0635-8102222", "scope": "department",
        "order": 0, "published": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ServiceCommissioner.objects.get(name="钱晓丽").unit == hr
    assert "钱晓丽" in client.get("/admin/programmes_commissioners/").content.decode()
