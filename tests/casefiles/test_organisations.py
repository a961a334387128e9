import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from casefiles.models import Department, DepartmentKind, Jurisdiction, Membership, Role

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_jurisdiction_tree_matches_the_seeds(jurisdictions):
    tonghua = Jurisdiction.objects.get(code="tonghua")
    assert [j.code for j in tonghua.ancestors()] == ["jilin"]
    baiyun = Jurisdiction.objects.get(code="baiyun")
    assert [j.code for j in baiyun.ancestors()] == ["guangdong", "guangzhou"]
    assert baiyun.level == "district"
    assert {j.code for j in Jurisdiction.objects.get(code="guangdong").descendants()} == {"guangzhou", "baiyun"}
    assert Jurisdiction.objects.get(code="chuxiong").parent.code == "yunnan"
    assert Jurisdiction.objects.get(code="liaocheng").parent.code == "shandong"
    assert Jurisdiction.objects.filter(parent__isnull=True).count() == 4


def test_jurisdiction_cannot_contain_itself(jurisdictions):
    jilin = Jurisdiction.objects.get(code="jilin")
    jilin.parent = Jurisdiction.objects.get(code="tonghua")
    with pytest.raises(ValidationError):
        jilin.full_clean()


def test_department_gets_exactly_one_group_named_after_it(jurisdictions):
    tonghua = Jurisdiction.objects.get(code="tonghua")
    dept = Department.objects.create(jurisdiction=tonghua, code="hr-bureau", name="通化市人社局", kind=DepartmentKind.HR_BUREAU)
    assert dept.group.name == "tonghua.hr-bureau"
    assert Group.objects.get(department=dept) == dept.group
    dept.code = "hr"
    dept.save()
    dept.group.refresh_from_db()
    assert dept.group.name == "tonghua.hr"
    assert Group.objects.filter(name="tonghua.hr-bureau").count() == 0


def test_same_code_in_two_jurisdictions_are_two_departments(jurisdictions):
    a = Department.objects.create(
        jurisdiction=Jurisdiction.objects.get(code="tonghua"), code="hr-bureau", name="A", kind="hr_bureau"
    )
    b = Department.objects.create(
        jurisdiction=Jurisdiction.objects.get(code="liaocheng"), code="hr-bureau", name="B", kind="hr_bureau"
    )
    assert a.group != b.group


def test_membership_roles_are_checked(jurisdictions, django_user_model):
    tonghua = Jurisdiction.objects.get(code="tonghua")
    employer = Department.objects.create(jurisdiction=tonghua, code="acme", name="某公司", kind=DepartmentKind.EMPLOYER)
    user = django_user_model.objects.create_user("x", password="irrelevant-123")
    with pytest.raises(ValidationError):
        Membership(user=user, department=employer, role=Role.REVIEWER).full_clean()
    Membership(user=user, department=employer, role=Role.EMPLOYER_CONTACT).full_clean()


def test_department_staff_may_enter_the_admin_but_employers_not(jurisdictions, django_user_model):
    tonghua = Jurisdiction.objects.get(code="tonghua")
    bureau = Department.objects.create(jurisdiction=tonghua, code="hr-bureau", name="人社局", kind=DepartmentKind.HR_BUREAU)
    employer = Department.objects.create(jurisdiction=tonghua, code="acme", name="某公司", kind=DepartmentKind.EMPLOYER)
    staff = django_user_model.objects.create_user("staff", password="irrelevant-123", is_staff=True)
    contact = django_user_model.objects.create_user("contact", password="irrelevant-123", is_staff=True)
    staff.groups.add(bureau.group)
    contact.groups.add(employer.group)
    assert staff.has_perm("wagtailadmin.access_admin")
    assert not contact.has_perm("wagtailadmin.access_admin")
