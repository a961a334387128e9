"""The journal of one dossier as sentences an officer reads (issue #19 item 2, "a case file that reads like one").

Each entry's action code and data become one translated sentence: who (department and the person's real name,
never a login), what, and the article the step applies where the entry carries one. States, transitions, tiers,
materials and departments are named from the dossier's scheme data, so a scheme's codes never reach the page;
an action this module does not know gets a neutral sentence, not its code. The raw entry stays available to
superusers only (the template shows it folded).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from .models import CardEventKind, Department, OpinionRequestStatus
from .permissions import ACT, VIEW
from .selectors_opinions import person_name


@dataclass
class JournalLine:
    entry: object  # the latest of ``entries``
    when: str
    sentence: str
    entries: list = field(default_factory=list)  # a run of the same reading by the same person, newest first


def when_text(value):
    """A date or datetime in the reader's language (年月日 in Chinese); "" for none."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return ""
    if isinstance(value, datetime):
        return date_format(
            timezone.localtime(value) if timezone.is_aware(value) else value, _("N j, Y, H:i")
        )  # 2026年12月4日 10:32 in zh-Hans
    return date_format(value, _("N j, Y"))


class _Names:
    """What the sentences name, read once per page from the dossier's scheme data."""

    def __init__(self, dossier, entries):
        scheme = dossier.scheme
        self.dossier = dossier
        self.states = dict(scheme.states.values_list("code", "name"))
        self.transitions = {t.code: t for t in scheme.transitions.all()}
        self.tiers = dict(scheme.tiers.values_list("code", "name"))
        self.departments = dict(scheme.departments.values_list("code", "name"))
        self.opinions = {str(o.pk): o for o in dossier.opinions.all()}
        self.documents = dict(dossier.documents.values_list("pk", "title"))
        group_ids = {
            g[1]
            for e in entries
            if e.action == "casefiles.grants.change"
            for g in (e.data.get("added") or []) + (e.data.get("removed") or [])
            if g and g[0] == "group"
        }
        user_ids = {
            g[1]
            for e in entries
            if e.action == "casefiles.grants.change"
            for g in (e.data.get("added") or []) + (e.data.get("removed") or [])
            if g and g[0] == "user"
        }
        self.groups = dict(Department.objects.filter(group_id__in=group_ids).values_list("group_id", "name"))
        self.users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)}

    def state(self, code):
        return self.states.get(code) or _("another stage")

    def department_list(self, codes):
        return _(", ").join(self.departments.get(c) or _("a department") for c in codes)


def actor_text(entry, dossier):
    """Department and real name of whoever wrote the entry: 白云区人社局 张三; 系统 for the system's own entries."""
    if entry.actor_id is None:
        return _("The system")
    if entry.actor_id == dossier.applicant_id:
        # the name the dossier was filed under (the page shows it above), not the account's
        if dossier.applicant_name:
            return _("The applicant %(name)s") % {"name": dossier.applicant_name}
        return _("The applicant")
    name = person_name(entry.actor) or _("A staff member")
    if entry.department_id:
        return f"{entry.department.name} {name}"
    return name


def _cite(sentence, article):
    return _("%(sentence)s (%(article)s)") % {"sentence": sentence, "article": article} if article else sentence


def _transition(entry, who, names):
    data = entry.data
    opinion = names.opinions.get(entry.object_id) if entry.object_type == "casefiles.opinion" else None
    step = names.transitions.get(entry.action.rsplit(".", 1)[-1])
    decision = opinion.decision if opinion else (step.name if step else "")
    article = opinion.article if opinion else (step.article if step else "")
    origin, target = names.state(data.get("from")), names.state(data.get("to"))
    if data.get("from") == data.get("to"):
        sentence = _("%(who)s: %(decision)s; the dossier stays at “%(to)s”") % {
            "who": who,
            "decision": decision,
            "to": target,
        }
    elif decision:
        sentence = _("%(who)s: %(decision)s, moving the dossier from “%(from)s” to “%(to)s”") % {
            "who": who,
            "decision": decision,
            "from": origin,
            "to": target,
        }
    else:
        sentence = _("%(who)s moved the dossier from “%(from)s” to “%(to)s”") % {
            "who": who,
            "from": origin,
            "to": target,
        }
    return _cite(sentence, article)


def _grants(entry, who, names):
    def principals(rows, codename):
        found = []
        for row in rows:
            kind, pk, perm = (list(row) + [None, None, None])[:3]
            if perm != codename:
                continue
            if kind == "group":
                label = names.groups.get(pk)
            elif pk == names.dossier.applicant_id:
                label = _("The applicant")
            else:
                label = person_name(names.users.get(pk)) or _("a staff member")
            if label and label not in found:
                found.append(label)
        return _(", ").join(found)

    parts = []
    added, removed = entry.data.get("added") or [], entry.data.get("removed") or []
    if acting := principals(added, ACT):
        parts.append(_("%(who)s may now act on the dossier") % {"who": acting})
    if seeing := principals(added, VIEW):
        parts.append(_("%(who)s may now see the dossier") % {"who": seeing})
    if lost := principals(removed, ACT):
        parts.append(_("%(who)s may no longer act on the dossier") % {"who": lost})
    if unseen := principals(removed, VIEW):
        parts.append(_("%(who)s may no longer see the dossier") % {"who": unseen})
    if not parts:
        return _("Access to the dossier was updated")
    return _("Access to the dossier was updated: %(changes)s") % {"changes": _("; ").join(parts)}


def _card(entry, who, names, kind):
    data = entry.data
    number = data.get("number") or ""
    if kind == "exit_candidate":
        sentence = _("Card %(number)s was listed for exit") % {"number": number}
    elif kind == "exit_candidate_to_confirm":
        sentence = _("Card %(number)s may meet an exit condition; to be confirmed") % {"number": number}
    elif kind == "exit_candidate_cleared":
        sentence = _("Card %(number)s is no longer listed for exit") % {"number": number}
    elif kind == "exit_candidate_dismiss":
        sentence = _("%(who)s decided that card %(number)s does not exit") % {"who": who, "number": number}
    elif kind == "produce":
        sentence = _("%(who)s sent the card to the bank for production (batch %(batch)s)") % {
            "who": who,
            "batch": data.get("batch") or "",
        }
    elif kind == "certificate_download":
        sentence = _("%(who)s downloaded the certificate of card %(number)s") % {"who": who, "number": number}
    elif kind == "refused":
        return _("%(who)s was refused the step: staff may not act on a matter of their own") % {"who": who}
    elif kind in ("production_batch", "production_export", "batch_certificates_download"):
        return _("%(who)s handled a card production batch") % {"who": who}
    elif kind in CardEventKind.values:
        sentence = _("%(who)s, card %(number)s: %(event)s") % {
            "who": who,
            "number": number,
            "event": CardEventKind(kind).label,
        }
    else:
        sentence = _("%(who)s recorded a step on card %(number)s") % {"who": who, "number": number}
    return _cite(sentence, data.get("article"))


def _sentence(entry, names):
    dossier, data = names.dossier, entry.data or {}
    who = actor_text(entry, dossier)
    action = entry.action
    family, _dot, kind = action.rpartition(".")
    if family == "casefiles.card":
        return _card(entry, who, names, kind)
    if family == "casefiles.attachment":
        version = data.get("version")
        title = names.documents.get(data.get("document")) or _("a document")
        if kind == "read":
            return _("%(who)s read version %(version)s of “%(title)s”") % {
                "who": who,
                "version": version,
                "title": title,
            }
        if kind == "preview":
            return _("%(who)s looked at the pages of version %(version)s of “%(title)s”") % {
                "who": who,
                "version": version,
                "title": title,
            }
        return _("%(who)s downloaded an attachment") % {"who": who}
    if family == "casefiles.document":
        if kind == "add":
            return _("%(who)s added a document") % {"who": who}
        if kind == "version":
            return _("%(who)s uploaded version %(version)s of a document") % {
                "who": who,
                "version": data.get("version"),
            }
        if kind == "withdraw":
            return _("%(who)s withdrew the document “%(title)s”: %(reason)s") % {
                "who": who,
                "title": data.get("title") or "",
                "reason": data.get("reason") or "",
            }
    if action == "casefiles.dossier.create":
        return _("%(who)s created the application for “%(tier)s”") % {
            "who": who,
            "tier": names.tiers.get(data.get("tier")) or "",
        }
    if action == "casefiles.dossier.update":
        return _("%(who)s changed the application's particulars") % {"who": who}
    if action == "casefiles.dossier.view":
        if data.get("via") == "api":
            return _("%(who)s viewed the dossier through the API") % {"who": who}
        if data.get("via") == "expert":
            return _("%(who)s viewed the dossier as an expert") % {"who": who}
        return _("%(who)s viewed the dossier") % {"who": who}
    if action == "casefiles.dossier.export":
        return _("%(who)s exported a list of %(count)s dossiers") % {"who": who, "count": data.get("count", 0)}
    if action == "casefiles.dossier.refused":
        return _("%(who)s was refused the step: staff may not act on a matter of their own") % {"who": who}
    if family == "casefiles.dossier" and "from" in data and "to" in data:
        return _transition(entry, who, names)  # casefiles.dossier.<transition code>, and .import
    if action == "casefiles.grants.change":
        return _grants(entry, who, names)
    if action == "casefiles.material.waive":
        return _cite(
            _("%(who)s decided that “%(name)s” need not be submitted; reason: %(reason)s")
            % {"who": who, "name": data.get("name") or "", "reason": data.get("reason") or ""},
            data.get("article"),
        )
    if action == "casefiles.notice.open":
        return _cite(
            _("%(who)s opened the public notice (%(opens)s to %(closes)s)")
            % {"who": who, "opens": when_text(data.get("opens_on")), "closes": when_text(data.get("closes_on"))},
            data.get("article"),
        )
    if action == "casefiles.notice.objection":
        return _cite(
            _("An objection to public notice %(notice)s was received") % {"notice": data.get("notice") or ""},
            data.get("article"),
        )
    if action == "casefiles.notice.objection_resolve":
        return _("%(who)s dealt with an objection to the public notice") % {"who": who}
    if action == "casefiles.notice.pdf_download":
        return _("%(who)s downloaded public notice %(number)s") % {"who": who, "number": data.get("number") or ""}
    if action == "casefiles.opinion.request":
        return _("%(who)s asked %(departments)s for their opinions") % {
            "who": who,
            "departments": names.department_list(data.get("departments") or []),
        }
    if action == "casefiles.opinion.cancel":
        return _("%(count)s open requests for opinions at “%(state)s” were withdrawn") % {
            "count": data.get("count", 0),
            "state": names.state(data.get("state")),
        }
    if action == "casefiles.opinion.answer":
        answer = data.get("answer")
        label = OpinionRequestStatus(answer).label if answer in OpinionRequestStatus.values else _("an answer")
        return _("%(who)s answered a request for opinion: %(answer)s") % {"who": who, "answer": label}
    if action == "casefiles.opinion.experts":
        return _("%(who)s invited %(count)s experts to review the dossier") % {
            "who": who,
            "count": len(data.get("experts") or []),
        }
    if action == "casefiles.opinion.remind":
        if data.get("overdue"):
            return _("A reminder was sent: a request for opinion was due on %(due)s") % {
                "due": when_text(data.get("due"))
            }
        return _("A reminder was sent: a request for opinion is due on %(due)s") % {"due": when_text(data.get("due"))}
    if action == "casefiles.supervision.remind":
        return _("%(who)s reminded %(department)s: due on %(due)s, overdue by %(days)s working days") % {
            "who": who,
            "department": names.department_list([data.get("department")]),
            "due": when_text(data.get("due")),
            "days": data.get("working_days_overdue") or 0,
        }
    if action == "casefiles.privacy.export":
        return _("%(who)s exported a person's personal data") % {"who": who}
    if action == "casefiles.privacy.erase":
        return _("%(who)s erased a person's personal data") % {"who": who}
    if action == "casefiles.registry.import":
        return _("%(who)s imported %(count)s cards from the register") % {"who": who, "count": data.get("count", 0)}
    if action == "casefiles.scheme.load":
        return _("%(who)s loaded the programme's rules") % {"who": who}
    if action == "programmes.agenda.add":
        return _("%(who)s put the dossier on a meeting's agenda") % {"who": who}
    if action == "programmes.agenda.decide":
        return _("%(who)s recorded the meeting's decision on the dossier") % {"who": who}
    if action == "programmes.deadline.remind":
        return _("A reminder was sent: the dossier is due at “%(state)s” on %(due)s") % {
            "state": names.state(data.get("state")),
            "due": when_text(data.get("due")),
        }
    if action == "programmes.deadline.feedback":
        return _("A reminder was sent: feedback is due on %(due)s") % {"due": when_text(data.get("due"))}
    if family == "programmes.feedback":
        return _("%(who)s handled feedback on a service") % {"who": who}
    if family in ("programmes.meeting", "programmes.joint_meeting", "programmes.member"):
        return _("%(who)s updated a joint meeting's records") % {"who": who}
    if family == "programmes.service_change":
        return _("%(who)s handled a change to a service item") % {"who": who}
    if family == "programmes.commissioner":
        return _("%(who)s updated a service commissioner") % {"who": who}
    if action == "programmes.preference.set":
        return _("%(who)s changed notification preferences") % {"who": who}
    if action == "programmes.statistics.export":
        return _("%(who)s exported statistics") % {"who": who}
    return _("%(who)s recorded an action") % {"who": who}


#: Actions that only record that someone read the dossier: a run of them by one person, with nothing else in
#: between, is one line ("… 查阅了案卷（3 次）"); the decisions stay one line each.
READING_ACTIONS = {"casefiles.dossier.view", "casefiles.attachment.preview", "casefiles.attachment.read"}


def journal_lines(dossier, entries):
    """[JournalLine] for ``entries`` (journal entries of ``dossier``, actor and department joined), in their order."""
    entries = list(entries)
    names = _Names(dossier, entries)
    lines = []
    for entry in entries:
        sentence = _sentence(entry, names)
        last = lines[-1] if lines else None
        if (
            last is not None
            and entry.action in READING_ACTIONS
            and last.entry.action == entry.action
            and last.entry.actor_id == entry.actor_id
            and last.sentence == sentence
        ):
            last.entries.append(entry)
            continue
        lines.append(JournalLine(entry=entry, when=when_text(entry.created_at), sentence=sentence, entries=[entry]))
    for line in lines:
        if len(line.entries) > 1:
            line.sentence = _("%(sentence)s (%(count)s times, the first on %(first)s)") % {
                "sentence": line.sentence,
                "count": len(line.entries),
                "first": when_text(line.entries[-1].created_at),
            }
    return lines
