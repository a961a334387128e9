"""Keep personal data out of logs.

Every log record passes through :class:`PersonalDataFilter`, which masks anything shaped like a
resident ID number or a mainland mobile number before a handler formats it. Masking lives in
:mod:`casefiles.masking` so that notices, verification pages and logs apply the same rules.
"""

import logging


class PersonalDataFilter(logging.Filter):
    def filter(self, record):
        from casefiles.masking import scrub_text

        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug; leave the record alone
            return True
        scrubbed = scrub_text(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        # Tracebacks carry exception texts and template contexts (a request's path, a dossier's fields):
        # format them once here, masked; handlers print ``exc_text`` when it is set.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_text(record.stack_info)
        return True
