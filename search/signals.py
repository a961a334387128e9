"""Published and unpublished policy pages reach the content index through the outbox."""

from wagtail.signals import page_published, page_unpublished

from . import outbox


def _queue_page(sender, instance, **kwargs):
    if sender._meta.app_label == "policypages":
        outbox.enqueue("page", instance.pk)


def connect():
    page_published.connect(_queue_page, dispatch_uid="huicai_search_page_published")
    page_unpublished.connect(_queue_page, dispatch_uid="huicai_search_page_unpublished")
