from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicypagesConfig(AppConfig):
    name = "policypages"
    verbose_name = _("Policy pages")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import cache

        cache.connect_signals()  # publishing, moving or deleting pages clears the public page cache

        from wagtail.signals import page_published

        from .models import ServiceGuidePage

        page_published.connect(_guide_published, sender=ServiceGuidePage, dispatch_uid="huicai-guide-permissions")

        from .announcements import ExitAnnouncementPage

        page_published.connect(
            _announcement_published, sender=ExitAnnouncementPage, dispatch_uid="huicai-announcement-pdf"
        )


def _guide_published(sender, instance, **kwargs):
    """A guide published by any path (the generator, a catalogue change) is editable by its own responsible units."""
    from . import services

    services.guide_permissions_ensure(guides=type(instance).objects.filter(pk=instance.pk))


def _announcement_published(sender, instance, **kwargs):
    """The worker renders the PDF of each published revision of an exit announcement, so no visitor waits for it."""
    instance.pdf_build()
