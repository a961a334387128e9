"""Import policy documents from plain text (pure Python, no Django).

>>> from policypages.importer import parse_policy
>>> policy = parse_policy(text)            # doctest: +SKIP
>>> policy.find("16.6").citation           # doctest: +SKIP
'《通化市“英才卡”管理服务办法》第十六条第（六）项'
"""

from .numerals import circled_to_int, cn_to_int, int_to_circled, int_to_cn
from .parser import (
    Article,
    Chapter,
    CoverNotice,
    Item,
    ParsedPolicy,
    PolicyParseError,
    Problem,
    parse_policy,
)

__all__ = [
    "Article",
    "Chapter",
    "CoverNotice",
    "Item",
    "ParsedPolicy",
    "PolicyParseError",
    "Problem",
    "circled_to_int",
    "cn_to_int",
    "int_to_circled",
    "int_to_cn",
    "parse_policy",
]
