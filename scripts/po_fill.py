"""Fill empty msgstr entries of a .po catalogue from a TSV of ``msgid<TAB>msgstr`` lines, and list
what is still untranslated. Usage: python scripts/po_fill.py locale/zh_Hans/LC_MESSAGES/django.po [file.tsv]
Only single-line msgids are handled; multi-line ones are listed for hand editing."""

import re
import sys



def main():
    po_path = sys.argv[1]
    table = {}
    if len(sys.argv) > 2:
        for line in open(sys.argv[2], encoding="utf-8"):
            if "\t" in line:
                k, v = line.rstrip("\n").split("\t", 1)
                table[k] = v
    text = open(po_path, encoding="utf-8").read()
    blocks = text.split("\n\n")
    missing = []
    for i, block in enumerate(blocks):
        m = re.search(r'^msgid "(.*)"\nmsgstr ""$', block, re.M)
        if not m or m.group(1) == "":
            continue
        msgid = m.group(1)
        if msgid in table:
            value = table[msgid].replace('"', '\\"')
            blocks[i] = block.replace(f'msgid "{msgid}"\nmsgstr ""', f'msgid "{msgid}"\nmsgstr "{value}"')
            blocks[i] = blocks[i].replace("#, fuzzy\n", "")
        else:
            missing.append(msgid)
    open(po_path, "w", encoding="utf-8").write("\n\n".join(blocks))
    for msgid in missing:
        print(msgid)


if __name__ == "__main__":
    main()
