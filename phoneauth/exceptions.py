class PhoneSignInError(Exception):
    """A refusal to show the applicant: ``message`` is translated, ``field`` the form field it is about."""

    status = 400

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidPhone(PhoneSignInError):
    pass


class InvalidCode(PhoneSignInError):
    pass


class TooManyRequests(PhoneSignInError):
    status = 429


class SmsUnavailable(PhoneSignInError):
    status = 503
