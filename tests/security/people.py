"""A made-up person driven through a whole application, for the privacy, log and backup tests."""

import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from casefiles.demo_dossiers import DEMO_PNG, demo_facts
from casefiles.models import Department, DepartmentKind, Scheme
from casefiles.services.attachments import attachment_add
from casefiles.services.dossiers import dossier_create, dossier_transition, dossier_update
from casefiles.testing import DossierSketch, attach_required_materials, demo_user_for, resident_id, route_open_to


@dataclass
class Someone:
    username: str
    name: str
    id_number: str
    phone: str
    email: str
    new_phone: str


ALICE = Someone("privacy.alice", "欧阳晓岚", resident_id(random.Random(7), birth="19880315", area="371502"),
                "13912345678", "ouyang.xiaolan@example.cn", "15887654321")
BOB = Someone("privacy.bob", "司马青松", resident_id(random.Random(8), birth="19790701", area="371502"),
              "13698765432", "sima.qingsong@example.cn", "18611112222")


def staff(username):
    return get_user_model().objects.get(username=username)


def _direct_route(scheme):
    """(tier, criterion) of the first criterion the scheme lets take approve_direct (第三十二条第（一）项)."""
    direct = scheme.transitions.get(code="approve_direct")
    for tier in scheme.tiers.order_by("rank"):
        for criterion in tier.criteria.order_by("order"):
            if route_open_to(DossierSketch(scheme, tier, [criterion], demo_facts(scheme)), direct):
                return tier, criterion
    raise LookupError("no criterion of the scheme takes approve_direct")


def start(person, slug="liaocheng"):
    """A draft with an attachment whose file name carries the person's name (as applicants name files)."""
    scheme = Scheme.objects.get(slug=slug)
    account, _created = get_user_model().objects.get_or_create(
        username=person.username, defaults={"email": person.email, "first_name": person.name})
    tier, criterion = _direct_route(scheme)
    employer = Department.objects.filter(jurisdiction=scheme.jurisdiction, kind=DepartmentKind.EMPLOYER).order_by("pk").first()
    dossier = dossier_create(
        applicant=account, scheme=scheme, requested_tier=tier, criteria=[criterion],
        facts=demo_facts(scheme), employer=employer, applicant_name=person.name, id_type="resident_id",
        id_number=person.id_number, nationality="中国", phone=person.phone, email=person.email,
    )
    upload = SimpleUploadedFile(f"{person.name}-获奖证书.png", DEMO_PNG, content_type="image/png")
    attachment_add(dossier=dossier, user=account, uploaded_file=upload, kind="other")
    attach_required_materials(dossier)  # the scheme's required materials, so that it can be submitted
    return dossier


def full_flow(person):
    """Draft → submitted → returned (comment naming the person and their phone) → phone changed →
    resubmitted → approved → card issued (liaocheng)."""
    dossier = start(person)
    account = dossier.applicant
    reviewer = staff("liaocheng.hr-bureau")
    dossier = dossier_transition(dossier=dossier, transition="submit", user=account)
    dossier = dossier_transition(dossier=dossier, transition="return", user=reviewer,
                                 comment=f"请{person.name}（{person.phone}）补充劳动合同复印件。")
    dossier = dossier_update(dossier=dossier, user=account, phone=person.new_phone)
    dossier = dossier_transition(dossier=dossier, transition="submit", user=account)
    dossier = dossier_transition(dossier=dossier, transition="approve_direct", user=reviewer)
    # four eyes (the scheme's setting): a colleague of the approving officer issues the card
    dossier = dossier_transition(dossier=dossier, transition="issue", user=demo_user_for(dossier, "hr-bureau"))
    return dossier


def needles(person):
    """The raw forms that must not survive: as stored by PostgreSQL and by SQLite's JSON (\\u escapes)."""
    import json

    raw = [person.name, person.id_number, person.phone, person.new_phone, person.email]
    escaped = [json.dumps(v)[1:-1] for v in raw]
    return sorted(set(raw + escaped))


def scan_database(values, connection=None):
    """{(table, column): [values found]} over every column of every table, cast to text."""
    from django.db import connection as default

    connection = connection or default
    find = "strpos(CAST({col} AS TEXT), %s) > 0" if connection.vendor == "postgresql" else "instr(CAST({col} AS TEXT), %s) > 0"
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            try:
                columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            except Exception:  # virtual tables (FTS5 shadows) without a description
                continue
            for column in columns:
                for value in values:
                    sql = f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} WHERE " + find.format(
                        col=connection.ops.quote_name(column))
                    cursor.execute(sql, [value])
                    if cursor.fetchone()[0]:
                        found.setdefault((table, column), []).append(value)
    return found
