"""Demo data of programme operations: joint meetings of 通化, 楚雄 and 聊城 with their liaisons, a meeting that
decides a case-by-case dossier, 聊城's service commissioners, feedback and a catalogue change. Idempotent."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from casefiles.demo import DEFAULT_DEMO_PASSWORD
from casefiles.models import Card, CardStatus, Department, DepartmentKind, Dossier, Membership, Role, Scheme, ServiceItem, TransitionRole

from . import services
from .models import AgendaKind, CommissionerScope, DecisionOutcome, Feedback, JointMeeting, ServiceChangeRequest, ServiceCommissioner

# (scheme, name, article, lead department code, convener, member department codes)
JOINT_MEETINGS = [
    ("tonghua", "通化市“英才卡”联席会议", "第十七条", "org-dept", "市人社局主要负责同志",
     ["org-dept", "hr-bureau", "service-center", "finance-bureau", "public-security-bureau", "health-commission",
      "education-bureau", "culture-tourism-bureau"]),
    ("chuxiong", "“兴楚惠才卡”部门联席会议", "第八条", "talent-office", "州委人才工作领导小组办公室负责同志",
     ["talent-office", "hr-bureau", "housing-bureau", "medical-security-bureau", "housing-fund", "tax-bureau", "bank"]),
    ("liaocheng", "市高层次人才服务绿色通道联席会议", "第三十五条", "org-dept", "市人力资源社会保障局",
     ["org-dept", "hr-bureau", "talent-office", "public-security-bureau", "education-bureau", "health-commission",
      "housing-bureau", "medical-security-bureau"]),
]
LIAISON_NAMES = ["王建国", "李红梅", "张卫东", "刘晓燕", "陈志强", "杨丽华", "赵文博", "孙海涛", "周静", "吴国庆"]


def _phone(prefix, i):
    return f"{prefix}-{8100000 + i * 137:07d}"


AREA_CODES = {"tonghua": "0435", "chuxiong": "0878", "liaocheng": "0635"}


def _user(username, password, department, role=Role.REVIEWER):
    User = get_user_model()
    from casefiles.demo import demo_person_name

    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        last, first = demo_person_name(username)
        user = User.objects.create(username=username, is_staff=True, email=f"{username}@example.org", last_name=last,
                                   first_name=first)
    if created:
        user.set_password(password)
        user.save()
    Membership.objects.update_or_create(user=user, department=department, defaults={"role": role})
    user.groups.add(department.group)
    return user


def _office_user(scheme):
    User = get_user_model()
    for code in ("talent-office", "org-dept", "hr-bureau"):
        user = User.objects.filter(username=f"{scheme.slug}.{code}").first()
        if user is not None:
            return user
    return User.objects.filter(is_superuser=True).first()


@transaction.atomic
def load_programmes(password=None, stdout=None):
    password = password or DEFAULT_DEMO_PASSWORD
    today = timezone.localdate()
    for slug, name, article, lead, convener, codes in JOINT_MEETINGS:
        scheme = Scheme.objects.filter(slug=slug).first()
        if scheme is None:
            continue
        departments = {d.code: d for d in scheme.departments.all()}
        body = JointMeeting.objects.filter(scheme=scheme).first() or services.joint_meeting_ensure(
            scheme=scheme, name=name, article=article, lead_department=departments.get(lead), convener=convener
        )
        for i, code in enumerate(c for c in codes if c in departments):
            if not body.members.filter(department=departments[code]).exists():
                services.member_save(joint_meeting=body, department=departments[code], order=i,
                                     liaison_name=LIAISON_NAMES[i % len(LIAISON_NAMES)], liaison_title="业务科室负责人",
                                     liaison_office_phone=_phone(AREA_CODES[slug], i))
        if not body.meetings.exists():
            office = _office_user(scheme)
            meeting = services.meeting_schedule(joint_meeting=body, user=office, title=f"{today.year}年第一次{name}",
                                                date=today - datetime.timedelta(days=7), location="市委组织部第一会议室")
            dossier = Dossier.objects.filter(scheme=scheme, state__outgoing__role=TransitionRole.MEETING_DECISION).order_by("pk").first()
            if dossier is not None:
                item = services.agenda_item_add(meeting=meeting, user=office, kind=AgendaKind.CASE_BY_CASE, dossier=dossier)
                services.agenda_item_decide(item=item, user=office, outcome=DecisionOutcome.DEFERRED,
                                            decision_text="请用人单位补充近三年业绩材料后提交下次会议研究。")
            services.agenda_item_add(meeting=meeting, user=office, kind=AgendaKind.OTHER, title="通报服务事项落实情况")
            services.meeting_minutes_record(
                meeting=meeting, user=office, attendees=list(body.members.all()),
                minutes=f"会议由{convener}主持，各成员单位联络人参加。\n会议听取了{scheme.name}服务事项落实情况的汇报。\n"
                        "会议要求各成员单位对照办法制定实施方案，确保各项服务落实到位。",
            )
    _load_liaocheng(password, today)
    if stdout:
        stdout.write(f"  joint meetings: {JointMeeting.objects.count()}, commissioners: {ServiceCommissioner.objects.count()}, "
                     f"feedback: {Feedback.objects.count()}")


def _load_liaocheng(password, today):
    scheme = Scheme.objects.filter(slug="liaocheng").first()
    if scheme is None:
        return
    departments = {d.code: d for d in scheme.departments.all()}
    # Staff of two responsible units, so their feedback queues have someone to answer.
    for code in ("public-security-bureau", "health-commission"):
        _user(f"liaocheng.{code}", password, departments[code])
    if not ServiceCommissioner.objects.filter(scheme=scheme).exists():
        employer = Department.objects.filter(jurisdiction=scheme.jurisdiction, kind=DepartmentKind.EMPLOYER).order_by("pk").first()
        rows = [
            ("赵明远", "hr-bureau", "人才服务科科长", CommissionerScope.DEPARTMENT, employer),
            ("钱晓丽", "hr-bureau", "高层次人才服务窗口", CommissionerScope.DEPARTMENT, None),
            ("孙志刚", "public-security-bureau", "户政科", CommissionerScope.DEPARTMENT, None),
            ("李雪", "health-commission", "医政科", CommissionerScope.DEPARTMENT, None),
        ]
        for i, (name, code, position, scope, served) in enumerate(rows):
            services.commissioner_save(commissioner=ServiceCommissioner(
                scheme=scheme, name=name, unit=departments[code], position=position, office_phone=_phone("0635", 20 + i),
                personal_phone=f"1390635{1000 + i:04d}", scope=scope, served_department=served, order=i,
            ), user=None)
        card = Card.objects.filter(scheme=scheme, status=CardStatus.ACTIVE).order_by("pk").first()
        if card is not None:
            services.commissioner_save(commissioner=ServiceCommissioner(
                scheme=scheme, name="周海燕", unit=departments["hr-bureau"], position="一对一服务专员",
                office_phone=_phone("0635", 30), personal_phone="13906359999", scope=CommissionerScope.HOLDER,
                holder_card=card, order=10,
            ), user=None)
    if not Feedback.objects.filter(scheme=scheme).exists():
        User = get_user_model()
        holder = Card.objects.filter(scheme=scheme, status=CardStatus.ACTIVE).order_by("pk").values_list("holder", flat=True).first()
        submitters = [u for u in (User.objects.filter(pk=holder).first(), User.objects.filter(username="liaocheng.employer").first()) if u]
        items = [("7", "complaint", "到派出所办理落户时窗口说需要再等一个月，和绿色通道的规定不一致。"),
                 ("16", "question", "子女入学的绿色通道需要提前多久申请？需要哪些材料？"),
                 ("19", "suggestion", "建议在市人民医院设置人才卡专用挂号窗口，并在网上公布。")]
        for i, (ref, kind, text) in enumerate(items):
            item = ServiceItem.objects.filter(scheme=scheme, ref=ref).first()
            if item is not None and submitters:
                services.feedback_submit(user=submitters[i % len(submitters)], service_item=item, kind=kind, text=text)
    if not ServiceChangeRequest.objects.filter(scheme=scheme).exists():
        office = get_user_model().objects.filter(username="liaocheng.hr-bureau").first()
        approver = get_user_model().objects.filter(username="liaocheng.talent-office").first()
        if office is None:
            return
        tiers = list(scheme.tiers.filter(code__in=["A", "B"]))
        change = services.service_change_submit(
            user=office, scheme=scheme, ref="39.1", article="第三十九条",
            title="人才公寓拎包入住", category="housing", time_limit_working_days=10,
            text="A卡、B卡持卡人可申请入住市级人才公寓，首年免收租金，自受理之日起10个工作日内安排入住。",
            tiers=tiers, responsible_units=[departments["housing-bureau"]], reason="落实人才安居工程，丰富绿色通道服务内容。",
        )
        if approver is not None:
            services.service_change_approve(change=change, user=approver, comment="同意，向社会公布。")
