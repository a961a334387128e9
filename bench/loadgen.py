"""Synthetic load: realistic Chinese names, employers, dates and states across the five schemes.

Rows are written in bulk (PostgreSQL COPY; bulk_create elsewhere) and the permission rows are derived
from each workflow state exactly as ``casefiles.permissions.desired_grants`` derives them, so worklists
and search see what they would see in production. Optionally the same grants are also written to
guardian's generic tables, to compare the two layouts in one run.
"""

import datetime
import io
import json
import random
import sys
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from casefiles.models import (
    Card,
    Department,
    DepartmentKind,
    Dossier,
    DossierGroupObjectPermission,
    DossierUserObjectPermission,
    Scheme,
    StateKind,
)
from casefiles.testing import GIVEN, SURNAMES, resident_id

EMPLOYER_WORDS = ["科技", "医药", "新材料", "智能制造", "生物", "电子", "能源", "农业", "教育", "文化", "汽车", "化工"]
EMPLOYER_KINDS = ["有限公司", "股份有限公司", "研究院", "医院", "学院", "集团"]


class Progress:
    def __init__(self, total, label, stream=sys.stderr):
        self.total, self.label, self.stream, self.start, self.done = total, label, stream, time.monotonic(), 0

    def add(self, n):
        self.done += n
        rate = self.done / max(time.monotonic() - self.start, 1e-6)
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {rate:,.0f}/s")
        self.stream.flush()
        if self.done >= self.total:
            self.stream.write("\n")


def _copy(table, columns, rows):
    """COPY rows into a table on PostgreSQL; returns the number of rows."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ") for v in row))
        buffer.write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)


def ensure_pool(rng, applicants, employers_per_scheme):
    User = get_user_model()
    existing = User.objects.filter(username__startswith="load.applicant.").count()
    password = make_password(None)
    if existing < applicants:
        User.objects.bulk_create(
            [User(username=f"load.applicant.{i:07d}", password=password) for i in range(existing, applicants)],
            batch_size=5000,
        )
    user_ids = list(User.objects.filter(username__startswith="load.applicant.").values_list("pk", flat=True)[:applicants])
    employers = {}
    for scheme in Scheme.objects.all():
        rows = list(Department.objects.filter(jurisdiction=scheme.jurisdiction, kind=DepartmentKind.EMPLOYER, code__startswith="load-"))
        for i in range(len(rows), employers_per_scheme):
            name = f"{scheme.jurisdiction.display_name}{rng.choice(SURNAMES)}{rng.choice(EMPLOYER_WORDS)}{rng.choice(EMPLOYER_KINDS)}{i}"
            dept = Department(jurisdiction=scheme.jurisdiction, code=f"load-{scheme.slug}-{i}", name=name, kind=DepartmentKind.EMPLOYER)
            dept.save()
            rows.append(dept)
        employers[scheme.pk] = rows
    return user_ids, employers


def state_templates(scheme):
    """Per state: list of (principal, codename) the workflow data grants."""
    templates = {}
    for state in scheme.states.all():
        grants = {(p, "view_dossier") for p in state.view or []}
        if state.actor:
            grants |= {(state.actor, "view_dossier"), (state.actor, "act_on_dossier")}
        templates[state.pk] = (state, sorted(grants))
    return templates


def generate(dossiers, cards=0, applicants=20000, employers_per_scheme=60, generic=False, seed=7, progress=True, batch=20000,
             open_weight=1):
    rng = random.Random(seed)
    user_ids, employers = ensure_pool(rng, applicants, employers_per_scheme)
    perms = {p.codename: p.pk for p in Permission.objects.filter(content_type__app_label="casefiles", codename__in=["view_dossier", "act_on_dossier"])}
    dossier_ct = ContentType.objects.get_for_model(Dossier).pk
    schemes = list(Scheme.objects.prefetch_related("states", "tiers", "departments"))
    info = []
    for scheme in schemes:
        departments = {d.code: d.group_id for d in scheme.departments.all()}
        authorities = [d for d in scheme.departments.all() if scheme.authority_kind and d.kind == scheme.authority_kind]
        # Realistic mix: over the years most dossiers are closed; about one in twelve is still open.
        weights = [(s, open_weight if s.kind != StateKind.END else 30) for s in scheme.states.all()]
        info.append((scheme, departments, authorities, state_templates(scheme), list(scheme.tiers.all()), weights))
    is_pg = connection.vendor == "postgresql"
    now = timezone.now()
    # Identities are drawn from a pre-made pool: computing check digits and names per row would make
    # the generator, not the database, the bottleneck.
    pool = [
        (
            rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            resident_id(rng, birth=f"19{rng.randint(60, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"),
            f"13{rng.randint(100000000, 999999999)}",
        )
        for _ in range(min(50000, max(1000, dossiers)))
    ]
    state_choice = {}
    for scheme_info in info:
        weights = scheme_info[5]
        state_choice[scheme_info[0].pk] = [w[0] for w in weights for _ in range(w[1])]
    start_seq = {}
    bar = Progress(dossiers, "dossiers") if progress else None
    made = 0
    year = now.year
    while made < dossiers:
        n = min(batch, dossiers - made)
        rows, grants_rows = [], []
        with transaction.atomic():
            with connection.cursor() as cursor:
                if is_pg:
                    cursor.execute("SELECT nextval(pg_get_serial_sequence('casefiles_dossier', 'id')) FROM generate_series(1, %s)", [n])
                    ids = [r[0] for r in cursor.fetchall()]
                else:
                    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM casefiles_dossier")
                    base = cursor.fetchone()[0]
                    ids = list(range(base + 1, base + n + 1))
            for pk in ids:
                scheme, departments, authorities, templates, tiers, weights = info[rng.randrange(len(info))]
                state = rng.choice(state_choice[scheme.pk])
                seq = start_seq.get(scheme.pk) or (Dossier.objects.filter(scheme=scheme, year=year).count())
                seq += 1
                start_seq[scheme.pk] = seq
                employer = rng.choice(employers[scheme.pk])
                authority = rng.choice(authorities) if authorities else None
                applicant = rng.choice(user_ids)
                created = now - datetime.timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 1440))
                due = (created + datetime.timedelta(days=14)).date() if state.kind == StateKind.STAGE else None
                created_iso = created.isoformat()
                name, id_number, phone = pool[rng.randrange(len(pool))]
                tier = rng.choice(tiers)
                rows.append((
                    pk, scheme.pk, scheme.reference_format.format(year=year, seq=seq + 100000) + f"-L{pk}", year, seq + 100000, applicant,
                    employer.pk, authority.pk if authority else None, tier.pk, None, json.dumps({"contract_years": 3}), state.pk,
                    name, "resident_id", id_number, "中国", phone, "", employer.sector, None, None,
                    created_iso, created_iso, created_iso, created_iso, due.isoformat() if due else None, "", "",
                ))
                for principal, codename in templates[state.pk][1]:
                    if principal == "applicant":
                        grants_rows.append(("user", applicant, perms[codename], pk))
                    elif principal == "employer":
                        grants_rows.append(("group", employer.group_id, perms[codename], pk))
                    elif principal == "authority":
                        if authority:
                            grants_rows.append(("group", authority.group_id, perms[codename], pk))
                    elif principal in departments:
                        grants_rows.append(("group", departments[principal], perms[codename], pk))
            columns = [
                "id", "scheme_id", "reference", "year", "sequence", "applicant_id", "employer_id", "authority_id", "requested_tier_id",
                "granted_tier_id", "facts", "state_id", "applicant_name", "id_type", "id_number", "nationality", "phone", "email",
                "sector", "birth_date", "contract_end", "created_at", "updated_at", "submitted_at", "state_entered_at", "due_date",
                "deadline_problem", "missing_items",
            ]
            group_rows = [(p, g, d) for kind, g, p, d in grants_rows if kind == "group"]
            user_rows = [(p, u, d) for kind, u, p, d in grants_rows if kind == "user"]
            if is_pg:
                _copy("casefiles_dossier", columns, rows)
                _copy("casefiles_dossiergroupobjectpermission", ["permission_id", "group_id", "content_object_id"], group_rows)
                _copy("casefiles_dossieruserobjectpermission", ["permission_id", "user_id", "content_object_id"], user_rows)
                if generic:
                    _copy("guardian_groupobjectpermission", ["permission_id", "group_id", "content_type_id", "object_pk"],
                          [(p, g, dossier_ct, d) for p, g, d in group_rows])
                    _copy("guardian_userobjectpermission", ["permission_id", "user_id", "content_type_id", "object_pk"],
                          [(p, u, dossier_ct, d) for p, u, d in user_rows])
            else:
                Dossier.objects.bulk_create([Dossier(**dict(zip(columns, r, strict=True))) for r in rows], batch_size=2000)
                DossierGroupObjectPermission.objects.bulk_create(
                    [DossierGroupObjectPermission(permission_id=p, group_id=g, content_object_id=d) for p, g, d in group_rows], batch_size=5000)
                DossierUserObjectPermission.objects.bulk_create(
                    [DossierUserObjectPermission(permission_id=p, user_id=u, content_object_id=d) for p, u, d in user_rows], batch_size=5000)
        made += n
        if bar:
            bar.add(n)
    if cards:
        issued = list(Dossier.objects.filter(state__code="issued").values_list("pk", "scheme_id", "requested_tier_id", "applicant_id", "applicant_name")[:cards])
        today = timezone.localdate()
        objs = [
            Card(scheme_id=s, dossier_id=d, number=f"LOAD{d:09d}", tier_id=t, holder_id=a, holder_name=n, valid_from=today,
                 valid_until=today + datetime.timedelta(days=rng.randint(-100, 1800)))
            for d, s, t, a, n in issued
        ]
        Card.objects.bulk_create(objs, batch_size=5000, ignore_conflicts=True)
    if is_pg:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE casefiles_dossier; ANALYZE casefiles_dossiergroupobjectpermission; ANALYZE casefiles_dossieruserobjectpermission;")
            if generic:
                cursor.execute("ANALYZE guardian_groupobjectpermission; ANALYZE guardian_userobjectpermission;")
    return made
