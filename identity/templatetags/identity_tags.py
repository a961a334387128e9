from django import template

from ..selectors import provider_sign_in_enabled

register = template.Library()


@register.inclusion_tag("identity/provider_sign_in.html", takes_context=True)
def provider_sign_in(context, next_url=""):
    """The "sign in through the identity provider" link, where the provider is configured."""
    return {"enabled": provider_sign_in_enabled(), "next": next_url or context.get("next", "")}
