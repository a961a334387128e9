from django.urls import path

from . import cards

urlpatterns = [
    path("verify/", cards.verify_number, name="api-card-verify-number"),
    path("verify/<str:token>/", cards.verify, name="api-card-verify"),
    path("cards/", cards.card_list, name="api-card-list"),
    path("cards/<int:pk>/", cards.card_detail, name="api-card-detail"),
    path("cards/<int:pk>/report-loss/", cards.report_loss, name="api-card-report-loss"),
    path("cards/<int:pk>/revocation-requests/", cards.request_revocation, name="api-card-request-revocation"),
]
