"""Wagtail admin for case files: each concern registers its own viewsets and menu items."""

from importlib import import_module

MODULES = (
    "schemes", "scheme_files", "jobs", "dossiers", "documents", "cards", "cards_actions", "calendar", "opinions", "notices",
    "workbench", "seals",
)
for module in MODULES:
    try:
        import_module(f"casefiles.adminviews.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"casefiles.adminviews.{module}":
            raise
