"""Template filters for text of case files."""

from django import template

register = template.Library()


@register.filter
def well_formed(value):
    """``value`` as text with any lone surrogate shown as U+FFFD: a row stored before input was checked (see
    huicai/api/parsers.py and casefiles/validation.py) must still render instead of failing the whole page."""
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text
