"""The public notice page (公示) and objections from the public (casefiles/views_notices.py)."""

from django.urls import path

from .. import views_notices

urlpatterns = [
    path("public-notices/", views_notices.public_notice_list, name="public-notice-list"),
    path("public-notices/objection-sent/", views_notices.public_objection_sent, name="public-notice-objection-sent"),
    path(
        "public-notices/<int:notice_pk>/candidates/<int:dossier_pk>/objection/",
        views_notices.public_objection,
        name="public-notice-objection",
    ),
]
