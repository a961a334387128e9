"""Import of a list of holders named by the scheme's office (楚雄 第四条: the first batch of holders).

Step 1, :func:`registry_parse`, reads the uploaded spreadsheet and validates every row against the scheme
(nothing is written). Step 2, :func:`registry_import`, writes all rows in one transaction: an applicant
account, a dossier through ``dossier_create``, then :func:`dossier_import_issued` records the direct
recognition (no workflow transition is faked) and issues the card through ``card_issue``.
"""

import datetime
import hashlib
import io

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import CaseFileError, TransitionDenied
from ..masking import mask_id_number, resident_id_checksum_ok
from ..models import Card, Criterion, Department, DepartmentKind, IdType, Tier
from .cards import LIVE_STATUSES
from .dossiers import dossier_create
from .journal import journal_write

HEADERS = ["姓名", "证件类型", "证件号码", "手机号码", "工作单位", "卡级", "认定条件编号", "有效期至"]
FIELDS = ["applicant_name", "id_type", "id_number", "phone", "employer", "tier", "criterion", "valid_until"]
IMPORT_KINDS = (DepartmentKind.TALENT_OFFICE, DepartmentKind.ORG_DEPT, DepartmentKind.HR_BUREAU)
MAX_ROWS = 2000
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED = 50 * 1024 * 1024
ID_TYPES = {
    "居民身份证": IdType.RESIDENT_ID,
    "身份证": IdType.RESIDENT_ID,
    "护照": IdType.PASSPORT,
    "港澳台居民居住证": IdType.HK_MACAO_TAIWAN,
    "港澳居民来往内地通行证": IdType.HK_MACAO_TAIWAN,
    "台湾居民来往大陆通行证": IdType.HK_MACAO_TAIWAN,
    "外国人永久居留身份证": IdType.FOREIGNER_PR,
}


def file_hash(content):
    return hashlib.sha256(content).hexdigest()


def holder_username(id_number):
    """The applicant account of an imported holder: derived from a hash of the ID number (no personal data)."""
    digest = hashlib.sha256(id_number.strip().upper().encode()).hexdigest()[:20]
    return f"holder-{digest}"


def import_department(user, scheme):
    """The department (talent office, organisation department or HR bureau of the scheme) in whose name
    ``user`` imports holders, or None."""
    if not user.is_authenticated:
        return None
    return (
        Department.objects.filter(schemes=scheme, kind__in=IMPORT_KINDS, group__user=user).order_by("pk").first()
    )


def schemes_importable_by(user):
    from ..models import Scheme

    if not user.is_authenticated:
        return Scheme.objects.none()
    return Scheme.objects.filter(departments__kind__in=IMPORT_KINDS, departments__group__user=user).distinct().order_by("slug")


def template_workbook():
    from ..registry import _workbook

    return _workbook("导入名单", HEADERS, [], [12, 14, 22, 14, 30, 10, 14, 12])


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def read_rows(content):
    """The data rows of the first sheet as lists of text, with their spreadsheet row numbers.
    Raises CaseFileError when the file is not a spreadsheet with the expected headers."""
    from openpyxl import load_workbook

    from .attachments import zip_check

    if len(content) > MAX_FILE_BYTES:
        raise CaseFileError(_("The file is larger than 10 MB."), code="too_large")
    # An .xlsx is a ZIP: its directory is checked (zip bomb) before openpyxl inflates anything.
    names = zip_check(content, max_total=MAX_UNCOMPRESSED)
    if names is None or "xl/workbook.xml" not in names:
        raise CaseFileError(_("The file is not an .xlsx spreadsheet."), code="file")
    try:
        # Formulas are read as their text (data_only=False) so that a formula cell is refused, never
        # replaced by a cached value the file's author chose.
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - any unreadable upload is the same user error
        raise CaseFileError(_("The file is not an .xlsx spreadsheet."), code="file") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_text(v) for v in next(rows, [])]
    missing = [h for h in HEADERS[:-1] if h not in header]
    if missing:
        raise CaseFileError(_("Missing columns: %(columns)s") % {"columns": "、".join(missing)}, code="headers")
    index = {h: header.index(h) for h in HEADERS if h in header}
    found = []
    for number, values in enumerate(rows, start=2):
        values = list(values)
        cells = [_text(values[index[h]]) if h in index and index[h] < len(values) else "" for h in HEADERS]
        if not any(cells):
            continue
        found.append((number, dict(zip(FIELDS, cells, strict=True))))
        if len(found) > MAX_ROWS:
            raise CaseFileError(_("At most %(max)s rows can be imported at once.") % {"max": MAX_ROWS}, code="too_many")
    return found


def _parse_date(text):
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


COLUMN_LABELS = dict(zip(FIELDS, HEADERS, strict=True))
MAX_CELL_LENGTHS = {"applicant_name": 100, "id_type": 30, "id_number": 40, "phone": 30, "employer": 200,
                    "tier": 60, "criterion": 30, "valid_until": 30}


def _text_problems(raw):
    """Cells that are formulas, hold control characters or are too long: refused before anything else."""
    from ..validation import has_control_characters, looks_like_formula

    problems = []
    for field, value in raw.items():
        column = COLUMN_LABELS[field]
        # A phone number may start with +86; it must be digits anyway (checked below).
        if field != "phone" and looks_like_formula(value):
            problems.append(_("%(column)s is a formula or starts with = + - @; enter plain text") % {"column": column})
        elif has_control_characters(value):
            problems.append(_("%(column)s contains control characters") % {"column": column})
        elif len(value) > MAX_CELL_LENGTHS[field]:
            problems.append(_("%(column)s is longer than %(max)s characters") % {"column": column, "max": MAX_CELL_LENGTHS[field]})
    return problems


def validate_rows(scheme, raw_rows):
    """Check every row; returns (rows, errors). ``rows`` are the cleaned rows (JSON-serialisable, with the
    ids of tier, criterion and employer); ``errors`` are messages “第N行：…”."""
    from ..validation import dates_problem

    tiers = list(Tier.objects.filter(scheme=scheme))
    criteria = {c.ref: c for c in Criterion.objects.filter(scheme=scheme)}
    employers = {
        d.name: d
        for d in Department.objects.filter(jurisdiction=scheme.jurisdiction, kind=DepartmentKind.EMPLOYER)
    }
    today = timezone.localdate()
    seen = {}
    numbers = [r["id_number"].upper() for _n, r in raw_rows if r["id_number"]]
    holding = set(
        Card.objects.filter(scheme=scheme, status__in=LIVE_STATUSES, dossier__id_number__in=numbers)
        .values_list("dossier__id_number", flat=True)
    )
    holding = {n.upper() for n in holding}
    cleaned, errors = [], []
    for number, raw in raw_rows:
        problems = _text_problems(raw)
        if problems:
            errors.append(f"第{number}行：" + "；".join(problems))
            continue
        name = raw["applicant_name"]
        if not name:
            problems.append("姓名为空")
        id_type = ID_TYPES.get(raw["id_type"] or "居民身份证") or (raw["id_type"] if raw["id_type"] in IdType.values else None)
        if id_type is None:
            problems.append(f"证件类型“{raw['id_type']}”无法识别")
        id_number = raw["id_number"].upper()
        if not id_number:
            problems.append("证件号码为空")
        elif id_type == IdType.RESIDENT_ID and not resident_id_checksum_ok(id_number):
            problems.append(f"身份证号码{mask_id_number(id_number)}校验位不正确")
        if id_number:
            if id_number in seen:
                problems.append(f"证件号码与第{seen[id_number]}行重复")
            else:
                seen[id_number] = number
            if id_number in holding:
                problems.append("该证件号码已持有本卡种的有效人才卡")
        phone = raw["phone"]
        if not phone.replace("-", "").replace("+", "").replace(" ", "").isdigit() or len(phone) < 7:
            problems.append("手机号码无效")
        employer = employers.get(raw["employer"])
        if employer is None:
            problems.append(f"工作单位“{raw['employer']}”不是本地已登记的用人单位")
        tier = next((t for t in tiers if raw["tier"] and raw["tier"] in (t.code, t.name)), None)
        if tier is None:
            problems.append(f"卡级“{raw['tier']}”不存在")
        criterion = criteria.get(raw["criterion"])
        if criterion is None:
            problems.append(f"认定条件编号“{raw['criterion']}”不存在")
        elif tier is not None and criterion.tier_id != tier.pk:
            problems.append(f"认定条件{criterion.ref}不属于{tier.name}")
        valid_until = None
        if raw["valid_until"]:
            valid_until = _parse_date(raw["valid_until"])
            if valid_until is None:
                problems.append(f"有效期至“{raw['valid_until']}”不是日期")
            elif valid_until < today:
                problems.append("有效期至早于今天")
            else:
                # The date becomes the dossier's contract end: the check dossier_create makes at the write step.
                dated = dates_problem({"contract_end": valid_until})
                if dated:
                    problems.append(f"{COLUMN_LABELS['valid_until']}：{dated[1]}")
        if problems:
            errors.append(f"第{number}行：" + "；".join(problems))
            continue
        cleaned.append({
            "row": number, "applicant_name": name, "id_type": id_type, "id_number": id_number, "phone": phone,
            "employer": employer.pk, "employer_name": employer.name, "tier": tier.pk, "tier_name": tier.name,
            "criterion": criterion.pk, "criterion_ref": criterion.ref,
            "valid_until": valid_until.isoformat() if valid_until else "",
        })
    return cleaned, errors


def registry_parse(*, scheme, content):
    """Step 1: parse and validate the file; nothing is written. Returns (rows, errors, total)."""
    raw_rows = read_rows(content)
    if not raw_rows:
        raise CaseFileError(_("The file has no rows to import."), code="empty")
    rows, errors = validate_rows(scheme, raw_rows)
    return rows, errors, len(raw_rows)


def _applicant_for(id_number):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=holder_username(id_number))
    if created:
        user.set_unusable_password()
        user.save()
    return user


@transaction.atomic
def dossier_import_issued(*, dossier, user, note, department=None):
    """Record a holder named on the office's list as directly recognised: the dossier enters the scheme's
    ``issued`` state with an opinion “名单导入”, the journal says so, grants follow, the card is issued."""
    from ..models import Dossier

    if department is None:
        department = import_department(user, dossier.scheme)
        if department is None:
            raise TransitionDenied(_("Only the talent office, organisation department or HR bureau may import holders."))
    from ..actions.transition import TransitionAction
    from ..models import WorkflowTransition

    dossier = Dossier.objects.select_related("scheme", "state").get(pk=dossier.pk)
    scheme = dossier.scheme
    # The import is the scheme's card-issuing step taken from the draft, in the importing department's name: a
    # step of its own (not in the scheme's workflow, never offered), written by the one transition action.
    issuing = scheme.transitions.filter(issues_card=True).select_related("target").order_by("order").first()
    step = WorkflowTransition(scheme=scheme, code="registry_import", name="名单导入", target=issuing.target, by=department.code,
                              issues_card=True, four_eyes=False)
    step._source_ids = {dossier.state_id}
    updated = TransitionAction(dossier, step, user, comment=note or "", skip_permission_checks=True, acting_as=department.code,
                               department=department, journal_action="casefiles.dossier.import").execute()
    card = updated.issued_card
    return card


@transaction.atomic
def registry_import(*, scheme, user, rows, note=""):
    """Step 2: write all validated rows in one transaction; returns the cards. The rows are validated again
    here (a second run of the same file fails: its holders already have active cards)."""
    from ..models import Scheme

    department = import_department(user, scheme)
    if department is None:
        raise TransitionDenied(_("Only the talent office, organisation department or HR bureau may import holders."))
    # One import per scheme at a time: a second run of the same file waits, then fails validation below.
    Scheme.objects.select_for_update().filter(pk=scheme.pk).first()
    raw = [(r["row"], {f: (str(r.get(f + "_name", "")) if f in ("employer", "tier") else str(r.get(f) or ""))
                       for f in FIELDS}) for r in rows]
    for (_n, values), r in zip(raw, rows, strict=True):
        values["criterion"] = r.get("criterion_ref", "")
    cleaned, errors = validate_rows(scheme, raw)
    if errors:
        raise CaseFileError(" ".join(errors), code="rows")
    if not cleaned:
        raise CaseFileError(_("The file has no rows to import."), code="empty")
    note = note or f"{scheme.name}人才名单导入"
    cards = []
    for row in cleaned:
        tier = Tier.objects.get(pk=row["tier"])
        valid_until = datetime.date.fromisoformat(row["valid_until"]) if row["valid_until"] else None
        dossier = dossier_create(
            applicant=_applicant_for(row["id_number"]), scheme=scheme, requested_tier=tier,
            criteria=[Criterion.objects.get(pk=row["criterion"])], facts={"registry_import": True},
            employer=Department.objects.get(pk=row["employer"]),
            applicant_name=row["applicant_name"], id_type=row["id_type"], id_number=row["id_number"], phone=row["phone"],
            contract_end=valid_until,
        )
        card = dossier_import_issued(dossier=dossier, user=user, note=note, department=department)
        if valid_until and card.valid_until != valid_until:
            card.valid_until = valid_until
            card.save(update_fields=["valid_until"])
        cards.append(card)
    journal_write(action="casefiles.registry.import", actor=user, department=department,
                  data={"scheme": scheme.slug, "count": len(cards), "cards": [c.number for c in cards]})
    return cards
