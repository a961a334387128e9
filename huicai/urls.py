from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from policypages import routing

from .accounts import AdminLogoutView, LogoutView, ThrottledPasswordResetView, django_admin_logout

urlpatterns = [
    # Every logout answer carries Clear-Site-Data (huicai.accounts): these come before the admins' own routes.
    path("django-admin/logout/", django_admin_logout, name="django_admin_logout"),
    path("django-admin/", admin.site.urls),
    # Before Wagtail's own route of the same path and name: the "forgot password" form, rate-limited.
    path("admin/password_reset/", ThrottledPasswordResetView.as_view(), name="wagtailadmin_password_reset"),
    path("admin/logout/", AdminLogoutView.as_view(), name="wagtailadmin_logout"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", include("huicai.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="account/login.html"), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", include("huicai.twofactor.urls")),  # officers' second factor
    path("", include("phoneauth.urls")),  # sign-up and sign-in by mobile number with an SMS code
    # Sign-in through the identity provider (identity/): 404 unless it is configured.
    path("oidc/", include("identity.urls")),
    path("sitemap.xml", sitemap),
    path("search/", include("search.urls")),
    path("", include("programmes.urls")),
    path("", include("delivery.report_urls")),  # 好差评 and the public delivery report
    path("", include("delivery.urls")),
    path("", include("casefiles.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves every path not matched above; it must stay last. Its page view is wrapped by
# policypages.routing.serve (same pattern and name), which remembers routes between publishes.
urlpatterns += [
    path("", include([pattern for pattern in wagtail_urls.urlpatterns if pattern.name != "wagtail_serve"])),
    re_path(wagtail_urls.serve_pattern, routing.serve, name="wagtail_serve"),
]
