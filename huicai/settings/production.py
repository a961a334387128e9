from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")  # noqa: F405
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]  # noqa: F405
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]  # noqa: F405

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)  # noqa: F405
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))  # noqa: F405
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)  # noqa: F405
# Staff confirm every sign-in with a second factor (huicai/twofactor); turning it off needs an explicit setting.
HUICAI_STAFF_SECOND_FACTOR = env_bool("HUICAI_STAFF_SECOND_FACTOR", True)  # noqa: F405
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")  # noqa: F405

# Sealed documents: every certificate, notice and announcement is signed by its department's key from a PKCS#12 file
# (casefiles/seals/keys.py, docs/DEPLOYMENT.md). A department without a usable key makes its documents fail with
# an error, never silently unsigned.
HUICAI_SIGNING_BACKEND = os.environ.get("HUICAI_SIGNING_BACKEND", "pkcs12")  # noqa: F405
HUICAI_SIGNING_REQUIRED = env_bool("HUICAI_SIGNING_REQUIRED", True)  # noqa: F405

try:
    from .local import *  # noqa: F403
except ImportError:
    pass
