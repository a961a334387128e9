from django.urls import path

from . import opinions

urlpatterns = [
    path("opinion-requests/", opinions.OpinionRequestList.as_view(), name="api-opinion-requests"),
    path(
        "opinion-requests/<int:pk>/answer/", opinions.OpinionRequestAnswer.as_view(), name="api-opinion-request-answer"
    ),
    path("dossiers/<int:pk>/experts/", opinions.DossierExperts.as_view(), name="api-dossier-experts"),
]
