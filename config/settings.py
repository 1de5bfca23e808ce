"""Settings for every run mode, from the environment (12-factor).

With no environment at all the platform runs on its embedded default: SQLite and a filesystem
Celery broker under ``var/``. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to PostgreSQL and
Redis. Every variable is listed, with its default, in ``.env.example`` and the README.
"""

import base64
import hashlib
import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.sentry import sentry_init
from core.logs import logging_configure

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("EE_CONNECT_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VERSION = "0.1.0"

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="embedded-default-insecure-secret-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Served over https (PUBLIC_BASE_URL says so): cookies only over TLS, HSTS, http redirected to https
# (not the health checks and metrics, which a container's probe and a scraper reach over plain
# http). TLS ends at the proxy in front, which says so in X-Forwarded-Proto. The embedded default
# (http://127.0.0.1) keeps them off so the admin works over plain http.
_HTTPS = PUBLIC_BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_HTTPS)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^status$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_HTTPS)
if env.bool("TRUST_X_FORWARDED_PROTO", default=_HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Secrets of connectors are encrypted with the first key; the others still decrypt (rotation).
_default_encryption_key = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
# Checked when the connectors app starts (core.crypto.encryption_keys_check).
ENCRYPTION_KEYS = [key.strip() for key in env.list("ENCRYPTION_KEYS", default=[])] or [_default_encryption_key]

# The fake upstreams under /sandbox/: off unless asked for (make run / platform_run and the tests do).
SANDBOX_ENABLED = env.bool("SANDBOX_ENABLED", default=False)
# Destinations may only have public addresses (connectors/addresses.py); the sandbox upstreams live
# on 127.0.0.1, so loopback is let through while they are mounted (unset: as SANDBOX_ENABLED).
OUTBOUND_ALLOW_LOOPBACK = env.bool("OUTBOUND_ALLOW_LOOPBACK", default=None)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "axes",
    "connectors",
    "connectors.sandbox",
    "events",
    "rewards",
    "demo",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    # First: each request's log context, and a webhook's metrics timed over all of Django's handling.
    "config.middleware.RequestObservationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers a locked-out login
]

# Admin logins are throttled (django-axes): after ADMIN_LOGIN_FAILURE_LIMIT failures for one username
# from one address, that pair is refused (429) for ADMIN_LOGIN_COOLOFF_MINUTES, even with the right
# password. Staff unlock early in the admin (Axes → Access attempts) or with `manage.py axes_reset`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "connectors.sandbox.context_processors.sandbox",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ee-connect.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so end-to-end tests can share the test database with a real server.
    # One file per test run (by process id) so concurrent runs never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    # WAL lets the web server, the worker and beat share the file; IMMEDIATE avoids lock upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The statements sent with server-side parameters (the webhook's lookup and insert, the
    # worker's bulk inserts) are prepared once per connection after this many runs, so PostgreSQL
    # neither parses nor plans them again. Django turns preparing off by default for poolers that
    # cannot keep prepared statements (PgBouncer before 1.21 in transaction mode): set it to 0 there.
    _prepare_threshold = env.int("DATABASE_PREPARE_THRESHOLD", default=2)
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = _prepare_threshold or None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # The Config API (api/) sets its own authentication, permissions and error shape per view, so
    # the health checks keep answering without either.
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The Config API's OpenAPI schema (/api/schema/), with Swagger UI and Redoc served from this host.
SPECTACULAR_SETTINGS = {
    "TITLE": "EE Connect Config API",
    "DESCRIPTION": "Clients, connectors, webhook tokens, mapping rules and the delivery log of EE Connect.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["api.schema.endpoints_api_only"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.path_ids_as_integers"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TokenDirectionEnum": "connectors.models.AuthToken.DIRECTION_CHOICES",
        "EventDirectionEnum": "core.direction.Direction",
        "EventStatusEnum": "events.models.Event.Status",
        "DeliveryStatusEnum": "events.models.Delivery.Status",
        "BulkRetryStatusEnum": "events.models.BulkRetryJob.Status",
    },
}

# Webhook bodies over this many bytes are refused with 413 before they are parsed.
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(WEBHOOK_MAX_BODY_BYTES, 2621440)

# Celery: the Delivery row is the outbox, a Celery message only a hint (ARCHITECTURE.md §4).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 1, "socket_timeout": 2}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A webhook must not wait for a broker that is down: the sweeper re-sends what could not be sent.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery's Django fixup closes a worker's database connections around every task unless this is
# set: one new PostgreSQL connection per task (hundreds a second end to end), and the statements
# it prepared lost with it. Set, the fixup closes a thread's connection once in this many tasks;
# config/celery.py keeps the rest as a web request does (CONN_MAX_AGE, health checks, errors).
CELERY_DB_REUSE_MAX = 1000

# The web server platform_run (and the benchmark) starts: gunicorn processes and threads per process.
# Measured on two cores (bench/README.md): webhooks alone are accepted fastest by single-threaded
# processes (6 x 1: 600/s, 2 x 4: 380/s), but end to end 2 x 4 delivered 300 events/s where 5 x 1
# delivered 170/s: more processes send more, smaller delivery hints, so the workers' Segment
# batches halve (16.5 → 8.6 events a request). The default is the end-to-end shape.
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", default=2)
WEB_THREADS = env.int("WEB_THREADS", default=4)

# Delivery: outbound HTTP and retry defaults (each connector may override the schedule).
HTTP_CONNECT_TIMEOUT = env.float("HTTP_CONNECT_TIMEOUT", default=5.0)
HTTP_READ_TIMEOUT = env.float("HTTP_READ_TIMEOUT", default=20.0)
# The whole call, connecting to the last byte of the answer: a destination that answers slowly,
# a byte at a time, is cut off here (events/delivery/http.py), however often it sends.
HTTP_TOTAL_TIMEOUT = env.float("HTTP_TOTAL_TIMEOUT", default=30.0)
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=12)
DELIVERY_CLAIM_SECONDS = env.int("DELIVERY_CLAIM_SECONDS", default=180)
DELIVERY_SWEEP_SECONDS = env.float("DELIVERY_SWEEP_SECONDS", default=5.0)
# Hints (events/delivery/queue.py): ids per Celery message; gathered by one thread per web process; a row
# hinted longer ago than the stale age and still due is hinted again by the sweeper.
DELIVERY_HINT_BATCH = env.int("DELIVERY_HINT_BATCH", default=100)
DELIVERY_HINTS_IN_BACKGROUND = env.bool("DELIVERY_HINTS_IN_BACKGROUND", default=True)
DELIVERY_HINT_STALE_SECONDS = env.int("DELIVERY_HINT_STALE_SECONDS", default=60)
# How long the hint thread waits to gather more ids before it sends (bounded by DELIVERY_HINT_BATCH).
# Longer means larger batches per worker claim and per Segment request, for that much latency:
# end to end on two cores, 0.1 s delivered more events per second at a lower p50 than 0.02 s.
DELIVERY_HINT_LINGER_SECONDS = env.float("DELIVERY_HINT_LINGER_SECONDS", default=0.1)
# Rows a worker claims for one hint: the hinted ones, topped up with other due rows of the same
# connectors when their kind merges requests (Segment: one /v1/batch for many events).
DELIVERY_BATCH_SIZE = env.int("DELIVERY_BATCH_SIZE", default=100)
RETRY_AFTER_MAX_SECONDS = env.int("RETRY_AFTER_MAX_SECONDS", default=3600)
# Each destination of each connector (events/delivery/destinations.py): requests it may have in
# flight at once (a slow one holds no more of the workers); retried failures in a row that open
# its circuit, and how long it then waits before one probe request; how soon a delivery put off
# because its destination is at that limit (or over the connector's outbound rate) comes back.
DESTINATION_MAX_CONCURRENCY = env.int("DESTINATION_MAX_CONCURRENCY", default=2)
DESTINATION_CIRCUIT_FAILURES = env.int("DESTINATION_CIRCUIT_FAILURES", default=5)
DESTINATION_CIRCUIT_COOLDOWN_SECONDS = env.float("DESTINATION_CIRCUIT_COOLDOWN_SECONDS", default=60.0)
DESTINATION_BUSY_DELAY_SECONDS = env.float("DESTINATION_BUSY_DELAY_SECONDS", default=1.0)
# Exponential backoff with ±20 % jitter: base * 2^(attempt-1), capped. The defaults spread 12
# attempts over about a day.
DELIVERY_BACKOFF_BASE_SECONDS = env.float("DELIVERY_BACKOFF_BASE_SECONDS", default=60.0)
DELIVERY_BACKOFF_MAX_SECONDS = env.float("DELIVERY_BACKOFF_MAX_SECONDS", default=8 * 3600.0)

# Retention of the delivery log, in days: failures are kept longer than successes.
RETENTION_SUCCEEDED_DAYS = env.int("RETENTION_SUCCEEDED_DAYS", default=14)
RETENTION_FAILED_DAYS = env.int("RETENTION_FAILED_DAYS", default=60)
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=500)

# Email, for alerts: EMAIL_URL as smtp://user:password@host:587/?tls=True (or smtp+ssl://...); the
# default writes messages to the worker's log, so the embedded default shows them without a server.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="EE Connect <alerts@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Alerts (events/console/alerts.py), evaluated every minute: each condition raises at most one
# alert per ALERT_WINDOW_MINUTES per connector (or destination, or client). A connector's failure
# rate is its deliveries failed after their last attempt among those that ended in the window,
# alerted at ALERT_FAILURE_RATE once at least ALERT_FAILURE_MIN_DELIVERIES ended. Every alert is
# also emailed to ALERT_EMAILS (the operators), whatever the client.
ALERT_WINDOW_MINUTES = env.int("ALERT_WINDOW_MINUTES", default=60)
ALERT_FAILURE_RATE = env.float("ALERT_FAILURE_RATE", default=0.25)
ALERT_FAILURE_MIN_DELIVERIES = env.int("ALERT_FAILURE_MIN_DELIVERIES", default=10)
ALERT_EMAILS = env.list("ALERT_EMAILS", default=[])
# Reconciliation (every 10 minutes) checks the events received in the hour that ended this long ago,
# so those still being translated and delivered are not taken for orphans.
RECONCILE_DELAY_MINUTES = env.int("RECONCILE_DELAY_MINUTES", default=10)

# Shared counters (per-connector rate limits). Point at Redis when several web processes run.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Celery's own lines for each run of a routine beat task (events.task_names.ROUTINE) are left out
# of the log (config/log_filters.py); the tasks say when they did something.
_CELERY_ROUTINE_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"routine_tasks": {"()": "config.log_filters.RoutineTaskFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {name: {"filters": ["routine_tasks"]} for name in _CELERY_ROUTINE_LOGGERS},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# LOG_FORMAT=json writes one JSON object a line for a log collector; text stays the default. Either
# way each line carries what its request or task is about (core/logs.py): trace id, event id,
# delivery id, connector.
LOGGING = logging_configure(LOGGING, log_format=env.str("LOG_FORMAT", default="text"))

# GET /metrics (config/metrics.py) answers only a scraper that passes each check configured: the
# bearer token, and an address (the connecting one, REMOTE_ADDR) in one of the networks. With
# neither set it answers 403.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(network.strip(), strict=False)
        for network in env.list("METRICS_ALLOWED_NETWORKS", default=[])
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from exc

# Error tracking (config/sentry.py): on only with a DSN; secrets and request bodies never leave.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=VERSION,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
