from django.urls import path

from . import views

urlpatterns = [
    path("schemes/<slug:slug>/commissioners/", views.commissioners, name="programmes-commissioners"),
    path("schemes/<slug:slug>/catalogue-changes/", views.catalogue_changes, name="programmes-catalogue-changes"),
    path("feedback/", views.feedback_list, name="programmes-feedback"),
    path("feedback/new/", views.feedback_new, name="programmes-feedback-new"),
    path("feedback/<int:pk>/", views.feedback_detail, name="programmes-feedback-detail"),
    path("inbox/", views.inbox, name="programmes-inbox"),
    path("inbox/read/", views.inbox_read, name="programmes-inbox-read"),
    path("inbox/<int:pk>/", views.inbox_open, name="programmes-inbox-open"),
    path("inbox/preferences/", views.preferences, name="programmes-preferences"),
]
