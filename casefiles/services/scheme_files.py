"""Loading a scheme file uploaded in the admin: check it, show what it changes, load it on confirmation.

Step 1 (:func:`scheme_file_check`): the uploaded bytes are limited in size, must be UTF-8 YAML without anchors,
aliases or deep nesting (``yaml.safe_load`` only), and are kept in the private storage under their SHA-256
(``PRIVATE_ROOT/scheme-files/<sha256>/<name>``, never under a URL). The file then goes through every check a load
makes (casefiles/schemes/loader.py ``scheme_files_load`` on a dry run: structure, jurisdiction, controls, states
still holding dossiers), and the report says what it would change. Step 2 (:func:`scheme_file_load`): the file
kept under the confirmed SHA-256 — re-read and re-hashed, never a second upload — is loaded for real, journaled
(``casefiles.scheme.load``) with its SHA-256 and the user.
"""

import hashlib
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..exceptions import CaseFileError
from ..models import Jurisdiction, Scheme
from ..schemes.loader import SchemeDataError, declared_jurisdiction, scheme_files_load

PERMISSION = "casefiles.load_scheme_file"
MAX_BYTES = 1024 * 1024
MAX_DEPTH = 40
STAGED_FOR_SECONDS = 24 * 3600
SHA256 = re.compile(r"^[0-9a-f]{64}$")
STATE_FIELDS = {
    "name": gettext_lazy("name"),
    "kind": gettext_lazy("kind"),
    "actor": gettext_lazy("actor"),
    "view": gettext_lazy("who sees it"),
}
TIER_FIELDS = {"name": gettext_lazy("name"), "rank": gettext_lazy("rank")}


def may_load_scheme_files(user):
    """Administrators only: a superuser, or a staff member given the permission ``load_scheme_file``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or (user.is_staff and user.has_perm(PERMISSION))


def _require(user):
    if not may_load_scheme_files(user):
        raise PermissionDenied(_("Only an administrator may load scheme files."))


# --------------------------------------------------------------------------- counts and changes


def data_counts(data):
    """[(label, number)] of what a parsed scheme file holds."""
    tiers = data.get("tiers") or []
    workflow = data.get("workflow") or {}
    return [
        (gettext_lazy("tiers"), len(tiers)),
        (gettext_lazy("criteria"), sum(len(t.get("criteria") or []) for t in tiers if isinstance(t, dict))),
        (gettext_lazy("services"), len(data.get("services") or [])),
        (gettext_lazy("exit reasons"), len(data.get("revocation_reasons") or [])),
        (gettext_lazy("workflow states"), len(workflow.get("states") or [])),
        (gettext_lazy("transitions"), len(workflow.get("transitions") or [])),
        (gettext_lazy("materials"), len(data.get("materials") or [])),
    ]


def describe_counts(counts):
    return ", ".join(f"{number} {label}" for label, number in counts)


@dataclass
class RowChanges:
    """What a file changes in one kind of row, matched by code: added, removed, changed ([(code, name, fields)])."""

    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    changed: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.added or self.removed or self.changed)


def _row_changes(in_file, in_database, fields):
    """``in_file`` / ``in_database``: {code: {field: value}}."""
    changes = RowChanges()
    for code, row in in_file.items():
        before = in_database.get(code)
        if before is None:
            changes.added.append((code, row.get("name", "")))
            continue
        differing = [
            str(label) for key, label in fields.items() if _comparable(row.get(key)) != _comparable(before.get(key))
        ]
        if differing:
            changes.changed.append((code, row.get("name", ""), "、".join(differing)))
    changes.removed = [(code, row.get("name", "")) for code, row in in_database.items() if code not in in_file]
    return changes


def _comparable(value):
    if isinstance(value, (list, tuple)):
        return sorted(str(v) for v in value)
    return "" if value is None else str(value)


@dataclass
class SchemeFileChanges:
    new_scheme: bool
    new_jurisdiction: tuple | None
    states: RowChanges
    tiers: RowChanges
    transitions: RowChanges


def scheme_file_changes(data):
    """What loading ``data`` (a parsed, checked scheme file) would change against the database."""
    scheme = Scheme.objects.filter(slug=data.get("slug")).first()
    declared = declared_jurisdiction(data)
    new_jurisdiction = None
    if declared is not None and not Jurisdiction.objects.filter(code=declared.get("code")).exists():
        new_jurisdiction = (declared.get("code"), declared.get("name"))
    workflow = data.get("workflow") or {}
    file_states = {s["code"]: s for s in workflow.get("states") or []}
    file_tiers = {t["code"]: t for t in data.get("tiers") or []}
    file_transitions = {t["code"]: t for t in workflow.get("transitions") or []}
    if scheme is None:
        db_states, db_tiers, db_transitions = {}, {}, {}
    else:
        db_states = {
            s.code: {"name": s.name, "kind": s.kind, "actor": s.actor, "view": s.view} for s in scheme.states.all()
        }
        db_tiers = {t.code: {"name": t.name, "rank": t.rank} for t in scheme.tiers.all()}
        db_transitions = {t.code: {"name": t.name} for t in scheme.transitions.all()}
    return SchemeFileChanges(
        new_scheme=scheme is None,
        new_jurisdiction=new_jurisdiction,
        states=_row_changes(file_states, db_states, STATE_FIELDS),
        tiers=_row_changes(file_tiers, db_tiers, TIER_FIELDS),
        transitions=_row_changes(file_transitions, db_transitions, {"name": gettext_lazy("name")}),
    )


# --------------------------------------------------------------------------- the uploaded bytes


def staging_root():
    return Path(settings.PRIVATE_ROOT) / "scheme-files"


def safe_file_name(name):
    """The uploaded file's own name, reduced to letters, digits, ``.``, ``-`` and ``_`` (it names the file in the
    report and the journal, and the kept copy on disk)."""
    cleaned = re.sub(r"[^\w.\-]", "_", Path(str(name or "")).name)[-80:].lstrip(".")
    return cleaned or "scheme.yaml"


def content_problems(name, content):
    """Problems of the raw bytes before anything parses them into objects: size, encoding, YAML anchors and aliases
    (a few lines of aliases expand into millions of nodes) and nesting deeper than any scheme file needs."""
    if len(content) > MAX_BYTES:
        return [_("%(name)s: the file is larger than %(limit)s KB.") % {"name": name, "limit": MAX_BYTES // 1024}]
    if Path(name).suffix.lower() not in (".yaml", ".yml"):
        return [_("%(name)s: only .yaml files are accepted.") % {"name": name}]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return [_("%(name)s: the file is not UTF-8 text.") % {"name": name}]
    depth = 0
    too_deep = _("%(name)s:%(line)s: the file nests lists or mappings too deeply (at most %(depth)s levels).")
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark else 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return [
                    _("%(name)s:%(line)s: YAML anchors and aliases (& and *) are not accepted in a scheme file.")
                    % {"name": name, "line": line}
                ]
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return [too_deep % {"name": name, "line": line, "depth": MAX_DEPTH}]
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        return [
            _("%(name)s:%(line)s: this is not valid YAML (%(problem)s).")
            % {"name": name, "line": line, "problem": getattr(exc, "problem", None) or exc}
        ]
    return []


def _prune_staged(root):
    cutoff = time.time() - STAGED_FOR_SECONDS
    for folder in root.iterdir() if root.exists() else []:
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def _staged_file(sha256):
    if not isinstance(sha256, str) or not SHA256.match(sha256):
        return None
    folder = staging_root() / sha256
    files = sorted(folder.glob("*")) if folder.is_dir() else []
    return files[0] if len(files) == 1 and files[0].is_file() else None


@dataclass
class SchemeFileReport:
    name: str
    sha256: str
    size: int
    problems: list
    slug: str = ""
    scheme_name: str = ""
    counts: list = field(default_factory=list)
    changes: SchemeFileChanges | None = None

    @property
    def loadable(self):
        return not self.problems


def scheme_file_check(*, user, name, content):
    """Check an uploaded scheme file and keep it under its SHA-256 for :func:`scheme_file_load`; nothing else is
    stored. Returns a :class:`SchemeFileReport` (``problems`` each ``file:line: 说明`` where the line is known)."""
    _require(user)
    name = safe_file_name(name)
    digest = hashlib.sha256(content).hexdigest()
    report = SchemeFileReport(name=name, sha256=digest, size=len(content), problems=content_problems(name, content))
    if report.problems:
        return report
    root = staging_root()
    _prune_staged(root)
    folder = root / digest
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    try:
        (scheme,) = scheme_files_load([path], user=user, dry_run=True)
        data = scheme.source_data
    except SchemeDataError as exc:
        report.problems = [line for line in str(exc).splitlines() if line.strip()]
    except (KeyError, TypeError, ValueError, AttributeError, DatabaseError) as exc:
        # A shape the checks did not foresee: refused, never a server error.
        report.problems = [_("%(name)s: the file cannot be loaded (%(problem)s).") % {"name": name, "problem": exc}]
    if report.problems:
        shutil.rmtree(folder, ignore_errors=True)
        return report
    report.slug, report.scheme_name = data.get("slug", ""), data.get("name", "")
    report.counts = data_counts(data)
    report.changes = scheme_file_changes(data)
    return report


def scheme_file_load(*, user, sha256):
    """Load the file checked under ``sha256`` (step 2). Refused when no checked file is kept under that hash or its
    bytes no longer hash to it. Returns the loaded schemes; the kept copy is removed."""
    _require(user)
    path = _staged_file(sha256)
    if path is None:
        raise CaseFileError(_("No checked file with this SHA-256 is waiting to be loaded; please upload it again."))
    if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise CaseFileError(_("The kept file no longer matches its SHA-256; please upload it again."))
    try:
        schemes = scheme_files_load([path], user=user, defer_grants=True)
    except SchemeDataError as exc:
        raise CaseFileError(str(exc)) from None
    shutil.rmtree(path.parent, ignore_errors=True)
    return schemes


def scheme_file_discard(*, user, sha256):
    _require(user)
    path = _staged_file(sha256)
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)
