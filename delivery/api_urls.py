from django.urls import path

from . import api

urlpatterns = [
    path("service-requests/", api.requests, name="api-service-requests"),
    path("service-requests/<int:pk>/", api.request_detail, name="api-service-request-detail"),
    path("service-requests/<int:pk>/steps/", api.request_step, name="api-service-request-step"),
    path("service-queue/", api.unit_queue, name="api-service-queue"),
]
