"""Snippets with the matched words marked, computed from the stored text the same way for both backends.

Masking comes first: the text is scrubbed of anything that looks like an ID or phone number
(casefiles.masking.scrub_text), then a window around the first match is cut, escaped and marked.

A dossier's documents are not stored with its hit (their text is personal data, analysed only): a staff hit's
document snippets are cut here from the text read back from the database for that page of hits
(:func:`document_snippets`), so both backends show the same snippets.
"""

import functools
import re

from django.utils.html import escape

from casefiles.masking import scrub_text

from .tokens import _FOLD, char_tokens, word_tokens

_SEP = r"[^0-9a-z\u00c0-\u024f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]*?"


def _pattern(tokens):
    return re.compile(_SEP.join(re.escape(t) for t in tokens))


@functools.lru_cache(maxsize=512)
def _term_patterns(term):
    """(the term's phrase pattern, its words' patterns), or (None, ()) for a term with no tokens: made once per term,
    not once per text (a page of hits cuts snippets from dozens of documents)."""
    tokens = char_tokens(term)
    if not tokens:
        return None, ()
    return _pattern(tokens), tuple(_pattern(char_tokens(word)) for word in word_tokens(term))


def match_spans(text, terms):
    """(start, end) of every place a term matches as a phrase (punctuation between tokens allowed);
    when a term does not match as a phrase, its words are looked for one by one."""
    folded = (text or "").translate(_FOLD).lower()  # one character for one: positions stay valid
    spans = []
    for term in terms:
        phrase, words = _term_patterns(term)
        if phrase is None:
            continue
        found = [m.span() for m in phrase.finditer(folded) if m.end() > m.start()]
        if not found:
            for word in words:
                found += [m.span() for m in word.finditer(folded) if m.end() > m.start()]
        spans += found
    spans.sort()
    merged = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text, terms, width=120, before=30):
    """HTML: about ``width`` characters around the first match, matches in <mark>, ellipses where cut."""
    return marked_snippet(text, terms, width=width, before=before)[0]


def marked_snippet(text, terms, width=120, before=30):
    """(the snippet's HTML as :func:`snippet`, whether any term matched the text)."""
    return _marked(_scrubbed(text), terms, width, before)


# Every mask (casefiles.masking) rewrites a run of at least 11 digits (a mobile number; ID numbers are longer): a text
# without one is its own scrubbed text, and a page of hits' documents mostly are.
_MASKABLE = re.compile(r"\d{11}")


def _scrubbed(text):
    text = (text or "").replace("\r", "")
    return scrub_text(text) if _MASKABLE.search(text) else text


def _marked(text, terms, width, before):
    """The scrubbed text's snippet: about ``width`` characters around its first match, matches marked."""
    spans = match_spans(text, terms)
    start = max(0, spans[0][0] - before) if spans else 0
    end = min(len(text), start + width)
    if end - start < width:
        start = max(0, end - width)
    out, pos = [], start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(escape(text[pos:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    html = "".join(out).replace("\n", " ")
    return ("…" if start > 0 else "") + html + ("…" if end < len(text) else ""), bool(spans)


def document_snippets(documents, terms, limit=3):
    """The documents of one dossier in which a term matches, each with a snippet of its text (or of its title when
    only the title matches), as ``DocumentSnippet``: which document (title) and version the match came from.
    ``documents``: [(document id, title, version, text)], as search.documents.documents_for_snippets gives them."""
    from .backends.base import DocumentSnippet

    found = []
    for document_id, title, version, text in documents or ():
        html, matched = marked_snippet(text, terms)
        if not matched:
            html, matched = marked_snippet(title, terms)
        if matched:
            found.append(DocumentSnippet(document_id=document_id, title=title, version=version, snippet=html))
            if len(found) >= limit:
                break
    return found
