from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    """Releases each person's verified claims (settings.TEST_PEOPLE) under the scopes that carry them."""

    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "id_type": "identity",
        "id_number": "identity",
        "staff_account": "identity",
    }

    def get_additional_claims(self, request):
        return dict(settings.TEST_PEOPLE.get(request.user.username, {}).get("claims", {}))
