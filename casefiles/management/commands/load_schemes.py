from django.core.management.base import BaseCommand, CommandError

from casefiles.schemes.loader import SCHEME_SLUGS, SchemeDataError, schemes_load
from casefiles.validation import scheme_validate


class Command(BaseCommand):
    help = "Load scheme rules from casefiles/schemes/<slug>.yaml (all five by default), then check them."

    def add_arguments(self, parser):
        parser.add_argument(
            "slugs", nargs="*", metavar="slug", help=f"Schemes to load (default: {' '.join(SCHEME_SLUGS)})"
        )
        parser.add_argument("--strict", action="store_true", help="Fail when a loaded scheme has problems.")

    def handle(self, *args, slugs, strict, **options):
        try:
            schemes = schemes_load(slugs or SCHEME_SLUGS)
        except SchemeDataError as exc:
            raise CommandError(str(exc)) from None
        failed = 0
        for scheme in schemes:
            problems = scheme_validate(scheme)
            counts = (
                f"{scheme.tiers.count()} tiers, {scheme.criteria.count()} criteria, "
                f"{scheme.services.count()} services, "
                f"{scheme.revocation_reasons.count()} exit reasons, {scheme.states.count()} workflow states"
            )
            if problems:
                failed += 1
                heading = f"{scheme.slug}: {scheme.name} ({counts}), {len(problems)} problem(s)"
                self.stdout.write(self.style.WARNING(heading))
                for problem in problems:
                    self.stdout.write(f"  - {problem}")
            else:
                self.stdout.write(self.style.SUCCESS(f"{scheme.slug}: {scheme.name} ({counts}), OK"))
        if failed and strict:
            raise CommandError(f"{failed} scheme(s) with problems")
