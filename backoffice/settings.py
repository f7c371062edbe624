"""Settings, read from the environment (django-environ); `.env.example` lists every variable."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    REQUIRE_SERVICES=(bool, False),
    API_AUTH_FAILURE_LIMIT=(int, 10),
    API_AUTH_FAILURE_WINDOW=(int, 900),
)
if env.bool("DJANGO_READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env("DEBUG")
# Outside DEBUG a real key is required: a missing SECRET_KEY stops the start-up.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-" + "d" * 40) if DEBUG else env.str("SECRET_KEY")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")

# Key for credentials stored encrypted at rest (Fernet, urlsafe base64 of 32 bytes).
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_filters",
    "django_htmx",
    "simple_history",
    "phonenumber_field",
    "backoffice",
    "accounts",
    "commerce",
    "crmconnector",
    "outlooksync",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "backoffice.request_limits.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "backoffice.middleware.UserTimeZoneMiddleware",
    "backoffice.display.DisplayFormatMiddleware",
    "backoffice.middleware.ChangeOriginMiddleware",
    "backoffice.middleware.LoginFailureLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "backoffice.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "backoffice.menu.menu_context",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a worker process started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_db.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
else:
    # Persistent connections serve the production server's long-lived workers. The development server
    # handles each request in a thread of its own, whose connection would outlive it until PostgreSQL
    # refused more clients: it opens one per request (Django's own default).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "backoffice.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared by every process on the machine, unlike the in-process memory cache.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
REQUIRE_SERVICES = env("REQUIRE_SERVICES")

AUTH_USER_MODEL = "backoffice.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
# Date and time formats: the organization's choice (backoffice.formats), ISO-like by default.
FORMAT_MODULE_PATH = ["backoffice.formats"]
USE_TZ = True

STATIC_URL = "static/"
# collectstatic writes the hashed, compressed copies here (make run and make serve run it as they start).
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or VAR_DIR / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    ("vendor/bootstrap", str(Path(__import__("bootstrap_wrapper").get_bootstrap_dir()))),
    ("vendor/plotly", str(Path(__import__("plotly").__file__).parent / "package_data")),
]
# Hashed names, so browsers keep a file for a year and fetch it again only when it changes; gzip copies
# made once by collectstatic, served by WhiteNoise to browsers that accept them.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise's CompressedManifestStaticFilesStorage; before collectstatic (tests) pages link plain names.
    "staticfiles": {"BACKEND": "backoffice.staticfiles.CollectedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Files browsers ask for at the site's root (/favicon.ico).
WHITENOISE_ROOT = BASE_DIR / "backoffice" / "public"
WHITENOISE_AUTOREFRESH = DEBUG

# Security: HTTPS-only by default outside DEBUG, so `check --deploy` passes on production settings.
# HTTPS=0 serves plain HTTP (local runs and the test suite).
HTTPS = env.bool("HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backoffice.authentication.ApiKeyBasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The API takes JSON bodies only (others answer 415); the web UI posts its forms to Django views.
    "DEFAULT_PARSER_CLASSES": ["backoffice.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "backoffice.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "backoffice.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Sign-in limits and request limits (backoffice.signin_limits, backoffice.request_limits).
# Failed API keys allowed per client address within the window (seconds), before HTTP 429.
API_AUTH_FAILURE_LIMIT = env("API_AUTH_FAILURE_LIMIT")
API_AUTH_FAILURE_WINDOW = env("API_AUTH_FAILURE_WINDOW")
# The same for passwords on the login pages.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=900)
# Failures for one username from all clients together, after which only clients without failures may try.
AUTH_USERNAME_FAILURE_LIMIT = env.int("AUTH_USERNAME_FAILURE_LIMIT", default=100)
# Proxies (addresses or networks) whose X-Forwarded-For names the client; none by default.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# The storefront (/store/) sells for one organization, named here (needed once there are several), and
# writes as one of its users (by username; its first active admin when empty).
STOREFRONT_ORGANIZATION = env("STOREFRONT_ORGANIZATION", default="")
STOREFRONT_ACTOR = env("STOREFRONT_ACTOR", default="")
for _proxy in TRUSTED_PROXIES:  # a mistyped entry stops the start-up, not every sign-in
    __import__("ipaddress").ip_network(_proxy.strip(), strict=False)
# Larger request bodies answer 413; Django refuses larger form data with the same figure.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# Longer header values, or more header bytes in all, answer 431.
REQUEST_HEADER_MAX_BYTES = env.int("REQUEST_HEADER_MAX_BYTES", default=8192)
REQUEST_HEADERS_TOTAL_MAX_BYTES = env.int("REQUEST_HEADERS_TOTAL_MAX_BYTES", default=32768)
# JSON bodies nested deeper than this answer 400.
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)

SPECTACULAR_SETTINGS = {
    "TITLE": "Back office API",
    "DESCRIPTION": (
        "CRM, commerce and integrations. Plug-ins authenticate with HTTP Basic: the username and "
        "the user's API key (generated on the My user page) as the password."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ErrorCode401Enum": "drf_standardized_errors.openapi_serializers.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "drf_standardized_errors.openapi_serializers.ErrorCode403Enum.choices",
        "ErrorCode404Enum": "drf_standardized_errors.openapi_serializers.ErrorCode404Enum.choices",
        "ErrorCode405Enum": "drf_standardized_errors.openapi_serializers.ErrorCode405Enum.choices",
        "ErrorCode406Enum": "drf_standardized_errors.openapi_serializers.ErrorCode406Enum.choices",
        "ErrorCode415Enum": "drf_standardized_errors.openapi_serializers.ErrorCode415Enum.choices",
        "ErrorCode429Enum": "drf_standardized_errors.openapi_serializers.ErrorCode429Enum.choices",
        "ErrorCode500Enum": "drf_standardized_errors.openapi_serializers.ErrorCode500Enum.choices",
        "OpportunityStatusEnum": "accounts.choices.OpportunityStatus",
        "OutlookEntityEnum": "outlooksync.models.Entity",
        "OutlookSideEnum": "outlooksync.models.Side",
    },
    # drf-standardized-errors' hook replaces spectacular's own (running both makes enum collisions).
    "POSTPROCESSING_HOOKS": ["drf_standardized_errors.openapi_hooks.postprocess_schema_enums"],
    # The interactive docs load their JavaScript from the app itself, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    # The package's codes, and those this API adds (backoffice.schema): 409 (a delete others depend on),
    # 410 (expired cursor), 412 (stale
    # If-Match), 413 and 431 (request limits).
    "ALLOWED_ERROR_STATUS_CODES": [
        "400",
        "401",
        "403",
        "404",
        "405",
        "406",
        "409",
        "410",
        "412",
        "413",
        "415",
        "429",
        "431",
        "500",
    ],
    "ERROR_SCHEMAS": {
        "409": "backoffice.schema.ErrorResponse409Serializer",
        "410": "backoffice.schema.ErrorResponse410Serializer",
        "412": "backoffice.schema.ErrorResponse412Serializer",
        "413": "backoffice.schema.ErrorResponse413Serializer",
        "431": "backoffice.schema.ErrorResponse431Serializer",
    },
}

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport (no server needed).
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_FILESYSTEM_DIR = Path(env("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "celery")))
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {}
    if REDIS_URL
    else {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_processed": str(CELERY_FILESYSTEM_DIR / "processed"),
        # Exchange tables; without this kombu writes them to ./control in the working directory.
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
        "store_processed": False,
    }
)
for _folder in (
    CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", ""),
    CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_processed", ""),
):
    if _folder:
        Path(_folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 270
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_HEARTBEAT_INTERVAL = env.int("CELERY_HEARTBEAT_INTERVAL", default=30)

PHONENUMBER_DEFAULT_REGION = env("PHONENUMBER_DEFAULT_REGION", default="US")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Microsoft Graph for the Outlook synchronization: tests, a local Graph-protocol server and national clouds
# point these elsewhere (GRAPH_CA_BUNDLE: a CA file to trust instead of the system's).
GRAPH_BASE_URL = env.str("GRAPH_BASE_URL", default="https://graph.microsoft.com/v1.0")
GRAPH_AUTHORITY = env.str("GRAPH_AUTHORITY", default="https://login.microsoftonline.com")
GRAPH_CA_BUNDLE = env.str("GRAPH_CA_BUNDLE", default="")
# An Outlook sync run silent (no step committed) for this many seconds is taken to have lost its worker.
OUTLOOK_RUN_STALE_AFTER = env.int("OUTLOOK_RUN_STALE_AFTER", default=300)

# Change log: how long entries are kept unless an organization sets its own (Configuration page).
CHANGE_LOG_RETENTION_DAYS = env.int("CHANGE_LOG_RETENTION_DAYS", default=90)
# A running job whose worker has not reported for this many seconds is taken over by another run.
JOB_STALE_AFTER = env.int("JOB_STALE_AFTER", default=300)


def _bounded(name: str, value, low, high):
    """A setting from the environment kept within sensible bounds: a typo stops the start-up, not the service."""
    if not low <= value <= high:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} is {value}; it must be between {low} and {high}.")
    return value


# CRM connector's circuit breaker: after this many failed calls in a row a CRM is not called for the pause
# (seconds), then tried again.
CRM_CONNECTOR_CIRCUIT_FAILURES = _bounded(
    "CRM_CONNECTOR_CIRCUIT_FAILURES", env.int("CRM_CONNECTOR_CIRCUIT_FAILURES", default=5), 1, 1000
)
CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS = _bounded(
    "CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS", env.float("CRM_CONNECTOR_CIRCUIT_PAUSE_SECONDS", default=30.0), 1, 3600
)
