"""Tokenisation shared by both search backends.

Chinese text has no spaces, so every CJK character is a token of its own (what Elasticsearch's
``standard`` analyzer does) and a query becomes a *phrase* of those characters: 落户 matches the
phrase 落 户, which finds it inside 办理落户手续 and not in 落实…户口. Latin letters and digits form
words. A second field holds words segmented by jieba before indexing; it adds recall for queries
whose words appear in a different order, and is never needed for a hit (the phrase field is).
"""

import re
import unicodedata

# Full-width digits and Latin letters fold to ASCII; Chinese punctuation is left as it is (displayed).
_FOLD = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}
_FOLD |= {c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)}
_FOLD |= {c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)}

# A CJK ideograph (BMP blocks and extension A), or a run of Latin letters/digits.
_TOKEN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[0-9a-z\u00c0-\u024f]+")
_WORD_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff0-9a-z\u00c0-\u024f]+")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_jieba = None


def fold(text: str) -> str:
    return unicodedata.normalize("NFC", text or "").translate(_FOLD)


def char_tokens(text: str) -> list[str]:
    """落户手续 → ['落', '户', '手', '续']; R字签证 → ['r', '字', '签', '证']; 年满65岁 → [..., '65', '岁']."""
    return _TOKEN_RE.findall(fold(text).lower())


def char_text(text: str) -> str:
    """The text as space-separated tokens (what the embedded backend indexes)."""
    return " ".join(char_tokens(text))


def _segmenter():
    global _jieba
    if _jieba is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba = jieba
    return _jieba


def word_tokens(text: str) -> list[str]:
    """Words segmented by jieba (search mode adds the short words inside long ones), punctuation dropped."""
    text = fold(text).lower()
    if not text.strip():
        return []
    return [w for w in _segmenter().cut_for_search(text) if _WORD_RE.fullmatch(w)]


def word_text(text: str) -> str:
    return " ".join(word_tokens(text))


def query_terms(q: str) -> list[str]:
    """A query is whitespace-separated terms that must all match; each term is matched as a phrase."""
    terms = []
    for term in fold(q or "").split():
        if char_tokens(term):
            terms.append(term)
    return terms[:10]


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text or ""))
