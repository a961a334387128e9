"""API route of 好差评 (included from huicai/api/urls.py)."""

from django.urls import path

from . import rating_api

urlpatterns = [
    path("service-requests/<int:pk>/rating/", rating_api.rate, name="api-service-request-rating"),
]
