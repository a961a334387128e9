"""Personal-data rights of a holder under PIPL (《个人信息保护法》 第四十五条 access/copy, 第四十七条 erasure).

:func:`holder_export` writes everything the system holds about one person into a zip under
``PRIVATE_ROOT/exports/`` (never under media/); :func:`holder_erase` anonymises that person's dossiers,
cards and account once retention allows. The journal is kept whole: it is the audit trail, it stores no
raw identity data (``journal_write`` masks it) and it must still verify after an erasure. Both are journaled.

A person is named by an ID number (all dossiers declaring it) or by an account (username or pk: the
dossiers it applied with and the cards it holds).
"""

import datetime
import hashlib
import hmac
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from search import outbox

from ..exceptions import CaseFileError
from ..masking import mask_id_number, mask_name, scrub_text
from ..models import (
    Card,
    CardStatus,
    Dossier,
    JournalEntry,
    Notification,
    NoticeObjection,
    Opinion,
    SmsOutbox,
    StateKind,
)
from .journal import journal_write
from .locks import lock_dossiers

ERASED_NAME = "（已删除）"
LIVE_CARD_STATUSES = (CardStatus.ACTIVE, CardStatus.SUSPENDED, CardStatus.CONTACT_LIST)


class ErasureRefused(CaseFileError):
    pass


@dataclass
class Person:
    """Everything that identifies one person: their dossiers, cards and (when only theirs) account."""

    label: str
    dossiers: list = field(default_factory=list)
    cards: list = field(default_factory=list)
    accounts: list = field(default_factory=list)

    @property
    def id_numbers(self):
        return sorted({d.id_number for d in self.dossiers if d.id_number})

    @property
    def names(self):
        return sorted({d.applicant_name for d in self.dossiers if d.applicant_name} |
                      {c.holder_name for c in self.cards if c.holder_name})

    @property
    def phones(self):
        return sorted({d.phone for d in self.dossiers if d.phone} | {a.phone for a in phone_accounts(self.accounts)})

    @property
    def emails(self):
        return sorted({d.email for d in self.dossiers if d.email} | {u.email for u in self.accounts if u.email})


def phone_accounts(accounts):
    """The mobile numbers the accounts sign in with (phoneauth, when installed)."""
    from django.apps import apps

    if not accounts or not apps.is_installed("phoneauth"):
        return []
    from phoneauth.models import PhoneAccount

    return list(PhoneAccount.objects.filter(user__in=accounts).order_by("pk"))


def erased_token(value):
    """A keyed hash standing in for an erased identifier: equal inputs still match, the value is gone."""
    digest = hmac.new(settings.SECRET_KEY.encode(), (value or "").strip().upper().encode(), hashlib.sha256).hexdigest()
    return f"erased-{digest[:24]}"


def person_find(who):
    """The person named by an 18-digit (or other) ID number, a username or an account pk."""
    User = get_user_model()
    who = (who or "").strip()
    if not who:
        raise CaseFileError(_("Name a person by ID number or account."), code="person")
    account = User.objects.filter(username=who).first()
    if account is None and who.isdigit() and len(who) < 12:
        account = User.objects.filter(pk=int(who)).first()
    if account is not None:
        dossiers = Dossier.objects.filter(applicant=account)
        cards = Card.objects.filter(Q(holder=account) | Q(dossier__applicant=account))
        label = f"account {account.pk}"
    else:
        dossiers = Dossier.objects.filter(id_number__iexact=who)
        cards = Card.objects.filter(dossier__in=dossiers)
        label = f"ID {mask_id_number(who)}"
    dossiers = list(dossiers.select_related("scheme", "state", "applicant").order_by("pk"))
    cards = list(cards.select_related("scheme", "dossier").distinct().order_by("pk"))
    if not dossiers and not cards:
        raise CaseFileError(_("No data is held about this person."), code="person")
    if account is not None:
        accounts = [account]
    else:
        # An account is this person's only when every dossier it applied with declares this ID number.
        accounts = []
        for user in {d.applicant for d in dossiers}:
            others = Dossier.objects.filter(applicant=user).exclude(id_number__iexact=who).exists()
            if not others:
                accounts.append(user)
    return Person(label=label, dossiers=dossiers, cards=cards, accounts=sorted(accounts, key=lambda u: u.pk))


# --------------------------------------------------------------------------- export


def _row(obj, exclude=()):
    values = {}
    for f in obj._meta.concrete_fields:
        if f.name in exclude:
            continue
        value = getattr(obj, f.attname)
        if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
            value = value.name
        values[f.name] = value
    return values


def _dossier_export(dossier):
    data = _row(dossier)
    data.update({
        "scheme": dossier.scheme.name,
        "state": dossier.state.name,
        "criteria": list(dossier.criteria.values_list("ref", flat=True)),
        "opinions": [
            {"time": o.created_at, "transition": o.transition, "decision": o.decision, "from": o.from_state.name,
             "to": o.to_state.name, "department": o.department.name if o.department_id else "", "comment": o.comment,
             "article": o.article}
            for o in dossier.opinions.select_related("from_state", "to_state", "department")
        ],
        "attachments": [
            {"id": a.pk, "kind": a.kind, "file_name": a.original_name, "content_type": a.content_type, "size": a.size,
             "sha256": a.sha256, "uploaded_at": a.uploaded_at, "bundle_path": f"attachments/{a.pk}-{a.original_name}"}
            for a in dossier.attachments.all()
        ],
        "objections": [
            # The objector is another person: only what was said about this one and how it ended.
            {"received_on": o.received_on, "content": o.content, "status": o.status, "resolution": o.resolution}
            for o in dossier.objections.all()
        ],
        "journal": [
            {"id": e.pk, "time": e.created_at, "action": e.action, "data": e.data}
            for e in JournalEntry.objects.filter(dossier=dossier).order_by("pk")
        ],
    })
    return data


def _card_export(card):
    data = _row(card, exclude=("verification_token",))
    data.update({
        "scheme": card.scheme.name,
        "tier": card.tier.name,
        "events": [
            {"time": e.created_at, "kind": e.kind, "article": e.article, "comment": e.comment, "data": e.data,
             "effective_on": e.effective_on}
            for e in card.events.all()
        ],
        "revocation_requests": [
            {"time": r.created_at, "reason": r.reason.article, "comment": r.comment, "status": r.status,
             "decision_comment": r.decision_comment}
            for r in card.revocation_requests.select_related("reason")
        ],
        "assessments": [
            {"assessed_on": a.assessed_on, "result": a.result, "summary": a.summary} for a in card.assessments.all()
        ],
    })
    return data


def _account_export(user):
    return {
        "id": user.pk, "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
        "email": user.email, "date_joined": user.date_joined, "last_login": user.last_login, "is_active": user.is_active,
        "phone_sign_in": [{"phone": a.phone, "verified_at": a.verified_at} for a in phone_accounts([user])],
        "notifications": [
            {"time": n.created_at, "subject": n.subject, "body": n.body, "event": n.event, "read_at": n.read_at}
            for n in Notification.objects.filter(recipient=user).order_by("pk")
        ],
    }


def export_root():
    return Path(getattr(settings, "HUICAI_EXPORT_ROOT", "") or Path(settings.PRIVATE_ROOT) / "exports")


def holder_export(*, who, actor=None, reason="", directory=None):
    """Write a zip (data.json + attachment files) of everything held about the person; returns its path."""
    person = person_find(who)
    sms = SmsOutbox.objects.filter(phone__in=person.phones).order_by("pk") if person.phones else []
    bundle = {
        "generated_at": timezone.now(),
        "person": person.label,
        "legal_basis": "《中华人民共和国个人信息保护法》第四十五条",
        "accounts": [_account_export(u) for u in person.accounts],
        "dossiers": [_dossier_export(d) for d in person.dossiers],
        "cards": [_card_export(c) for c in person.cards],
        "sms": [{"time": s.created_at, "phone": s.phone, "text": s.text} for s in sms],
    }
    directory = Path(directory) if directory else export_root()
    media = Path(settings.MEDIA_ROOT).resolve()
    if directory.resolve() == media or media in directory.resolve().parents:
        raise CaseFileError(_("A personal-data export must not be written under the public media directory."))
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    path = directory / f"holder-{erased_token(person.label)[7:19]}-{stamp}.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(bundle, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for dossier in person.dossiers:
            for attachment in dossier.attachments.all():
                try:
                    with attachment.file.open("rb") as handle:
                        archive.writestr(f"attachments/{attachment.pk}-{attachment.original_name}", handle.read())
                except FileNotFoundError:
                    archive.writestr(f"attachments/{attachment.pk}-MISSING.txt", "file missing from storage")
    path.write_bytes(buffer.getvalue())
    path.chmod(0o600)
    journal_write(action="casefiles.privacy.export", actor=actor,
                  data={"person": person.label, "dossiers": [d.reference for d in person.dossiers],
                        "cards": [c.number for c in person.cards], "reason": reason,
                        "sha256": hashlib.sha256(buffer.getvalue()).hexdigest()})
    return path


# --------------------------------------------------------------------------- erasure


def erasure_blockers(person):
    """Why the retention period does not yet allow erasure (empty when it does)."""
    blockers = []
    for dossier in person.dossiers:
        if dossier.state.kind != StateKind.END:
            blockers.append(_("Dossier %(ref)s is still open (%(state)s).") % {"ref": dossier.reference, "state": dossier.state.name})
    for card in person.cards:
        if card.status in LIVE_CARD_STATUSES:
            blockers.append(_("Card %(number)s is still valid.") % {"number": card.number})
    return blockers


def _scrubber(person):
    """A function replacing the person's name, ID and phone numbers and e-mail anywhere in a text."""
    literals = [v for v in person.id_numbers + person.phones + person.emails if v]
    literals += [n for n in person.names if len(n) >= 2]
    literals.sort(key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(v) for v in literals), re.IGNORECASE) if literals else None

    def scrub(text):
        if not text or not isinstance(text, str):
            return text
        if pattern is not None:
            text = pattern.sub(ERASED_NAME, text)
        return scrub_text(text)

    scrub.literals = literals

    def scrub_json(value):
        if isinstance(value, dict):
            return {k: scrub_json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub_json(v) for v in value]
        return scrub(value) if isinstance(value, str) else value

    return scrub, scrub_json


@transaction.atomic
def holder_erase(*, who, actor=None, force=False, reason=""):
    """Anonymise everything identifying the person; the journal is kept and records the erasure.

    Refused while a dossier is open or a card valid, unless ``force`` with a ``reason``."""
    person = person_find(who)
    blockers = erasure_blockers(person)
    if blockers and not force:
        raise ErasureRefused(" ".join([_("The retention period does not allow erasure yet:"), *blockers]), code="retention")
    if force and not (reason or "").strip():
        raise ErasureRefused(_("A forced erasure needs a reason."), code="reason")
    scrub, scrub_json = _scrubber(person)
    dossiers = lock_dossiers(d.pk for d in person.dossiers)
    masked_names = sorted({mask_name(n) for n in person.names})
    files_deleted, stored = 0, []
    for dossier in dossiers:
        for attachment in dossier.attachments.all():
            stored.append((attachment.file.storage, attachment.file.name))
            files_deleted += 1
        dossier.attachments.all().delete()
        dossier.documents.all().delete()  # their titles and issuers may name the person too
        dossier.applicant_name = ERASED_NAME
        dossier.id_number = erased_token(dossier.id_number)
        dossier.phone = ""
        dossier.email = ""
        dossier.birth_date = None
        dossier.facts = scrub_json(dossier.facts)
        dossier.missing_items = scrub(dossier.missing_items)
        dossier.deadline_problem = scrub(dossier.deadline_problem)
        dossier.save()
        for opinion in Opinion.objects.filter(dossier=dossier):
            opinion.comment, opinion.minutes = scrub(opinion.comment), scrub(opinion.minutes)
            opinion.save(update_fields=["comment", "minutes"])
        for objection in NoticeObjection.objects.filter(dossier=dossier):
            objection.content, objection.resolution = scrub(objection.content), scrub(objection.resolution)
            objection.save(update_fields=["content", "resolution"])
        outbox.enqueue("dossier", dossier.pk)
    for card in Card.objects.select_for_update().filter(pk__in=[c.pk for c in person.cards]):
        card.holder_name = ERASED_NAME
        card.particulars = {}
        card.save(update_fields=["holder_name", "particulars"])
        for event in card.events.all():
            event.comment, event.data = scrub(event.comment), scrub_json(event.data)
            event.save(update_fields=["comment", "data"])
        for request in card.revocation_requests.all():
            request.comment, request.decision_comment = scrub(request.comment), scrub(request.decision_comment)
            request.save(update_fields=["comment", "decision_comment"])
        for assessment in card.assessments.all():
            assessment.summary = scrub(assessment.summary)
            assessment.save(update_fields=["summary"])
        outbox.enqueue("card", card.pk)
    if person.phones:
        SmsOutbox.objects.filter(phone__in=person.phones).delete()
    for account in person.accounts:
        Notification.objects.filter(recipient=account).delete()
    # Messages to others (employer contacts, reviewers) that name the person keep their text, less the person.
    mentions = Q()
    for literal in scrub.literals:
        mentions |= Q(subject__contains=literal) | Q(body__contains=literal)
    if scrub.literals:
        for notification in Notification.objects.filter(mentions):
            notification.subject, notification.body = scrub(notification.subject)[:200], scrub(notification.body)
            notification.save(update_fields=["subject", "body"])
    for phone_account in phone_accounts(person.accounts):  # the number they signed in with goes too
        phone_account.delete()
    for account in person.accounts:
        account.username = erased_token(f"user:{account.pk}:{account.username}")[:150]
        account.first_name = account.last_name = account.email = ""
        account.is_active = False
        account.set_unusable_password()
        account.save()
    # The files go once the rows are gone for good (a rolled-back erasure keeps them).
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in stored if name])
    journal_write(action="casefiles.privacy.erase", actor=actor,
                  data={"person": person.label, "names": masked_names,
                        "dossiers": [d.reference for d in person.dossiers], "cards": [c.number for c in person.cards],
                        "accounts": [u.pk for u in person.accounts], "attachments_deleted": files_deleted,
                        "forced": bool(blockers), "blockers": [scrub(b) for b in blockers], "reason": scrub(reason or ""),
                        "date": str(datetime.date.today())})
    return {"dossiers": len(dossiers), "cards": len(person.cards), "accounts": len(person.accounts),
            "attachments_deleted": files_deleted, "forced": bool(blockers)}
