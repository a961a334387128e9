from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The JSON API's plumbing (no models): token lifetime and revocation (``huicai.api.authentication``)."""

    name = "huicai.api"
    label = "huicai_api"
    verbose_name = "API"

    def ready(self):
        from .authentication import connect_signals

        connect_signals()
