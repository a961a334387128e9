"""API routes of case files, one module per concern (each owns its own url list)."""

from django.urls import include, path

from .api import accounts

urlpatterns = [
    path("whoami/", accounts.whoami, name="api-whoami"),
]

for module in ("schemes", "dossiers", "cards", "opinions"):
    try:
        urlpatterns.append(path("", include(f"casefiles.api.{module}_urls")))
    except ModuleNotFoundError as exc:  # a concern not built yet
        if exc.name != f"casefiles.api.{module}_urls":
            raise
