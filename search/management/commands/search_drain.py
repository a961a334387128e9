import time

from django.core.management.base import BaseCommand

from search import service


class Command(BaseCommand):
    help = "Index the rows waiting in the search outbox, in bulk; with --loop, keep doing it."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument("--loop", action="store_true", help="run until interrupted")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds to wait when the outbox is empty")

    def handle(self, *args, batch, loop, interval, **options):
        failures = 0
        while True:
            stats = service.drain_outbox(batch=batch)
            if stats["indexed"] or stats["failed"]:
                self.stdout.write(
                    f"indexed {stats['indexed']}, failed {stats['failed']}, remaining {stats['remaining']}"
                )
            failures = failures + 1 if stats["failed"] and not stats["indexed"] else 0
            if not loop:
                if stats["remaining"] and stats["indexed"]:
                    continue  # drain everything that can be drained now
                return
            if stats["remaining"] and not failures:
                continue
            # Back off while the engine is down (up to a minute), poll gently while idle.
            time.sleep(min(60.0, interval * (2 ** min(failures, 5))) if failures else interval)
