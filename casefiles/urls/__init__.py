"""Public and portal pages of case files, one module per concern."""

from importlib import import_module

urlpatterns = []
for module in ("selfcheck", "portal", "cards", "experts", "notices"):
    try:
        urlpatterns += import_module(f"casefiles.urls.{module}").urlpatterns
    except ModuleNotFoundError as exc:
        if exc.name != f"casefiles.urls.{module}":
            raise
