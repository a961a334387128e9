"""The experts' pages: their open requests for an opinion and the case file they are asked about."""

from django.urls import path

from .. import views_experts

urlpatterns = [
    path("expert/", views_experts.expert_requests, name="expert_requests"),
    path("expert/<int:pk>/", views_experts.expert_request, name="expert_request"),
]
