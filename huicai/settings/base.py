"""Settings shared by every environment.

Configuration that differs between machines comes from the environment:
``DATABASE_URL``, ``ELASTICSEARCH_URL``, ``SECRET_KEY``, ``HUICAI_PRIVATE_ROOT`` (attachments and
generated PDFs, never under ``media/``), ``HUICAI_MEDIA_ROOT`` and ``HUICAI_STATIC_ROOT``.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


INSTALLED_APPS = [
    "casefiles",
    "policypages",
    "search",
    "programmes",
    "delivery",  # service requests and the responsible units' work orders (issue #20)
    "identity",  # sign-in through the identity provider (统一身份认证, OpenID Connect), verified identities
    "phoneauth",  # applicants' sign-up and sign-in by mobile number with SMS one-time codes
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "huicai.api",  # token lifetime and revocation (huicai/api/authentication.py)
    "drf_spectacular",
    "django_tasks_db",  # background tasks as database rows, run by `manage.py db_worker` (huicai/background.py)
    "guardian",
    "axes",
    "django_otp",  # officers' second factor (huicai/twofactor): authenticator apps and recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "huicai.twofactor",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (by path: public, admin, API docs) and Permissions-Policy.
    "huicai.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "huicai.middleware.LanguageMiddleware",
    # 长辈模式 (large text, high contrast) on the public pages, remembered in a cookie (huicai/care_mode.py).
    "huicai.care_mode.CareModeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Officers' sessions end HUICAI_STAFF_SESSION_AGE seconds after their sign-in (huicai/staff_sessions.py).
    "huicai.staff_sessions.StaffSessionLifetimeMiddleware",
    # With HUICAI_STAFF_SECOND_FACTOR on, staff go to the second step until their session has passed it.
    "huicai.twofactor.middleware.StaffSecondFactorMiddleware",
    # Cache-Control: no-store, private on the API and on every answer to a signed-in user (inside WhiteNoise).
    "huicai.middleware.PrivateResponsesMiddleware",
    # A write that lost a race for a database lock: 409 with a Chinese message (huicai.conflicts).
    "huicai.middleware.LockConflictMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Wagtail's redirects, looked up only when one could match the path of a 404 (huicai/middleware.py).
    "huicai.middleware.RedirectMiddleware",
    # Last, so that it sees the outcome of authentication (django-axes' requirement).
    "axes.middleware.AxesMiddleware",
    # Public pages for anonymous visitors from CACHES["pages"]; innermost, so the middleware above treat a hit
    # like a rendered page (policypages/cache.py).
    "policypages.cache.PageCacheMiddleware",
]

ROOT_URLCONF = "huicai.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "huicai.care_mode.care_mode",
            ],
        },
    },
]

WSGI_APPLICATION = "huicai.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A write transaction takes SQLite's write lock when it begins (BEGIN IMMEDIATE): two simultaneous transitions
    # queue up instead of both reading and then deadlocking on the upgrade ("database is locked", which no busy
    # timeout can wait out); the second then sees the new state and gets 409. The timeout is how long it queues.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=float(os.environ.get("HUICAI_SQLITE_TIMEOUT", "20"))
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any other backend sees them.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Sign-in through the identity provider; answers nothing unless HUICAI_OIDC_ENABLED (below).
    "identity.backends.ProviderBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "huicai.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Sign-in through the identity provider (统一身份认证) with OpenID Connect, authorization code + PKCE
# (mozilla-django-oidc; identity/). On only when the provider's endpoints and this client's credentials are all in
# the environment; local accounts and passwords keep working either way (docs/DEPLOYMENT.md).
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile email identity")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", "10"))  # seconds per request to the provider
LOGIN_REDIRECT_URL_FAILURE = LOGIN_URL  # where a refused sign-in lands, with the reason as a message
HUICAI_OIDC_ENABLED = all((OIDC_OP_ISSUER, OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT,
                           OIDC_OP_JWKS_ENDPOINT, OIDC_RP_CLIENT_ID, OIDC_RP_CLIENT_SECRET))
# Which claim carries what (providers name them differently). staff_account: the username of an existing Huicai
# staff account the person holds; a sign-in with it never makes a new account.
HUICAI_OIDC_CLAIMS = {
    "name": os.environ.get("HUICAI_OIDC_CLAIM_NAME", "name"),
    "id_type": os.environ.get("HUICAI_OIDC_CLAIM_ID_TYPE", "id_type"),
    "id_number": os.environ.get("HUICAI_OIDC_CLAIM_ID_NUMBER", "id_number"),
    "staff_account": os.environ.get("HUICAI_OIDC_CLAIM_STAFF_ACCOUNT", "staff_account"),
    "email": os.environ.get("HUICAI_OIDC_CLAIM_EMAIL", "email"),
}
# The provider's ID-type values mapped onto Huicai's (casefiles.models.IdType), e.g. "111=resident_id,414=passport".
HUICAI_OIDC_ID_TYPES = dict(
    pair.split("=", 1) for pair in os.environ.get("HUICAI_OIDC_ID_TYPES", "").split(",") if "=" in pair
)

# zh-Hans is the default language; English is the second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
TIME_ZONE = "Asia/Shanghai"
# Officers work in China's one time zone: the admin account page offers no choice of ~600 English zone names.
WAGTAIL_USER_TIME_ZONES = [TIME_ZONE]
USE_I18N = True
USE_TZ = True

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("HUICAI_STATIC_ROOT", BASE_DIR / "var" / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
STATIC_URL = "/static/"

# Public Wagtail images and documents only. Dossier attachments and generated certificates live in
# PRIVATE_ROOT, which no URL maps to: they are served by permission-checked views.
MEDIA_ROOT = Path(os.environ.get("HUICAI_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
PRIVATE_ROOT = Path(os.environ.get("HUICAI_PRIVATE_ROOT", BASE_DIR / "var" / "private"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Caches. "pages" holds the public pages served to anonymous visitors (policypages/cache.py): a file cache shared
# by the workers of one machine; with several application servers point HUICAI_PAGE_CACHE_URL at Redis
# (redis://host:6379/1, needs the `redis` package) so that a publish on one server invalidates all.
HUICAI_PAGE_CACHE_URL = os.environ.get("HUICAI_PAGE_CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": HUICAI_PAGE_CACHE_URL}
        if HUICAI_PAGE_CACHE_URL.startswith(("redis://", "rediss://"))
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("HUICAI_PAGE_CACHE_DIR", str(BASE_DIR / "var" / "cache" / "pages")),
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    ),
}
HUICAI_PAGE_CACHE_ENABLED = env_bool("HUICAI_PAGE_CACHE", True)
HUICAI_PAGE_CACHE_SECONDS = int(os.environ.get("HUICAI_PAGE_CACHE_SECONDS", "300"))  # also bounds date-driven changes
# Fragments of public pages made of published content (policy header and body, tier grid, listings), in the "default"
# cache under policypages.cache.fragment_key (language + content version): kept for signed-in readers and page-cache misses.
HUICAI_FRAGMENT_CACHE_ENABLED = env_bool("HUICAI_FRAGMENT_CACHE", True)

# Wagtail
WAGTAIL_SITE_NAME = "惠才 Huicai"
WAGTAILADMIN_BASE_URL = os.environ.get("HUICAI_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "odt", "txt"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAIL_MODERATION_ENABLED = True
WAGTAIL_WORKFLOW_ENABLED = True

# Full-text search (search/): Elasticsearch when ELASTICSEARCH_URL is set, else SQLite FTS5. A cluster: list its
# nodes comma-separated. Replicas per index: HUICAI_SEARCH_REPLICAS, unset = 0 for one URL, 1 for several.
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")
HUICAI_SEARCH_REPLICAS = os.environ.get("HUICAI_SEARCH_REPLICAS") or None
HUICAI_SEARCH_INDEX_PREFIX = os.environ.get("HUICAI_SEARCH_INDEX_PREFIX", "huicai")
# The embedded index's own SQLite file, used when the default database is not SQLite.
HUICAI_SEARCH_SQLITE_PATH = Path(os.environ.get("HUICAI_SEARCH_SQLITE_PATH", BASE_DIR / "var" / "search.sqlite3"))
HUICAI_SEARCH_INDEX_ON_COMMIT = env_bool("HUICAI_SEARCH_INDEX_ON_COMMIT", True)  # index right after each commit
# Background work (huicai/background.py): tasks are rows committed with the change that asked for them and run by
# `manage.py db_worker` (scripts/run.sh starts one; docs/DEPLOYMENT.md). HUICAI_TASKS_BACKEND=immediate runs each
# task in the process that enqueued it, right after the commit (no worker; the test default).
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {
    "default": {
        "BACKEND": TASK_BACKENDS[os.environ.get("HUICAI_TASKS_BACKEND", "database")],
        "QUEUES": ["default", "search"],  # search: indexing the outbox, so a worker can be given to it alone
    }
}
HUICAI_SEARCH_TIMEOUT = float(os.environ.get("HUICAI_SEARCH_TIMEOUT", "10"))  # seconds per Elasticsearch request
# A rebuild's bulk requests (search_reindex, replace_all): pages of document text take a busy node longer than a query.
HUICAI_SEARCH_BULK_TIMEOUT = float(os.environ.get("HUICAI_SEARCH_BULK_TIMEOUT", "120"))

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "huicai.api.authentication.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # JSON bodies are checked for size, depth and well-formed Unicode before any view runs (huicai/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "huicai.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "huicai.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "huicai.api.exceptions.exception_handler",
    # Anonymous callers are limited per address (429 with a Chinese message); lists are paginated (huicai/api).
    "DEFAULT_THROTTLE_CLASSES": ["huicai.api.throttling.AnonymousThrottle"],
    "DEFAULT_THROTTLE_RATES": {"verify": "60/min", "anon": "300/min"},
    "DEFAULT_PAGINATION_CLASS": "huicai.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# An API token lives this many seconds from when it was issued (fixed, not sliding); logout, a password change and
# deactivation end it sooner (huicai/api/authentication.py).
HUICAI_API_TOKEN_TTL = int(os.environ.get("HUICAI_API_TOKEN_TTL", str(8 * 60 * 60)))
SPECTACULAR_SETTINGS = {
    "TITLE": "Huicai API",
    "DESCRIPTION": "惠才人才服务卡平台接口",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "PREPROCESSING_HOOKS": ["huicai.api.schema.only_public_api"],
    # Version, deprecation rule, Chinese texts, one body per content type, the Error shape (huicai/api/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "huicai.api.schema.contract"],
    # Request and response shapes apart: an upload is a binary file in a request, not a URL (generated clients).
    "COMPONENT_SPLIT_REQUEST": True,
}

# django-guardian: no anonymous user row; anonymous visitors never hold object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-axes: lock an account+address after repeated failures.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "huicai.middleware.axes_lockout_response"  # 429 with a Chinese message

# Password reset requests (huicai.accounts): at most this many per client address and per e-mail address per window.
HUICAI_PASSWORD_RESET_LIMIT = int(os.environ.get("HUICAI_PASSWORD_RESET_LIMIT", "5"))
HUICAI_PASSWORD_RESET_WINDOW = int(os.environ.get("HUICAI_PASSWORD_RESET_WINDOW", "3600"))  # seconds

# Officers' second factor (huicai/twofactor): when on, an account that may enter the admin confirms every sign-in with
# a code from an authenticator app (TOTP) or a single-use recovery code. On in production settings.
HUICAI_STAFF_SECOND_FACTOR = env_bool("HUICAI_STAFF_SECOND_FACTOR", False)
HUICAI_RECOVERY_CODE_COUNT = int(os.environ.get("HUICAI_RECOVERY_CODE_COUNT", "10"))
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Huicai")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# An account that may enter the admin is signed out this many seconds after it signed in, busy or not (0: only
# SESSION_COOKIE_AGE applies). Applicants keep SESSION_COOKIE_AGE.
HUICAI_STAFF_SESSION_AGE = int(os.environ.get("HUICAI_STAFF_SESSION_AGE", str(SESSION_COOKIE_AGE)))
# Wagtail's admin reads the token from the page (wagtailConfig), not from the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"  # Wagtail's preview views override this with SAMEORIGIN themselves
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No avatars from gravatar.com: the admin loads nothing from other hosts.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False  # no call to releases.wagtail.org from editors’ browsers

# Content-Security-Policy (django-csp 4, applied by huicai.middleware.SecurityHeadersMiddleware). Public
# pages load nothing from other hosts; inline styles and scripts are allowed (the templates carry small
# inline blocks), every other source is this site only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# The Wagtail admin: blob: images (upload previews) and same-origin frames (the page preview panel).
HUICAI_CSP_ADMIN_DIRECTIVES = {
    **CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "img-src": ["'self'", "data:", "blob:"],
    "frame-src": ["'self'"],
    "frame-ancestors": ["'self'"],
}
# /api/v1/docs/ is Swagger UI, which drf-spectacular loads from its CDN.
HUICAI_CSP_API_DOCS_DIRECTIVES = {
    **CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "script-src": ["'self'", "'unsafe-inline'", "https://cdn.jsdelivr.net"],
    "style-src": ["'self'", "'unsafe-inline'", "https://cdn.jsdelivr.net"],
    "img-src": ["'self'", "data:", "https://cdn.jsdelivr.net"],
}

# Review stages without a time limit in their policy get this many working days (local practice,
# editable per state in the admin).
HUICAI_DEFAULT_STAGE_WORKING_DAYS = int(os.environ.get("HUICAI_DEFAULT_STAGE_WORKING_DAYS", "10"))

# SMS (casefiles/sms.py): in development and tests it never leaves the machine, it is written to an outbox table.
# Production: HUICAI_SMS_BACKEND=casefiles.sms.HttpSmsGateway posts each message as JSON to HUICAI_SMS_GATEWAY_URL
# with HUICAI_SMS_GATEWAY_KEY as a bearer token (the key only ever from the environment).
HUICAI_SMS_BACKEND = os.environ.get("HUICAI_SMS_BACKEND", "casefiles.sms.OutboxSmsGateway")
HUICAI_SMS_GATEWAY_URL = os.environ.get("HUICAI_SMS_GATEWAY_URL", "")
HUICAI_SMS_GATEWAY_KEY = os.environ.get("HUICAI_SMS_GATEWAY_KEY", "")
HUICAI_SMS_GATEWAY_TIMEOUT = float(os.environ.get("HUICAI_SMS_GATEWAY_TIMEOUT", "10"))  # seconds
# One-time sign-in codes by SMS (phoneauth): lifetime, wrong guesses per code, and sends and checks per number and
# per client address in each HUICAI_SMS_WINDOW seconds; one send per number per HUICAI_SMS_RESEND_SECONDS.
HUICAI_SMS_CODE_TTL = int(os.environ.get("HUICAI_SMS_CODE_TTL", "300"))
HUICAI_SMS_CODE_MAX_ATTEMPTS = int(os.environ.get("HUICAI_SMS_CODE_MAX_ATTEMPTS", "5"))
HUICAI_SMS_WINDOW = int(os.environ.get("HUICAI_SMS_WINDOW", "3600"))
HUICAI_SMS_RESEND_SECONDS = int(os.environ.get("HUICAI_SMS_RESEND_SECONDS", "60"))
HUICAI_SMS_SEND_LIMIT_PER_PHONE = int(os.environ.get("HUICAI_SMS_SEND_LIMIT_PER_PHONE", "5"))
HUICAI_SMS_SEND_LIMIT_PER_ADDRESS = int(os.environ.get("HUICAI_SMS_SEND_LIMIT_PER_ADDRESS", "20"))
HUICAI_SMS_CHECK_LIMIT_PER_PHONE = int(os.environ.get("HUICAI_SMS_CHECK_LIMIT_PER_PHONE", "20"))
HUICAI_SMS_CHECK_LIMIT_PER_ADDRESS = int(os.environ.get("HUICAI_SMS_CHECK_LIMIT_PER_ADDRESS", "60"))

# Error pages and error e-mails mask ID and mobile numbers, even with DEBUG on (huicai/debug.py).
DEFAULT_EXCEPTION_REPORTER = "huicai.debug.PersonalDataExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "huicai.debug.PersonalDataReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"pii": {"()": "huicai.logfilters.PersonalDataFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["pii"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("HUICAI_LOG_LEVEL", "INFO")},
    # One line per background task (search index, reference index) drowns everything else.
    "loggers": {"django_tasks": {"level": "WARNING"}},
}

# Plain-text policy documents imported by the demo (policypages.demo) and `import_policy`.
# The five policy texts the product is specified by (copied from ../shared/seeds so a clone is self-contained).
HUICAI_SEEDS_DIR = Path(os.environ.get("HUICAI_SEEDS_DIR", BASE_DIR / "docs" / "seeds"))

# Sealed documents (casefiles/seals/keys.py): where departments' signing keys come from. "dev": the files
# `manage.py make_signing_keys` writes under PRIVATE_ROOT/signing; "pkcs12": one PKCS#12 file per department, path and
# passphrase from the environment (docs/DEPLOYMENT.md). Not required here: without a key a document is left unsigned
# (logged); production requires it.
HUICAI_SIGNING_BACKEND = os.environ.get("HUICAI_SIGNING_BACKEND", "dev")
HUICAI_SIGNING_DIR = os.environ.get("HUICAI_SIGNING_DIR") or None
HUICAI_SIGNING_PKCS12_DIR = os.environ.get("HUICAI_SIGNING_PKCS12_DIR") or None
HUICAI_SIGNING_TRUST_ROOTS = os.environ.get("HUICAI_SIGNING_TRUST_ROOTS") or None
HUICAI_SIGNING_REQUIRED = env_bool("HUICAI_SIGNING_REQUIRED", False)
HUICAI_VERIFY_UPLOAD_MAX_BYTES = int(os.environ.get("HUICAI_VERIFY_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
