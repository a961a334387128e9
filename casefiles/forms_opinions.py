"""The answer to a request for an opinion: agree, or object with a reason (admin, expert page)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class OpinionAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Your opinion"), widget=forms.RadioSelect, choices=[("agree", _("Agree")), ("object", _("Object"))]
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    confirm = forms.BooleanField(label=_("I confirm this opinion; it cannot be changed afterwards."), required=True)

    def clean(self):
        data = super().clean()
        if data.get("answer") == "object" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Please give the reason for your objection."))
        return data
