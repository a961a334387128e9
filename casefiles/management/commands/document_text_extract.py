"""Queue text extraction for every document version still waiting for it (after migration 0009, which turned the
existing attachments into version 1 of their documents, or after a worker outage). The worker does the work."""

from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Queue full-text extraction of the document versions whose text is not yet extracted."

    def handle(self, *args, **options):
        from casefiles.models import Attachment, TextStatus
        from casefiles.tasks import extract_document_text
        from huicai.background import enqueue_with_transaction

        ids = list(Attachment.objects.filter(text_status=TextStatus.PENDING).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), 500):
            with transaction.atomic():
                for version_id in ids[start : start + 500]:
                    enqueue_with_transaction(extract_document_text, version_id=version_id)
        self.stdout.write(f"queued: {len(ids)} versions")
