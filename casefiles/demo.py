"""Demo data of the case-file side: jurisdictions, schemes, departments, employers and demo users."""

import hashlib

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Department, DepartmentKind, Membership, Role, Scheme
from .schemes.loader import SCHEME_SLUGS, schemes_load, supervision_of, workflow_department_codes

DEFAULT_DEMO_PASSWORD = "huicai-demo-2026"

# Two employers per scheme jurisdiction; the first gets the demo employer contact.
DEMO_EMPLOYERS = {
    "tonghua": [("tonghua-pharma", "通化示范制药股份有限公司", "企业"), ("tonghua-normal", "通化师范学院", "高校")],
    "jilin": [("jilin-university-demo", "吉林示范大学", "高校"), ("changchun-auto-demo", "长春示范汽车研究院", "企业")],
    "chuxiong": [("chuxiong-medicine", "楚雄示范医药有限公司", "企业"), ("chuxiong-hospital", "楚雄州示范人民医院", "医疗卫生")],
    "baiyun": [("baiyun-tech", "白云示范科技有限公司", "企业"), ("baiyun-school", "白云区示范中学", "教育")],
    "liaocheng": [("liaocheng-chem", "聊城示范化工集团", "企业"), ("liaocheng-university-demo", "聊城示范学院", "高校")],
}


# External reviewers (专家评审): one per scheme whose workflow names experts; an account with no department.
DEMO_EXPERT_NAMES = [("李", "明远"), ("王", "静怡"), ("张", "国华"), ("刘", "思源"), ("陈", "建平")]


# Made-up names for the demo accounts (officers, applicants, contacts, card holders): officers see names, not logins.
DEMO_FAMILY_NAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
DEMO_GIVEN_NAMES = [
    "建华", "晓明", "丽娟", "志强", "海燕", "国庆", "秀梅", "文博", "雅婷", "俊峰", "春燕", "立新", "红霞", "德明", "玉兰",
    "子轩", "晓燕", "永刚", "佳怡", "振宇", "淑珍", "宏伟", "慧敏", "鹏飞", "美玲", "家豪", "桂芳", "浩然", "晓丽", "卫东",
]


def demo_person_name(username):
    """(family name, given name) for a demo account: made up, stable per login, and not another account's name
    (the next free pair after the one the login hashes to, in load order)."""
    User = get_user_model()
    pairs = len(DEMO_FAMILY_NAMES) * len(DEMO_GIVEN_NAMES)
    start = int(hashlib.sha256(username.encode()).hexdigest(), 16) % pairs
    others = User.objects.exclude(username=username)
    for step in range(pairs):
        n = (start + step * 7919) % pairs  # 7919 is prime to pairs: every pair is tried once
        name = (DEMO_FAMILY_NAMES[n % len(DEMO_FAMILY_NAMES)], DEMO_GIVEN_NAMES[n // len(DEMO_FAMILY_NAMES)])
        if not others.filter(last_name=name[0], first_name=name[1]).exists():
            return name
    return name


def demo_employers(scheme):
    """(code, name, sector) of the scheme's two demo employers: the named ones of a shipped scheme, else two
    made-up ones named after the scheme's jurisdiction, so a new scheme file needs no Python."""
    if scheme.slug in DEMO_EMPLOYERS:
        return DEMO_EMPLOYERS[scheme.slug]
    short = scheme.jurisdiction.short_name or scheme.jurisdiction.name
    return [(f"{scheme.slug}-demo-company", f"{short}示范企业", "企业"),
            (f"{scheme.slug}-demo-institute", f"{short}示范事业单位", "事业单位")]


def demo_expert_name(slug):
    """(family name, given name) of the scheme's demo expert: stable per slug, shipped or not."""
    index = SCHEME_SLUGS.index(slug) if slug in SCHEME_SLUGS else int(hashlib.sha256(slug.encode()).hexdigest(), 16)
    return DEMO_EXPERT_NAMES[index % len(DEMO_EXPERT_NAMES)]


def _states_want_experts(data):
    return any(state.get("experts") for state in (data.get("workflow") or {}).get("states") or [])


def demo_usernames(data):
    """The demo accounts :func:`demo_users_for` makes for a scheme file, read from the file alone."""
    slug = data["slug"]
    names = [f"{slug}.applicant", f"{slug}.employer"]
    for code in sorted(workflow_department_codes(data)):
        names += [f"{slug}.{code}", f"{slug}.{code}.2"]
    if _states_want_experts(data):
        names.append(f"{slug}.expert")
    names += [f"{slug}.{code}.head" for code in sorted(supervision_of(data))]
    return names


def _user(username, password, **extra):
    """The demo account ``username`` with ``extra`` fields; named by :func:`demo_person_name` unless named here."""
    User = get_user_model()
    user = User.objects.filter(username=username).first() or User(username=username)
    if not (extra.get("first_name") or extra.get("last_name")):
        named = user.last_name and user.first_name
        extra["last_name"], extra["first_name"] = (
            (user.last_name, user.first_name) if named else demo_person_name(username))
    for key, value in extra.items():
        setattr(user, key, value)
    user.set_password(password)
    user.save()  # one INSERT for a new account
    return user


def _member(user, department, role):
    Membership.objects.update_or_create(user=user, department=department, defaults={"role": role})
    user.groups.add(department.group)


def demo_users_for(scheme, data, password):
    """The demo employers and accounts of one loaded scheme (``data``: its parsed file): ``<slug>.applicant``,
    ``<slug>.employer`` (contact of the first demo employer), ``<slug>.<department>`` and its colleague
    ``<slug>.<department>.2`` for every department acting in the workflow, ``<slug>.expert`` when a stage asks
    experts. Idempotent; returns [(username, description)]."""
    created = []
    employers = []
    for code, name, sector in demo_employers(scheme):
        employer = Department.objects.filter(jurisdiction=scheme.jurisdiction, code=code).first() or Department(
            jurisdiction=scheme.jurisdiction, code=code
        )
        employer.name, employer.kind, employer.sector = name, DepartmentKind.EMPLOYER, sector
        employer.save()
        employers.append(employer)
    applicant = _user(f"{scheme.slug}.applicant", password, email=f"{scheme.slug}.applicant@example.org")
    created.append((applicant.username, f"{scheme.name} · applicant"))
    contact = _user(f"{scheme.slug}.employer", password, email=f"{scheme.slug}.employer@example.org")
    _member(contact, employers[0], Role.EMPLOYER_CONTACT)
    created.append((contact.username, f"{scheme.name} · {employers[0].name}"))
    for code in sorted(workflow_department_codes(data)):
        department = scheme.departments.get(code=code)
        staff = _user(f"{scheme.slug}.{code}", password, is_staff=True, email=f"{scheme.slug}.{code}@example.org")
        _member(staff, department, Role.REVIEWER)
        created.append((staff.username, f"{scheme.name} · {department.name}"))
        # A colleague: with four eyes, the next decision on a dossier is someone else's.
        colleague = _user(f"{scheme.slug}.{code}.2", password, is_staff=True, email=f"{scheme.slug}.{code}.2@example.org")
        _member(colleague, department, Role.REVIEWER)
        created.append((colleague.username, f"{scheme.name} · {department.name}（同事）"))
    created += demo_heads_for(scheme, data, password)
    if _states_want_experts(data):
        last, first = demo_expert_name(scheme.slug)
        expert = _user(f"{scheme.slug}.expert", password, first_name=first, last_name=last,
                       email=f"{scheme.slug}.expert@example.org")
        created.append((expert.username, f"{scheme.name} · 评审专家"))
    return created


def demo_heads_for(scheme, data, password):
    """``<slug>.<department>.head``, the head of each department whose ``supervises`` list the scheme file fills
    (督办 on the workbench)."""
    created = []
    for code in sorted(supervision_of(data)):
        department = scheme.departments.get(code=code)
        head = _user(f"{scheme.slug}.{code}.head", password, is_staff=True, email=f"{scheme.slug}.{code}.head@example.org")
        _member(head, department, Role.HEAD)
        created.append((head.username, f"{scheme.name} · {department.name}（负责人）"))
    return created


@transaction.atomic
def load_schemes_and_users(password=DEFAULT_DEMO_PASSWORD, stdout=None):
    """Load the shipped schemes and create the demo users; returns [(username, description)]."""
    created = []
    admin = _user("admin", password, is_staff=True, is_superuser=True, email="admin@example.org")
    created.append((admin.username, "administrator"))
    for scheme in schemes_load():
        created += demo_users_for(scheme, scheme.source_data, password)
    return created


def demo_scheme_slugs():
    return [s for s in SCHEME_SLUGS if Scheme.objects.filter(slug=s).exists()]
