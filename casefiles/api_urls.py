from django.urls import path

from . import api

urlpatterns = [
    path("whoami/", api.whoami, name="api-whoami"),
]
