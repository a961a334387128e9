"""Fill msgstr entries of a gettext .po catalogue and list what is still untranslated.

Usage:
    python scripts/po_fill.py PO                      list untranslated / fuzzy msgids (one per line, escaped)
    python scripts/po_fill.py PO --dump OUT.json      write the untranslated / fuzzy entries as JSON
    python scripts/po_fill.py PO TABLE [--force]      fill from TABLE, then list what is still missing

TABLE is either a ``.json`` object mapping msgid -> msgstr (a list of strings for plural entries;
prefix the key with ``context + "\\x04"`` for msgctxt entries), or a ``.tsv`` of ``msgid<TAB>msgstr``
lines with ``\\n``, ``\\t`` and ``\\\\`` escapes. Empty and fuzzy entries are filled (the fuzzy flag and
the ``#|`` previous-msgid comments are removed); ``--force`` also overwrites translated entries.
Multi-line msgids are handled. Placeholders (%(name)s, %s, {name}) must match, or the entry is refused.
"""

import json
import re
import sys

PLACEHOLDER = re.compile(
    r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]"  # %(name)s
    r"|%[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc]"  # %s, %d
    r"|\{\w*(?:![rsa])?(?::[^{}]*)?\}"  # {name}, {seq:04d}
)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def unquote(s):
    """Decode one C-style quoted PO string (without the surrounding quotes)."""
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), s)


def quote(s):
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")


class Entry:
    def __init__(self):
        self.comments = []  # "#..." lines other than flags
        self.flags = []
        self.fields = {}  # keyword -> decoded string; keywords: msgctxt, msgid, msgid_plural, msgstr, msgstr[0]...
        self.raw = {}  # keyword -> original lines
        self.order = []
        self.obsolete = False

    @property
    def key(self):
        ctxt = self.fields.get("msgctxt")
        return f"{ctxt}\x04{self.fields['msgid']}" if ctxt is not None else self.fields["msgid"]

    @property
    def is_header(self):
        return self.fields.get("msgid") == "" and "msgctxt" not in self.fields

    def msgstrs(self):
        return [v for k, v in self.fields.items() if k.startswith("msgstr")]

    @property
    def fuzzy(self):
        return "fuzzy" in self.flags

    @property
    def untranslated(self):
        return any(v == "" for v in self.msgstrs())


def parse(text):
    entries = []
    entry = Entry()
    keyword = None

    def flush():
        nonlocal entry, keyword
        if entry.fields or entry.comments or entry.flags:
            entries.append(entry)
        entry = Entry()
        keyword = None

    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if stripped.startswith("#~"):
            entry.obsolete = True
            entry.comments.append(line)
            continue
        if stripped.startswith("#"):
            if keyword is not None and keyword.startswith("msgstr"):
                flush()  # a comment after a complete entry starts the next one
            if stripped.startswith("#,"):
                entry.flags += [f.strip() for f in stripped[2:].split(",") if f.strip()]
            else:
                entry.comments.append(line)
            continue
        m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"\s*$', stripped)
        if m:
            kw = m.group(1)
            if kw in ("msgctxt", "msgid") and keyword is not None and keyword.startswith("msgstr"):
                flush()
            keyword = kw
            entry.fields[kw] = unquote(m.group(2))
            entry.raw[kw] = [line]
            entry.order.append(kw)
            continue
        m = re.match(r'^"(.*)"\s*$', stripped)
        if m and keyword:
            entry.fields[keyword] += unquote(m.group(1))
            entry.raw[keyword].append(line)
            continue
        raise ValueError(f"cannot parse line: {line!r}")
    flush()
    return entries


def format_field(keyword, value):
    if "\n" in value.rstrip("\n") or len(value) > 70:
        parts = re.findall(r"[^\n]*\n|[^\n]+$", value)
        return [f'{keyword} ""'] + [f'"{quote(p)}"' for p in parts]
    return [f'{keyword} "{quote(value)}"']


def serialise(entries):
    out = []
    for e in entries:
        lines = [c for c in e.comments if not c.startswith("#,")]
        # keep translator/extracted/reference comments before flags, "#|" previous-msgid after them
        head = [c for c in lines if not c.startswith("#|")]
        prev = [c for c in lines if c.startswith("#|")]
        block = head[:]
        if e.flags:
            block.append("#, " + ", ".join(e.flags))
        block += prev
        for kw in e.order:
            block += e.raw[kw]
        out.append("\n".join(block))
    return "\n\n".join(out) + "\n"


def placeholders(s):
    return sorted(PLACEHOLDER.findall(s))


def load_table(path):
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    table = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if "\t" in line:
                k, v = line.rstrip("\n").split("\t", 1)
                table[unquote(k)] = unquote(v)
    return table


def fill(entries, table, force=False):
    problems = []
    for e in entries:
        if e.is_header or e.obsolete or e.key not in table:
            continue
        if not (force or e.fuzzy or e.untranslated):
            continue
        value = table[e.key]
        values = value if isinstance(value, list) else [value]
        plural = "msgid_plural" in e.fields
        sources = [e.fields["msgid"], e.fields.get("msgid_plural", e.fields["msgid"])]
        bad = [v for v in values if not v or not any(placeholders(v) == placeholders(s) for s in sources)]
        if bad:
            problems.append(f"refused (empty or placeholder mismatch): {e.key!r} -> {value!r}")
            continue
        for kw in [k for k in e.order if k.startswith("msgstr")]:
            text = values[0] if not plural else values[min(int(kw[7:-1] or 0), len(values) - 1)]
            e.fields[kw] = text
            e.raw[kw] = format_field(kw, text)
        e.flags = [f for f in e.flags if f != "fuzzy"]
        e.comments = [c for c in e.comments if not c.startswith("#|")]
    return problems


def fix_header(entries, po_path):
    """Un-fuzzy the header and fill in the Language field from the path (locale/<lang>/LC_MESSAGES)."""
    parts = po_path.replace("\\", "/").split("/")
    language = parts[-3] if len(parts) >= 3 and parts[-2] == "LC_MESSAGES" else ""
    for e in entries:
        if e.is_header:
            e.flags = [f for f in e.flags if f != "fuzzy"]
            text = e.fields.get("msgstr", "")
            if language:
                text = re.sub(r"^Language: *\n", f"Language: {language}\\n", text, flags=re.M)
            e.fields["msgstr"] = text
            e.raw["msgstr"] = ['msgstr ""'] + [f'"{quote(p)}"' for p in re.findall(r"[^\n]*\n|[^\n]+$", text)]


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    force = "--force" in argv
    if not args:
        print(__doc__)
        return 2
    po_path = args[0]
    with open(po_path, encoding="utf-8") as fh:
        entries = parse(fh.read())
    if "--dump" in argv:
        out = argv[argv.index("--dump") + 1]
        todo = {}
        for e in entries:
            if not e.is_header and not e.obsolete and (e.fuzzy or e.untranslated):
                plural = "msgid_plural" in e.fields
                todo[e.key] = [""] if plural else ""
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(todo, fh, ensure_ascii=False, indent=1)
        print(f"{len(todo)} entries written to {out}")
        return 0
    if len(args) > 1:
        problems = fill(entries, load_table(args[1]), force=force)
        fix_header(entries, po_path)
        with open(po_path, "w", encoding="utf-8") as fh:
            fh.write(serialise(entries))
        for p in problems:
            print(p, file=sys.stderr)
    missing = [e for e in entries if not e.is_header and not e.obsolete and (e.fuzzy or e.untranslated)]
    for e in missing:
        print(("[fuzzy] " if e.fuzzy else "") + quote(e.key))
    print(f"{len(missing)} untranslated or fuzzy entries", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
