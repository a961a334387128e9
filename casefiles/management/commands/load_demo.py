from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from casefiles.demo import DEFAULT_DEMO_PASSWORD

# Each app contributes its demo step; they run in this order and each is idempotent.
DEMO_STEPS = [
    "casefiles.demo.load_schemes_and_users",
    "policypages.demo.load_pages",
    "casefiles.demo_dossiers.load_dossiers",
    "casefiles.demo_cards.load_cards",
    "programmes.demo.load_programmes",
]


class Command(BaseCommand):
    help = "Load demo data for all five schemes: rules, departments, users, pages, dossiers and cards."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_DEMO_PASSWORD, help="Password of every demo user.")

    def handle(self, *args, password, **options):
        users = []
        for dotted in DEMO_STEPS:
            self.stdout.write(f"· {dotted}")
            step = import_string(dotted)
            result = step(password=password, stdout=self.stdout)
            if dotted.endswith("load_schemes_and_users"):
                users = result
        self.stdout.write(self.style.SUCCESS(f"Demo users ({len(users)}), password: {password}"))
        for username, description in users:
            self.stdout.write(f"  {username:32} {description}")
