"""The zh-Hans catalogue is complete: every entry translated and not fuzzy, placeholders and HTML tags
kept, and every string the source marks for translation present (i.e. ``scripts/i18n.sh`` would add
nothing new). Fix failures with ``bash scripts/i18n.sh`` and ``scripts/po_fill.py``."""

import ast
import io
import re
import shutil
import subprocess
import tokenize
from pathlib import Path

import pytest

pytestmark = pytest.mark.smoke

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = REPO / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# As scripts/i18n.sh passes them to makemessages, plus makemessages' own defaults.
IGNORED_DIRS = {".venv", "var", "tools", "node_modules", "CVS", "__pycache__", "locale"}
EXTENSIONS = {".py", ".html", ".txt"}

# keyword -> (context argument, singular argument, plural argument), as makemessages runs xgettext.
KEYWORDS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ugettext": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "ungettext": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}

PERCENT = re.compile(r"%%|%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]|%[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]")
BRACE = re.compile(r"\{\w*(?:\.\w+|\[\w+\])*(?:![rsa])?(?::[^{}]*)?\}")
TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


# ---------------------------------------------------------------------------------------------- .po parser


def _unquote(s):
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), s)


def parse_po(path):
    """Entries as dicts: fields (msgctxt, msgid, msgid_plural, msgstr, msgstr[n]), flags, line, obsolete."""
    entries, entry, keyword = [], None, None

    def new(lineno):
        return {"fields": {}, "flags": set(), "line": lineno, "obsolete": False}

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            entry, keyword = None, None
            continue
        after_msgstr = keyword is not None and keyword.startswith("msgstr")
        if entry is None or (after_msgstr and line.startswith(("#", "msgid", "msgctxt"))):
            entry, keyword = new(lineno), None
            entries.append(entry)
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["flags"] |= {f.strip() for f in line[2:].split(",") if f.strip()}
        elif line.startswith("#"):
            pass
        elif m := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line):
            keyword = m.group(1)
            entry["fields"][keyword] = _unquote(m.group(2))
        elif (m := re.match(r'^"(.*)"$', line)) and keyword:
            entry["fields"][keyword] += _unquote(m.group(1))
        else:
            raise AssertionError(f"{path.name}:{lineno}: cannot parse {raw!r}")
    return [e for e in entries if "msgid" in e["fields"] and not e["obsolete"]]


def _key(context, msgid):
    return f"{context}\x04{msgid}" if context is not None else msgid


def _label(entry):
    f = entry["fields"]
    return f"line {entry['line']}: " + (f"[{f['msgctxt']}] " if "msgctxt" in f else "") + repr(f["msgid"])


@pytest.fixture(scope="module")
def catalogue():
    assert CATALOGUE.exists(), "no zh_Hans catalogue: run bash scripts/i18n.sh"
    entries = parse_po(CATALOGUE)
    header = [e for e in entries if e["fields"]["msgid"] == "" and "msgctxt" not in e["fields"]]
    assert len(header) == 1, "the catalogue has no header entry"
    return header[0], [e for e in entries if e is not header[0]]


# ---------------------------------------------------------------------------------------------- catalogue


def test_header_declares_one_plural_form_and_utf8(catalogue):
    header, _ = catalogue
    text = header["fields"].get("msgstr", "")
    assert "charset=UTF-8" in text
    assert re.search(r"Plural-Forms: *nplurals=1; *plural=0;", text), "zh-Hans has exactly one plural form"
    assert "fuzzy" not in header["flags"], "remove the fuzzy flag from the header entry"


def test_every_entry_is_translated_and_not_fuzzy(catalogue):
    _, entries = catalogue
    problems = []
    for e in entries:
        f = e["fields"]
        msgstrs = {k: v for k, v in f.items() if k.startswith("msgstr")}
        if "fuzzy" in e["flags"]:
            problems.append(f"fuzzy: {_label(e)}")
        if "msgid_plural" in f and set(msgstrs) != {"msgstr[0]"}:
            problems.append(f"plural entry needs exactly msgstr[0] (nplurals=1): {_label(e)}")
        if not msgstrs or any(not v.strip() for v in msgstrs.values()):
            problems.append(f"untranslated: {_label(e)}")
    assert not problems, f"{len(problems)} entries to fix in {CATALOGUE.relative_to(REPO)}:\n" + "\n".join(problems)


def _placeholders(text, flags, source):
    found = []
    if "python-format" in flags or ("no-python-format" not in flags and re.search(r"%\(\w+\)", source)):
        found += PERCENT.findall(text)
    if "no-python-brace-format" not in flags:
        found += BRACE.findall(text)
    return sorted(found)


def test_placeholders_and_html_tags_are_kept(catalogue):
    _, entries = catalogue
    problems = []
    for e in entries:
        f, flags = e["fields"], e["flags"]
        sources = [f["msgid"]] + ([f["msgid_plural"]] if "msgid_plural" in f else [])
        for key, value in f.items():
            if not key.startswith("msgstr") or not value:
                continue
            wanted = [_placeholders(s, flags, f["msgid"]) for s in sources]
            got = _placeholders(value, flags, f["msgid"])
            if got not in wanted:
                problems.append(f"placeholders {got} instead of {wanted[-1]}: {_label(e)} -> {value!r}")
            tags = [sorted(TAG.findall(s)) for s in sources]
            if sorted(TAG.findall(value)) not in tags:
                got_tags = sorted(TAG.findall(value))
                problems.append(f"HTML tags {got_tags} instead of {tags[0]}: {_label(e)} -> {value!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="GNU gettext (msgfmt) is not installed")
def test_msgfmt_accepts_the_catalogue(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check-format", "--check-domain", "-o", str(tmp_path / "django.mo"), str(CATALOGUE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------------- source strings


def _source_files():
    for path in sorted(REPO.rglob("*")):
        rel = path.relative_to(REPO)
        if any(part in IGNORED_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        hidden = path.name.startswith(".") or path.name.endswith("~")
        if path.is_file() and path.suffix in EXTENSIONS and not hidden:
            yield path


def _string(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _python_msgids(path):
    """(key, line, aliased) of every gettext call with literal arguments; f-strings and computed strings are
    skipped. ``aliased`` marks a name imported from django.utils.translation under a name makemessages does not
    know (``gettext_lazy as _lazy``): xgettext never extracts those, so they stay untranslated at run time."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError):
        return
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in KEYWORDS and alias.asname and alias.asname not in KEYWORDS:
                    aliases[alias.asname] = KEYWORDS[alias.name]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        spec = KEYWORDS.get(name) or aliases.get(name)
        if spec is None:
            continue
        ctx_i, msg_i, _plural_i = spec
        if len(node.args) <= msg_i:
            continue
        msgid = _string(node.args[msg_i])
        context = _string(node.args[ctx_i]) if ctx_i is not None else None
        if not msgid or (ctx_i is not None and context is None):
            continue
        yield _key(context, msgid), node.lineno, name not in KEYWORDS


def _template_msgids(path):
    """Django's own template-to-gettext conversion (what makemessages feeds xgettext), then the calls in it."""
    from django.utils.translation.template import templatize

    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    # Each call sits on one line; dropping the indentation keeps tokenize from tripping over it.
    code = "\n".join(line.lstrip() for line in code.splitlines())
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise AssertionError(f"cannot scan {path.relative_to(REPO)} for translatable strings: {exc}") from exc
    skip = (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
    tokens = [t for t in tokens if t.type not in skip]
    for i, tok in enumerate(tokens[:-2]):
        if tok.type != tokenize.NAME or tok.string not in KEYWORDS or tokens[i + 1].string != "(":
            continue
        args, j = [], i + 2
        while j < len(tokens) and tokens[j].type == tokenize.STRING:
            value = ast.literal_eval(tokens[j].string)
            while j + 1 < len(tokens) and tokens[j + 1].type == tokenize.STRING:  # implicit concatenation
                j += 1
                value += ast.literal_eval(tokens[j].string)
            args.append(value)
            j += 1
            if j < len(tokens) and tokens[j].string == ",":
                j += 1
        ctx_i, msg_i, _plural_i = KEYWORDS[tok.string]
        if len(args) > msg_i and args[msg_i] and (ctx_i is None or len(args) > ctx_i):
            yield _key(args[ctx_i] if ctx_i is not None else None, args[msg_i]), tok.start[0], False


def source_msgids():
    """{key: "path:line"} of what makemessages extracts, and {key: "path:line"} of strings only marked through
    an alias it cannot see."""
    found, aliased = {}, {}
    for path in _source_files():
        extract = _python_msgids if path.suffix == ".py" else _template_msgids
        for key, line, via_alias in extract(path):
            (aliased if via_alias else found).setdefault(key, f"{path.relative_to(REPO)}:{line}")
    return found, {k: v for k, v in aliased.items() if k not in found}


def test_source_strings_are_all_in_the_catalogue(catalogue):
    _, entries = catalogue
    known = {_key(e["fields"].get("msgctxt"), e["fields"]["msgid"]) for e in entries}
    found, _aliased = source_msgids()
    assert len(found) > 100, "the source scan found suspiciously few strings"
    missing = sorted((where, key) for key, where in found.items() if key not in known)
    assert not missing, (
        f"{len(missing)} source strings are not in {CATALOGUE.relative_to(REPO)}; "
        "run bash scripts/i18n.sh and translate:\n"
        + "\n".join(f"{where}: {key!r}" for where, key in missing)
    )


def test_no_string_is_marked_through_a_name_makemessages_cannot_see(catalogue):
    """makemessages only extracts _, gettext, gettext_lazy, ngettext, pgettext … by name; a string marked as
    ``_lazy("…")`` after ``gettext_lazy as _lazy`` never reaches the catalogue and shows in English."""
    _, entries = catalogue
    known = {_key(e["fields"].get("msgctxt"), e["fields"]["msgid"]) for e in entries}
    _found, aliased = source_msgids()
    hidden = sorted((where, key) for key, where in aliased.items() if key not in known)
    assert not hidden, (
        f"{len(hidden)} strings are marked through an alias of django.utils.translation that makemessages does not "
        "extract; import the function as _ or under its own name (gettext_lazy, …):\n"
        + "\n".join(f"{where}: {key!r}" for where, key in hidden)
    )
