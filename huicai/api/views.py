from django.contrib.auth import SESSION_KEY, authenticate
from django.contrib.auth import logout as auth_logout
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from ..accounts import clear_site_data
from ..twofactor.policy import second_factor_required
from ..twofactor.services import SecondFactorRefused, second_factor_check
from .authentication import revoke_tokens, token_expires, token_for
from .exceptions import error_response


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("Username"))
    password = serializers.CharField(label=_("Password"), style={"input_type": "password"})
    # Accounts that must confirm sign-ins with a second factor (huicai/twofactor) give its code here too.
    otp_code = serializers.CharField(label=_("Second-factor code"), required=False, allow_blank=True)


@extend_schema(
    request=TokenRequestSerializer,
    responses={
        200: inline_serializer("TokenResponse", {"token": serializers.CharField(), "expires": serializers.DateTimeField()})
    },
    summary="Obtain an API token",
    description="The caller's token while it is valid, else a new one. It expires at `expires` (a fixed lifetime, "
    "`HUICAI_API_TOKEN_TTL`), at logout, at a password change and when the account is deactivated.",
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([])
@throttle_classes([AnonRateThrottle])
def obtain_token(request):
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    user = authenticate(
        request._request,
        username=serializer.validated_data["username"],
        password=serializer.validated_data["password"],
    )
    if user is None or not user.is_active:
        return error_response(401, _("Wrong username or password."), code="invalid_credentials")
    if second_factor_required(user):
        try:
            second_factor_check(user=user, code=serializer.validated_data.get("otp_code", ""))
        except SecondFactorRefused as exc:
            return error_response(401, exc.message, code="second_factor_required")
    token = token_for(user)
    return Response({"token": token.key, "expires": token_expires(token)})


@extend_schema(
    request=None,
    responses={204: None},
    summary="Log out: end the caller's API token",
    description="Deletes the caller's token (and ends the session of a browser signed in to the site).",
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def logout(request):
    revoke_tokens(request.user)
    if request.session.get(SESSION_KEY):
        auth_logout(request._request)
    return clear_site_data(Response(status=204))
