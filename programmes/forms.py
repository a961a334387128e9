from django import forms
from django.utils.translation import gettext_lazy as _

from casefiles.models import ServiceItem

from .models import FeedbackKind


class FeedbackForm(forms.Form):
    service_item = forms.ModelChoiceField(label=_("Service item"), queryset=ServiceItem.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=FeedbackKind.choices, widget=forms.RadioSelect, initial=FeedbackKind.QUESTION)
    text = forms.CharField(label=_("Your question, complaint or suggestion"), widget=forms.Textarea(attrs={"rows": 5}), min_length=5)
    contact_phone = forms.CharField(label=_("Phone for a call back (optional)"), max_length=40, required=False)

    def __init__(self, *args, scheme=None, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = ServiceItem.objects.select_related("scheme").order_by("scheme__slug", "order")
        if scheme is not None:
            queryset = queryset.filter(scheme=scheme)
        self.fields["service_item"].queryset = queryset
        self.fields["service_item"].label_from_instance = lambda s: f"{s.scheme.name} · {s.article} {s.title}"
