from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """An administrator's entry for a day the packaged Chinese calendar does not (yet) know.

    Entries here override ``chinese_calendar``; a year listed in ``CalendarYear`` is complete: every day
    not listed as a holiday or a make-up working day follows the weekday rule.
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'班' if self.is_working_day else '休'} {self.note}"


class CalendarYear(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    published = models.BooleanField(
        _("holiday arrangement entered"), default=True, help_text=_("All holidays and make-up days of the year are entered.")
    )

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)
