from django import forms
from django.utils.translation import gettext_lazy as _


class RequestForm(forms.Form):
    service = forms.IntegerField(widget=forms.HiddenInput)
    detail = forms.CharField(
        label=_("Note for the unit (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StepForm(forms.Form):
    step = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Reason or note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    article = forms.CharField(label=_("Article"), required=False, max_length=100)
    expected_state = forms.CharField(widget=forms.HiddenInput, required=False)
    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)
