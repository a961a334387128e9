from django import forms
from django.utils.translation import gettext_lazy as _


class PhoneCodeForm(forms.Form):
    """Mobile number and, once sent, the code. One form with two buttons: no script needed on a phone."""

    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "13800000000"}),
    )
    code = forms.CharField(
        label=_("Verification code"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
    )


class PhoneSignUpForm(PhoneCodeForm):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)

    field_order = ["name", "phone", "code"]
