"""Why a sign-in through the identity provider was refused: the message is shown on the sign-in page."""


class ProviderSignInRefused(Exception):
    """The provider vouched for someone Huicai will not sign in: a message for the person, no personal data in it."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code
