"""Import a policy document from plain text into its scheme's section: ``import_policy FILE --scheme SLUG``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casefiles.models import Scheme
from policypages import services
from policypages.demo import ensure_home_page, ensure_scheme_section
from policypages.importer import PolicyParseError


class Command(BaseCommand):
    help = "Parse a plain-text policy (办法/细则/规定) into articles and items and create or update its page."

    def add_arguments(self, parser):
        parser.add_argument("file", help="UTF-8 text file of the policy")
        parser.add_argument("--scheme", required=True, help="slug of the scheme the policy defines")
        parser.add_argument("--publish", action="store_true", help="publish (or schedule) the new revision")
        parser.add_argument("--title", default=None, help="the policy's title, when the text has none")

    def handle(self, *args, file, scheme, publish, title, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        scheme_row = Scheme.objects.filter(slug=scheme).first()
        if scheme_row is None:
            raise CommandError(f"unknown scheme {scheme!r}")
        section = ensure_scheme_section(ensure_home_page(), scheme_row)
        try:
            result = services.policy_import(
                section=section, text=text, title=title, publish=publish, source_name=path.name
            )
        except PolicyParseError as exc:
            raise CommandError(f"{path.name}: {exc.message}") from exc

        page, parsed = result.page, result.parsed
        action = "created" if result.created else ("updated" if result.changed else "unchanged")
        self.stdout.write(f"《{page.title}》 {action}: {page.url_path}")
        self.stdout.write(
            f"  {len(parsed.chapters)} chapters, {result.article_count} articles, {result.item_count} items"
        )
        for label, value in (
            ("issuer", parsed.issuer),
            ("document number", parsed.document_number),
            ("issue date", parsed.issue_date),
            ("effective date", parsed.effective_date),
            ("expiry date", parsed.expiry_date),
        ):
            self.stdout.write(f"  {label}: {value if value else '—'}")
        if result.published:
            self.stdout.write(self.style.SUCCESS("  published"))
        elif result.scheduled:
            self.stdout.write(self.style.SUCCESS(f"  scheduled to go live at {page.go_live_at:%Y-%m-%d}"))
        elif result.changed:
            self.stdout.write("  saved as a draft revision")
        if result.problems:
            self.stdout.write(self.style.WARNING(f"  {len(result.problems)} problems the importer did not resolve:"))
            for message in result.problems:
                self.stdout.write(f"    - {message}")
