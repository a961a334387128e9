import sys
import time

from django.core.management.base import BaseCommand

from search import service


class Progress:
    """A one-line progress bar on stderr (no dependency)."""

    def __init__(self, stream, width=30):
        self.stream, self.width, self.started = stream, width, time.monotonic()

    def __call__(self, done, total, label):
        now = time.monotonic()
        if done < total and now - getattr(self, "last", 0) < 0.2:
            return
        self.last = now
        total = max(total, 1)
        filled = int(self.width * min(done, total) / total)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        self.stream.write(f"\r{label:9} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {rate:,.0f}/s ")
        if done >= total:
            self.stream.write("\n")
            self.started = time.monotonic()
        self.stream.flush()


class Command(BaseCommand):
    help = "Rebuild the search index from the database (Elasticsearch: new indices swapped in by alias)."

    def add_arguments(self, parser):
        parser.add_argument("--seeds", action="store_true",
                            help="index the seed policy texts as content (while no policy pages exist)")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, seeds=False, quiet=False, **options):
        from search.documents import page_content_documents, seed_content_documents

        content = page_content_documents()
        if seeds:
            content = seed_content_documents()
        started = time.monotonic()
        stats = service.reindex_all(progress=None if quiet else Progress(sys.stderr), content_docs=content)
        self.stdout.write(
            f"{service.get_backend().name}: {stats['content']} content units, {stats['dossiers']} dossiers "
            f"in {time.monotonic() - started:.1f}s"
        )
