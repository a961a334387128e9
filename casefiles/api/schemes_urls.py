from django.urls import path

from . import schemes

urlpatterns = [
    path("schemes/", schemes.SchemeListView.as_view(), name="api-scheme-list"),
    path("schemes/<slug:slug>/", schemes.SchemeDetailView.as_view(), name="api-scheme-detail"),
    path("eligibility/", schemes.EligibilityView.as_view(), name="api-eligibility"),
]
