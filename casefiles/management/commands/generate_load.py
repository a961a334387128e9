from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Generate synthetic dossiers (and cards) across the five schemes for benchmarks. Needs load_demo (or load_schemes) first."

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, required=True)
        parser.add_argument("--cards", type=int, default=0)
        parser.add_argument("--applicants", type=int, default=20000)
        parser.add_argument("--generic", action="store_true", help="Also write guardian's generic permission rows (for comparison).")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, dossiers, cards, applicants, generic, seed, **options):
        import time

        from bench.loadgen import generate

        start = time.monotonic()
        made = generate(dossiers, cards=cards, applicants=applicants, generic=generic, seed=seed)
        elapsed = time.monotonic() - start
        self.stdout.write(self.style.SUCCESS(f"{made} dossiers in {elapsed:.1f}s ({made / elapsed:,.0f}/s)"))
