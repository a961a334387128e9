"""API routes of the public pages' content (mounted under /api/v1/ by huicai/api/urls.py)."""

from django.urls import path

from .api import notices, policies

urlpatterns = [
    path("policies/", policies.PolicyListView.as_view(), name="api-policy-list"),
    path("policies/<slug:scheme>/", policies.PolicyDetailView.as_view(), name="api-policy-detail"),
    path("policies/<slug:scheme>/articles/<str:citation>/", policies.PolicyUnitView.as_view(), name="api-policy-unit"),
    path("policies/<slug:scheme>/revisions/", policies.PolicyRevisionListView.as_view(), name="api-policy-revisions"),
    path(
        "policies/<slug:scheme>/revisions/<int:revision>/",
        policies.PolicyRevisionView.as_view(),
        name="api-policy-revision",
    ),
    path(
        "policies/<slug:scheme>/revisions/<int:revision>/articles/<str:citation>/",
        policies.PolicyRevisionUnitView.as_view(),
        name="api-policy-revision-unit",
    ),
    path("notices/", notices.NoticeListView.as_view(), name="api-notice-list"),
    path("notices/public-notices/<int:pk>/", notices.PublicNoticeView.as_view(), name="api-public-notice"),
    path("notices/exit-announcements/<int:pk>/", notices.ExitAnnouncementView.as_view(), name="api-exit-announcement"),
    path("notices/catalogue-changes/", notices.CatalogueChangeListView.as_view(), name="api-catalogue-changes"),
]
