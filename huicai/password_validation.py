"""Password validators whose messages read well in Chinese.

Django 5.2's MinimumLengthValidator words its error with ``%d``, a msgid Django's own zh-Hans catalogue
does not carry yet (it still has the older ``%(min_length)d`` wording), so the message appeared in English.
"""

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return ngettext(
            "This password is too short: it must have at least %(min_length)d character.",
            "This password is too short: it must have at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
