"""Version 1 of the JSON API. Each app contributes its routes through its own ``api_urls`` module."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("auth/token/", views.obtain_token, name="api-token"),
    path("auth/logout/", views.logout, name="api-logout"),
    path("", include("search.api_urls")),
    path("", include("casefiles.api_urls")),
    path("", include("delivery.api_urls")),
    path("", include("delivery.rating_api_urls")),
    path("", include("policypages.api_urls")),
]
