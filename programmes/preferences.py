"""Which event family a notification belongs to, and whether its recipient wants it by e-mail."""

from .models import NotificationFamily, NotificationPreference

# Event names are dotted (``dossier.submit``, ``card.remind``, ``feedback.assigned``); the first part names
# the family, except deadline reminders, which are their own family whatever they concern.
FAMILY_PREFIXES = (
    ("deadline.", NotificationFamily.DEADLINE),
    ("dossier.", NotificationFamily.DOSSIER),
    ("card.", NotificationFamily.CARD),
    ("feedback.", NotificationFamily.FEEDBACK),
    ("programme.", NotificationFamily.PROGRAMME),
)


def family_of(event):
    for prefix, family in FAMILY_PREFIXES:
        if event.startswith(prefix):
            return family
    return None


def email_wanted(user, event):
    family = family_of(event or "")
    if family is None or user.pk is None:
        return True
    row = NotificationPreference.objects.filter(user=user, family=family).values_list("email", flat=True).first()
    return True if row is None else row


def preferences_for(user):
    """[(family value, label, email on?)] for every family, defaults filled in."""
    stored = dict(NotificationPreference.objects.filter(user=user).values_list("family", "email"))
    return [(value, label, stored.get(value, True)) for value, label in NotificationFamily.choices]
