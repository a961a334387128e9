"""Wagtail admin for case files: each concern registers its own viewsets and menu items."""

from importlib import import_module

for module in ("schemes", "scheme_files", "jobs", "dossiers", "cards", "cards_actions", "calendar", "opinions", "notices"):
    try:
        import_module(f"casefiles.adminviews.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"casefiles.adminviews.{module}":
            raise
