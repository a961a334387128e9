from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    """Sign-in through the region's identity provider (统一身份认证) with OpenID Connect: an applicant's name and
    ID number come from the provider's verified claims; an officer signs in to an account Huicai already has."""

    name = "identity"
    label = "identity"
    verbose_name = _("Identity provider")
    default_auto_field = "django.db.models.BigAutoField"
