"""Template filters for text of case files."""

from django import template

from huicai.text import well_formed_text

register = template.Library()


@register.filter
def well_formed(value):
    """``value`` as text with any lone surrogate shown as U+FFFD: a row stored before input was checked (see
    huicai/api/parsers.py and casefiles/validation.py) must still render instead of failing the whole page."""
    return well_formed_text(str(value))
