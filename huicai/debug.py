"""Error reports without personal data, even with ``DEBUG = True``.

Django's technical 500 page (and the e-mailed error report) shows every frame's local variables, the request's
GET/POST data, META, cookies, the settings and the exception text: for a failed query that is the SQL and its
parameters, i.e. an applicant's ID and phone numbers. :class:`PersonalDataReporterFilter` masks them in every
value it hands over and :class:`PersonalDataExceptionReporter` masks the page as a whole, both with
:func:`casefiles.masking.scrub_text` (the one masking module). Django's own filter is off under ``DEBUG``; this one
is always on, so ``@sensitive_variables`` and ``@sensitive_post_parameters`` are honoured in development too.
"""

from pprint import pformat

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter


def _scrub(text):
    from casefiles.masking import scrub_text

    return scrub_text(text)


class _Shown:
    """A frame variable as the page will show it: its masked ``repr`` (the page pretty-prints what it gets)."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _masked_repr(value):
    try:
        text = pformat(value)
    except Exception as exc:  # as django.template.defaultfilters.pprint does
        text = f"Error in formatting: {exc.__class__.__qualname__}: {exc}"
    return _Shown(_scrub(text))


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request):
        return True

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        return _scrub(cleansed) if type(cleansed) is str else cleansed

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if hasattr(parameters, "lists"):
            return {key: _scrub(str(values[0] if len(values) == 1 else values)) for key, values in parameters.lists()}
        return {key: _scrub(str(value)) for key, value in parameters.items()}

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, _masked_repr(value)) for name, value in super().get_traceback_frame_variables(request, tb_frame)]


class PersonalDataExceptionReporter(ExceptionReporter):
    """The technical 500 page and the error e-mail, masked as a whole: the exception text (a query's parameters),
    the URL, the query string and the template source are shown raw by Django's reporter."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        for key in ("exception_value", "exception_notes", "request_insecure_uri", "user_str"):
            if isinstance(data.get(key), str):
                data[key] = _scrub(data[key])
        if "request_GET_items" in data:
            data["request_GET_items"] = [(key, _scrub(str(value))) for key, value in data["request_GET_items"]]
        return data

    def get_traceback_html(self):
        return _scrub(super().get_traceback_html())

    def get_traceback_text(self):
        return _scrub(super().get_traceback_text())
