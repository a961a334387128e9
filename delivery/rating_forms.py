"""The 好差评 form of the portal: five choices with words, a comment, and whether it is a complaint."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .ratings import COMMENT_MAX, RATING_MAX, RATING_MIN

RATING_WORDS = {
    1: _("1 — very dissatisfied"),
    2: _("2 — dissatisfied"),
    3: _("3 — fair"),
    4: _("4 — satisfied"),
    5: _("5 — very satisfied"),
}


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with this service?"),
        choices=[(n, RATING_WORDS[n]) for n in range(RATING_MAX, RATING_MIN - 1, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    complaint = forms.BooleanField(
        label=_("This is a complaint: the programme office should look into it and answer me"), required=False
    )
