from .base import *  # noqa: F403

DEBUG = True
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret-huicai")  # noqa: F405
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = BASE_DIR / "var" / "mail"  # noqa: F405  (read the demo mails here)
# Plain storage in development so runserver needs no collectstatic.
# Pages and policy bodies render afresh while templates are edited (HUICAI_PAGE_CACHE=1 / HUICAI_FRAGMENT_CACHE=1 to try).
HUICAI_PAGE_CACHE_ENABLED = env_bool("HUICAI_PAGE_CACHE", False)  # noqa: F405
HUICAI_FRAGMENT_CACHE_ENABLED = env_bool("HUICAI_FRAGMENT_CACHE", False)  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405

try:
    from .local import *  # noqa: F403
except ImportError:
    pass
