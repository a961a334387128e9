from django.urls import path

from .views import ProviderSignInCallback, ProviderSignInStart

# The names mozilla-django-oidc reverses (OIDC_AUTHENTICATION_CALLBACK_URL's default).
urlpatterns = [
    path("authenticate/", ProviderSignInStart.as_view(), name="oidc_authentication_init"),
    path("callback/", ProviderSignInCallback.as_view(), name="oidc_authentication_callback"),
]
