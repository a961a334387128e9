"""Template filters that make the staff dossier page read as words (issue #19 item 2): people by their real names,
dates in the reader's language, yes/no for booleans and a word for an empty value."""

from django import template
from django.utils.translation import gettext as _

from ..eligibility import FACT_LABELS
from ..journal_text import when_text
from ..selectors_opinions import person_name

register = template.Library()


@register.filter
def person(user, dossier=None):
    """The real name of ``user``; 申请人 or 工作人员 when the account carries none, 系统 for no one. Never a login."""
    if user is None:
        return _("The system")
    if dossier is not None and user.pk == dossier.applicant_id:
        return dossier.applicant_name or _("The applicant")  # the name the dossier was filed under
    return person_name(user) or _("A staff member")


@register.filter
def when(value):
    """A date or time as people write it: 2026年12月4日 10:32 (a date alone without the time)."""
    return when_text(value) or _("Not given")


@register.filter
def word(value):
    """是 / 否 for a boolean, 未填写 for an empty value, else the value itself."""
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if value is None or value == "" or value == [] or value == {}:
        return _("Not given")
    return value


@register.filter
def fact_label(code):
    """The label of a declared fact (eligibility.FACT_LABELS); the code itself only for a fact no label names."""
    return FACT_LABELS.get(code, code)


@register.filter
def missing_materials(rows):
    """The names of the materials still missing, from the checklist rows of ``selectors_materials.materials_status``."""
    return [row["material"].name for row in rows or () if row.get("missing")]
