"""Changes of the service catalogue (聊城 第三十九条): approved by the talent office, written to the catalogue
the tier table and guides read, and announced on the portal."""

import pytest

from casefiles.models import ServiceItem
from policypages.demo import ensure_home_page, ensure_scheme_section
from policypages.models import NoticeIndexPage, NoticePage, ServiceGuidePage
from policypages.selectors import tier_table
from policypages.services import tier_table_ensure
from programmes.models import ChangeStatus
from programmes.services import NotAllowed, service_change_approve, service_change_reject, service_change_submit

from .conftest import PASSWORD, user

pytestmark = pytest.mark.smoke


def _propose(scheme, **overrides):
    fields = dict(
        user=user("liaocheng.hr-bureau"), scheme=scheme, ref="39.1", article="第三十九条", title="人才公寓拎包入住",
        text="A卡持卡人可申请入住市级人才公寓。", category="housing", time_limit_working_days=10,
        tiers=[scheme.tiers.get(code="A")], responsible_units=[scheme.departments.get(code="housing-bureau")],
        reason="丰富服务内容。",
    )
    fields.update(overrides)
    return service_change_submit(**fields)


def test_approval_creates_the_service_item_and_the_tier_table_shows_it(schemes, client):
    liaocheng = schemes["liaocheng"]
    section = ensure_scheme_section(ensure_home_page(), liaocheng)
    table_page = tier_table_ensure(section=section)
    notices = NoticeIndexPage(title="通知公告", slug="notices")
    section.add_child(instance=notices)
    notices.save_revision().publish()
    change = _propose(liaocheng)
    assert not ServiceItem.objects.filter(scheme=liaocheng, ref="39.1").exists()
    before = client.get(table_page.url).content.decode()
    assert "人才公寓拎包入住" not in before

    with pytest.raises(NotAllowed):  # the HR bureau proposes, only the talent office approves
        service_change_approve(change=change, user=user("liaocheng.hr-bureau"))
    service_change_approve(change=change, user=user("liaocheng.talent-office"), comment="同意")

    item = ServiceItem.objects.get(scheme=liaocheng, ref="39.1")
    assert item.title == "人才公寓拎包入住" and item.time_limit_working_days == 10
    assert list(item.responsible_units.values_list("code", flat=True)) == ["housing-bureau"]
    row = next(r for r in tier_table(liaocheng)["rows"] if r["service"] == item)
    headers = tier_table(liaocheng)["headers"]
    assert dict(zip(headers, row["cells"])) == {"A卡": True, "B卡": False, "C卡": False}
    html = client.get(table_page.url).content.decode()
    assert "人才公寓拎包入住" in html
    guide = ServiceGuidePage.objects.get(service_item=item)
    assert guide.live and "聊城市住房城乡建设局" in guide.responsible_units_text
    assert 'data-ref="39.1"' in html and guide.url in html  # the tier table links the new guide
    notice = NoticePage.objects.child_of(notices).get()
    assert notice.live and "人才公寓拎包入住" in notice.title
    public = client.get("/schemes/liaocheng/catalogue-changes/").content.decode()
    assert "人才公寓拎包入住" in public and "第三十九条" in public


def test_rejected_change_leaves_the_catalogue_alone(schemes):
    liaocheng = schemes["liaocheng"]
    change = _propose(liaocheng)
    with pytest.raises(Exception):
        service_change_reject(change=change, user=user("liaocheng.talent-office"), comment="")
    service_change_reject(change=change, user=user("liaocheng.talent-office"), comment="与第二十五条重复。")
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    assert not ServiceItem.objects.filter(scheme=liaocheng, ref="39.1").exists()


def test_admin_form_proposes_and_approves(schemes, client):
    liaocheng = schemes["liaocheng"]
    client.login(username="liaocheng.hr-bureau", password=PASSWORD)
    assert client.get("/admin/programmes/catalogue/").status_code == 200
    response = client.post("/admin/programmes/catalogue/", {
        "scheme": liaocheng.pk, "ref": "39.2", "article": "第三十九条", "title": "高层次人才健康管理",
        "text": "每年一次免费健康体检。", "category": "medical", "tiers": [liaocheng.tiers.get(code="B").pk],
        "responsible_units": [liaocheng.departments.get(code="health-commission").pk],
    })
    assert response.status_code == 302
    change_url = response["Location"]
    client.login(username="liaocheng.talent-office", password=PASSWORD)
    assert client.post(change_url, {"action": "approve", "comment": "同意"}).status_code == 302
    assert ServiceItem.objects.get(scheme=liaocheng, ref="39.2").tiers.get().code == "B"
    client.login(username="liaocheng.applicant", password=PASSWORD)
    assert client.get("/admin/programmes/catalogue/").status_code in (302, 404)
