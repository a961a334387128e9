from django.urls import path

from .. import views_selfcheck

urlpatterns = [
    path("self-check/", views_selfcheck.self_check_index, name="self-check-index"),
    path("schemes/<slug:slug>/self-check/", views_selfcheck.self_check, name="scheme-self-check"),
]
