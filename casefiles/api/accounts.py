"""JSON API of case files; views stay thin and call selectors and services."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ..selectors import roles_for


@extend_schema(
    responses={
        200: inline_serializer(
            "WhoAmI",
            {
                "username": serializers.CharField(),
                "roles": serializers.ListField(child=serializers.CharField()),
                "departments": serializers.ListField(child=serializers.CharField()),
            },
        )
    },
    summary="The caller's identity, roles and departments",
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def whoami(request):
    user = request.user
    return Response(
        {
            "username": user.get_username(),
            "roles": sorted(roles_for(user)),
            "departments": [m.department.group.name for m in user.memberships.select_related("department__group")],
        }
    )
