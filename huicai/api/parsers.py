"""The API's JSON parser: a body is refused with a 400 in Chinese *before any view runs* when it is

* larger than ``HUICAI_API_MAX_JSON_BYTES`` (read no further than the limit),
* not UTF-8, or not JSON (DRF's own ``parse_error``; ``NaN``/``Infinity`` are not JSON either),
* not well-formed Unicode: a lone surrogate (``"\\ud800"``) in any key or value, which Python's ``json``
  accepts but no database, renderer or template can store or show,
* nested deeper than ``HUICAI_API_MAX_JSON_DEPTH`` (a 5,000-deep array would otherwise exhaust the
  interpreter's recursion limit while parsing, validating or rendering).

Form and multipart bodies need no such parser: Django decodes them with replacement characters, so they can
never carry a lone surrogate, and DATA_UPLOAD_MAX_* bound their size.
"""

import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json

from huicai.text import is_well_formed

DEFAULT_MAX_BYTES = 256 * 1024
DEFAULT_MAX_DEPTH = 16

# The characters that matter for nesting: an escape pair (two characters, so an escaped quote never ends a
# string), a quote, a bracket. Every match has a fixed length, so one scan is linear in the text.
_TOKEN_RE = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


class InvalidJSON(APIException):
    """400 with a code naming what is wrong with the body (``invalid_unicode``, ``too_deep``, ``too_large``)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_json"

    def __init__(self, message, code):
        super().__init__(message, code)


def max_bytes():
    return getattr(settings, "HUICAI_API_MAX_JSON_BYTES", DEFAULT_MAX_BYTES)


def max_depth():
    return getattr(settings, "HUICAI_API_MAX_JSON_DEPTH", DEFAULT_MAX_DEPTH)


def too_large(limit):
    return InvalidJSON(
        _("The request body is too large (at most %(kb)s KB).") % {"kb": limit // 1024}, "too_large"
    )


def too_deep(limit):
    return InvalidJSON(
        _("The request nests lists or objects too deeply (at most %(depth)s levels).") % {"depth": limit},
        "too_deep",
    )


def invalid_unicode():
    return InvalidJSON(
        _("The request contains text that is not valid Unicode (a lone surrogate)."),
        "invalid_unicode",
    )


def text_nesting_depth(text, limit=None):
    """How deeply the arrays and objects of a JSON text nest, counted without parsing: one linear pass that
    tracks whether it is inside a string (brackets in a string are text), with no recursion and no
    backtracking. With ``limit``, it stops as soon as the depth passes it (the answer is then ``limit + 1``)."""
    depth = deepest = 0
    in_string = False
    for match in _TOKEN_RE.finditer(text):
        token = match.group()
        if len(token) == 2:
            if in_string:
                continue  # an escape pair: an escaped quote does not end the string
            token = token[1]  # outside a string a backslash escapes nothing (and is not JSON)
        if token == '"':
            in_string = not in_string
        elif in_string or token not in "[]{}":
            continue  # a bracket inside a string is text
        elif token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if limit is not None and deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def check_value(value, limit=None):
    """Walk a parsed JSON value (iteratively) and raise :class:`InvalidJSON` for a lone surrogate in any key
    or string, or nesting deeper than ``limit``. Used by the parser; usable on any JSON a caller hands in."""
    limit = max_depth() if limit is None else limit
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not is_well_formed(item):
                raise invalid_unicode()
        elif isinstance(item, dict | list):
            if depth + 1 > limit:
                raise too_deep(limit)
            if isinstance(item, dict):
                for key, child in item.items():
                    if isinstance(key, str) and not is_well_formed(key):
                        raise invalid_unicode()
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with limits on size, depth and Unicode; the default parser of the API."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_bytes()
        request = (parser_context or {}).get("request")
        if request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except (TypeError, ValueError):
                declared = 0
            if declared > limit:
                raise too_large(limit)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large(limit)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(_("The request body is not valid UTF-8 text.")) from exc
        depth_limit = max_depth()
        if text_nesting_depth(text, depth_limit) > depth_limit:
            raise too_deep(depth_limit)
        try:
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError as exc:  # the pre-scan keeps deep text out; kept as a last guard
            raise too_deep(depth_limit) from exc
        except ValueError as exc:
            raise ParseError(_("The request body is not valid JSON.")) from exc
        check_value(data, depth_limit)
        return data
