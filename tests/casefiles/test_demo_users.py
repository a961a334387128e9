"""load_demo's users: admin, and per scheme <slug>.applicant, <slug>.employer, two users per department that
acts in the scheme's workflow (<slug>.<code> and the colleague <slug>.<code>.2) and an expert where stages ask one — the departments read here straight from the scheme files."""

from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model

from casefiles.demo import load_schemes_and_users

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]
SCHEMES = Path(__file__).resolve().parents[2] / "casefiles" / "schemes"


def acting_departments(data):
    codes = {d["code"] for d in data["departments"]}
    acting = {s["actor"] for s in data["workflow"]["states"] if s.get("actor") in codes}
    for t in data["workflow"]["transitions"]:
        by = t["by"] if isinstance(t["by"], list) else [t["by"]]
        acting |= {b for b in by if b in codes}
    kind = data["workflow"].get("authority_kind")
    acting |= {d["code"] for d in data["departments"] if kind and d["kind"] == kind}
    # Departments asked for an opinion (会签 / 征求意见) work in the workflow too.
    acting |= {o["department"] for s in data["workflow"]["states"] for o in s.get("opinions") or [] if o["department"] in codes}
    return acting


def test_demo_users_follow_the_naming_rule_and_share_the_password():
    listed = load_schemes_and_users(password="one-pass-for-all-42")
    User = get_user_model()
    expected = {"admin"}
    for slug in ("tonghua", "jilin", "chuxiong", "baiyun", "liaocheng"):
        data = yaml.safe_load((SCHEMES / f"{slug}.yaml").read_text(encoding="utf-8"))
        expected |= {f"{slug}.applicant", f"{slug}.employer"} | {f"{slug}.{code}" for code in acting_departments(data)}
        # Four eyes: each department has a colleague; a scheme whose stages ask experts has an expert account.
        expected |= {f"{slug}.{code}.2" for code in acting_departments(data)}
        if any(s.get("experts") for s in data["workflow"]["states"]):
            expected.add(f"{slug}.expert")
        # A department whose head supervises others (督办) has its head.
        expected |= {f"{slug}.{d['code']}.head" for d in data["departments"] if d.get("supervises")}
    assert {name for name, _description in listed} == expected
    assert set(User.objects.values_list("username", flat=True)) == expected
    for user in User.objects.all():
        assert user.check_password("one-pass-for-all-42"), user.username
    # Every demo person has a made-up Chinese name, no two the same: officers are shown names, not logins.
    names = {user.username: (user.last_name, user.first_name) for user in User.objects.all()}
    assert all(last and first and not (last + first).isascii() for last, first in names.values()), names
    assert len(set(names.values())) == len(names), names
    # Loading again keeps them.
    load_schemes_and_users(password="one-pass-for-all-42")
    assert {user.username: (user.last_name, user.first_name) for user in User.objects.all()} == names
    # Each department user is a member of exactly its department's group; the employer contact of an employer.
    hr = User.objects.get(username="jilin.hr-bureau")
    assert list(hr.groups.values_list("name", flat=True)) == ["jilin.hr-bureau"]
    employer = User.objects.get(username="jilin.employer")
    assert employer.memberships.get().department.kind == "employer"
    assert User.objects.get(username="admin").is_superuser
