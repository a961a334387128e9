"""JSON API of cards: public verification, the holder's and staff's card endpoints."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from huicai.api.pagination import paginated, paginated_schema

from ..models import Card, RevocationReason
from ..pdf import verification_token, verification_url
from ..selectors_cards import (
    card_for,
    card_for_number,
    card_for_token,
    card_services_usable,
    card_status,
    cards_visible_to,
    verification_payload,
)
from ..services import cards as services
from ..views_cards import VerifyNumberThrottle  # one throttle per scope: page and API count together
from ..views_cards import VerifyPageThrottle as VerifyThrottle


class VerificationSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    kind = serializers.CharField(help_text="valid, ended, lost or replaced")
    status = serializers.CharField()
    status_label = serializers.CharField()
    message = serializers.CharField()
    mark = serializers.CharField(allow_null=True, help_text="The mark on the certificate of a card not valid (作废…)")
    status_since = serializers.DateField(allow_null=True)
    article = serializers.CharField(help_text="The article the status rests on (empty for a valid card)")
    services_usable = serializers.BooleanField()
    scheme = serializers.CharField()
    jurisdiction = serializers.CharField()
    issuing_body = serializers.CharField()
    tier = serializers.CharField()
    number = serializers.CharField()
    holder = serializers.CharField(help_text="Masked name, e.g. 张*明")
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)
    services_end_on = serializers.DateField(allow_null=True)
    bank_services = serializers.BooleanField(allow_null=True)


@extend_schema(responses={200: VerificationSerializer}, summary="Verify a card from the code on its certificate or e-card")
@api_view(["GET"])
@permission_classes([AllowAny])
@throttle_classes([VerifyThrottle])
def verify(request, token):
    card = card_for_token(token)
    if card is None:
        raise NotFound(_("No card matches this code."))
    return Response(verification_payload(card))


class VerifyNumberSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    holder = serializers.CharField(
        max_length=100, help_text="The holder's name, or the last four characters of the ID number"
    )


@extend_schema(request=VerifyNumberSerializer, responses={200: VerificationSerializer},
               summary="Verify a card by its number and its holder's name (or the ID number's last four characters)")
@api_view(["POST"])
@permission_classes([AllowAny])
@throttle_classes([VerifyNumberThrottle])
def verify_number(request):
    given = VerifyNumberSerializer(data=request.data)
    given.is_valid(raise_exception=True)
    card = card_for_number(given.validated_data["number"], given.validated_data["holder"])
    if card is None:
        raise NotFound(_("No card matches this number and name."))
    return Response(verification_payload(card))


class CardEventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField(source="get_kind_display")
    article = serializers.CharField()
    effective_on = serializers.DateField()
    comment = serializers.CharField()


class UsableServiceSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Article and item numbers, e.g. 8.3")
    article = serializers.CharField(help_text="The article granting it, e.g. 第八条第（三）项")
    title = serializers.CharField()
    category = serializers.CharField()
    requested_by = serializers.CharField(
        help_text="Who asks for it: holder, employer (on the holder's behalf) or either (scheme data)"
    )


class CardSerializer(serializers.ModelSerializer):
    scheme = serializers.CharField(source="scheme.slug")
    tier = serializers.CharField(source="tier.name")
    status_label = serializers.CharField(source="get_status_display")
    employer = serializers.CharField(source="employer.name", default="")
    events = CardEventSerializer(many=True, read_only=True)
    ecard_url = serializers.SerializerMethodField(help_text="The holder's own e-card page (null for anyone else)")
    qr_payload = serializers.SerializerMethodField(
        help_text="What the e-card's QR code holds — the public verification URL — for an app to draw (holder only)"
    )

    services_usable = serializers.SerializerMethodField(
        help_text="Whether the card's services may be used today (holder only; null for anyone else)"
    )
    services = serializers.SerializerMethodField(
        help_text="The services the holder may use now, as the e-card lists them (holder only; null for anyone else)"
    )
    verification_url = serializers.SerializerMethodField(
        help_text="The public verification page of this card (holder only; null for anyone else)"
    )
    verification_api_url = serializers.SerializerMethodField(
        help_text="The same check as JSON: GET /api/v1/verify/<code>/ (holder only; null for anyone else)"
    )

    class Meta:
        model = Card
        fields = ["id", "number", "scheme", "tier", "holder_name", "employer", "status", "status_label", "valid_from",
                  "valid_until", "services_end_on", "bank_services", "retired_on", "events", "ecard_url", "qr_payload",
                  "services_usable", "services", "verification_url", "verification_api_url"]

    def _own(self, card):
        request = self.context.get("request")
        return request is not None and card.holder_id == request.user.pk

    def get_ecard_url(self, card) -> str | None:
        if not self._own(card):
            return None
        return self.context["request"].build_absolute_uri(reverse("card-ecard", args=[card.pk]))

    def get_qr_payload(self, card) -> str | None:
        return verification_url(card) if self._own(card) else None

    def _state(self, card):
        cache = self.context.setdefault("_card_states", {})
        if card.pk not in cache:
            cache[card.pk] = card_status(card)
        return cache[card.pk]

    def get_services_usable(self, card) -> bool | None:
        return self._state(card)["services_usable"] if self._own(card) else None

    @extend_schema_field(UsableServiceSerializer(many=True, allow_null=True))
    def get_services(self, card):
        if not self._own(card):
            return None
        usable = card_services_usable(card, self._state(card))
        return [{"id": s.ref, "article": s.article, "title": s.title, "category": s.category,
                 "requested_by": s.requested_by} for s in usable]  # fmt: skip

    def get_verification_url(self, card) -> str | None:
        return verification_url(card) if self._own(card) else None

    def get_verification_api_url(self, card) -> str | None:
        if not self._own(card):
            return None
        return self.context["request"].build_absolute_uri(reverse("api-card-verify", args=[verification_token(card)]))


def _card(request, pk):
    try:
        return card_for(request.user, pk)
    except Card.DoesNotExist:
        raise NotFound() from None


def _run(call):
    """The service's errors become 400 / 403 / 409 in huicai/api/exceptions.py (casefiles/errors.py)."""
    return call()


@extend_schema(operation_id="cards_list", responses={200: paginated_schema(CardSerializer)},
               summary="Cards the caller may see")
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def card_list(request):
    cards = cards_visible_to(request.user).select_related("scheme", "tier", "employer").prefetch_related("events")
    return paginated(request, None, cards.order_by("pk"),
                     lambda page: CardSerializer(page, many=True, context={"request": request}).data)


@extend_schema(responses={200: CardSerializer}, summary="One card with its history")
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def card_detail(request, pk):
    return Response(CardSerializer(_card(request, pk), context={"request": request}).data)


@extend_schema(request=inline_serializer("LossReport", {"comment": serializers.CharField(required=False)}),
               responses={200: CardSerializer}, summary="Report the card lost (holder)")
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def report_loss(request, pk):
    card = _card(request, pk)
    _run(lambda: services.card_report_loss(card=card, user=request.user, comment=request.data.get("comment", "")))
    return Response(CardSerializer(_card(request, pk), context={"request": request}).data)


@extend_schema(request=inline_serializer("RevocationRequestIn", {"reason": serializers.CharField(), "comment": serializers.CharField()}),
               responses={201: inline_serializer("RevocationRequestOut", {"id": serializers.IntegerField(), "status": serializers.CharField()})},
               summary="Request (propose) that the card ends — holder or employer, as the reason's article allows")
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def request_revocation(request, pk):
    card = _card(request, pk)
    reason = RevocationReason.objects.filter(scheme=card.scheme, ref=request.data.get("reason", "")).first()
    if reason is None:
        raise ValidationError({"reason": "Unknown reason."})
    created = _run(lambda: services.card_request_revocation(card=card, reason=reason, user=request.user,
                                                             comment=request.data.get("comment", "")))
    return Response({"id": created.pk, "status": created.status}, status=201)
