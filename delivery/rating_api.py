"""JSON API of 好差评 (issue #20 items 3 and 6): the holder rates a completed service request once. The same action
as the portal (``ratings.RateServiceAction``); its refusals become 403 (not the holder), 409 (not completed, or
rated already) and 400 (a rating outside 1–5) through huicai/api/exceptions.py."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .ratings import COMMENT_MAX, RATING_MAX, RATING_MIN, RateServiceAction, rateable_by


class RatingIn(serializers.Serializer):
    rating = serializers.IntegerField(min_value=RATING_MIN, max_value=RATING_MAX, help_text="1 (poor) to 5 (good)")
    comment = serializers.CharField(max_length=COMMENT_MAX, required=False, allow_blank=True, default="")
    complaint = serializers.BooleanField(
        required=False, default=False, help_text="A complaint: the programme office looks into it and answers"
    )


class RatingOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The service request's id")
    rating = serializers.IntegerField()
    comment = serializers.CharField(source="rating_comment")
    rated_at = serializers.DateTimeField()
    feedback = serializers.IntegerField(
        source="feedback_id", allow_null=True, help_text="The feedback raised for the programme office, if any"
    )
    feedback_due = serializers.DateField(
        source="feedback.due_date", allow_null=True, default=None, help_text="When the programme office must answer"
    )


@extend_schema(
    operation_id="service_requests_rating_create",
    request=RatingIn,
    responses={200: RatingOut},
    summary="Rate a completed service",
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def rate(request, pk):
    found = rateable_by(request.user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    given = RatingIn(data=request.data)
    given.is_valid(raise_exception=True)
    data = given.validated_data
    rated = RateServiceAction(
        found, request.user, rating=data["rating"], comment=data["comment"], complaint=data["complaint"]
    ).execute()
    return Response(RatingOut(rated).data)
