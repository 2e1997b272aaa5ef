"""Qunyun's settings, all read from the environment (README → Configuration).

Each helper below rejects a bad value by naming the variable, instead of guessing.
"""

from __future__ import annotations

import os
import secrets
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {sorted(choices)}, not {value!r}")
    return value


def env_time_zone(name: str, default: str) -> str:
    value = os.environ.get(name) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(f"{name} is not a known time zone: {value!r}") from exc
    return value


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_redis_url(name: str, default: str) -> str:
    """A Redis server's URL: ``redis://``, ``rediss://`` (TLS) or ``unix://``."""
    from urllib.parse import urlsplit

    value = os.environ.get(name) or default
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 — reading it checks the port
    except ValueError:
        raise ImproperlyConfigured(f"{name} is not a URL: {value!r}") from None
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"{name} must start with redis://, rediss:// or unix://, not {value!r}"
        )
    return value


def env_outbound_allow(name: str) -> list[str]:
    """Hosts and networks (CIDR) outbound requests may reach although they are internal."""
    import ipaddress

    allowed: list[str] = []
    for item in (part.strip() for part in os.environ.get(name, "").split(",")):
        if not item:
            continue
        if "/" in item:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ImproperlyConfigured(f"{name}: {item!r} is not a network (CIDR)") from None
        elif not item.replace("-", "").replace(".", "").replace(":", "").isalnum():
            raise ImproperlyConfigured(f"{name}: {item!r} is not a host name or address")
        allowed.append(item.lower())
    return allowed


DATA_DIR = Path(os.environ.get("QUNYUN_DATA_DIR") or "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Read the key from the environment, or from the data dir, generating it once."""
    if os.environ.get("QUNYUN_SECRET_KEY"):
        return os.environ["QUNYUN_SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def env_keys(name: str, fallback: str) -> list[str]:
    """Comma-separated secrets, newest first (older ones only decrypt), or ``fallback``."""
    keys = [k.strip() for k in os.environ.get(name, "").split(",") if k.strip()]
    for key in keys:
        if len(key) < 32:
            raise ImproperlyConfigured(f"{name}: each key needs at least 32 characters")
    return keys or [fallback]


# What stored secrets (a forum's API key) are encrypted with (qunyun/encryption.py):
# QUNYUN_ENCRYPTION_KEY when set, else the secret key. A new key first in the list
# re-encrypts on the next write; the older ones after it still decrypt.
ENCRYPTION_KEYS = env_keys("QUNYUN_ENCRYPTION_KEY", SECRET_KEY)
DEBUG = env_bool("QUNYUN_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("QUNYUN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("QUNYUN_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # the API docs page with Swagger UI from the installed package, not a CDN
    "django_tasks",
    "django_tasks_db",
    "qunyun.workspaces",
    "qunyun.audit",
    "qunyun.scheduling",
    "qunyun.members",
    "qunyun.activity",
    "qunyun.ingest",
    "qunyun.analytics",
    "qunyun.privacy",
    "qunyun.team",
    "qunyun.back_office",
    "qunyun.dashboard",
    "qunyun.demo",
    "qunyun.backups",
    "qunyun.accounts",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "qunyun.accounts.throttling.ApiIpRateLimitMiddleware",
    "qunyun.api_requests.ApiRequestBodyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "qunyun.urls"
WSGI_APPLICATION = "qunyun.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qunyun.workspaces.context_processors.workspaces",
            ],
        },
    },
]

# SQLite has one write lock: a writer waits this long for it before "database is locked"
# (the task worker then backs off and tries again, docs/scheduling.md). A web upload made
# while an import holds the lock waits instead of failing.
SQLITE_BUSY_TIMEOUT_SECONDS = env_int("QUNYUN_SQLITE_BUSY_TIMEOUT_SECONDS", 30, minimum=1)

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("QUNYUN_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'qunyun.sqlite3'}",
        conn_max_age=env_int("QUNYUN_DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dashboard read while an import writes; IMMEDIATE avoids
    # "database is locked" when two writers race for the lock; ``timeout`` is SQLite's
    # busy timeout, set as the connection opens (before the PRAGMAs, which may wait too).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every login goes through this backend, which refuses a locked username (docs/security.md).
AUTHENTICATION_BACKENDS = ["qunyun.accounts.backends.LockedLoginBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # OWASP ASVS 2.1.1: at least 12 characters.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Stored in UTC, shown in the display time zone (a workspace may set its own).
USE_TZ = True
TIME_ZONE = env_time_zone("QUNYUN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
LANGUAGE_CODE = env_choice("QUNYUN_LANGUAGE", "zh-hans", {"zh-hans", "en"})
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it; files come from the finders


def _plotly_assets() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data"


# plotly.min.js ships inside the plotly wheel: charts work with no CDN (users in China).
STATICFILES_DIRS = [BASE_DIR / "static", ("plotly", _plotly_assets())]
WHITENOISE_USE_FINDERS = True  # serve straight from the installed packages, no collectstatic

# Background work (DESIGN.md §4): Django's Tasks API, stored in the database by default
# so that one machine needs no other server; `qunyun serve` starts a worker beside the web
# server, or run `qunyun worker` yourself. ``rq`` queues on Redis (QUNYUN_REDIS_URL) for
# workers on many machines (`qunyun rq_worker`; docs/scheduling.md); it needs the ``rq``
# extra.
TASKS_BACKEND = env_choice("QUNYUN_TASKS_BACKEND", "database", {"database", "immediate", "rq"})
TASKS: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.backend.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "rq": "django_tasks_rq.RQBackend",
        }[TASKS_BACKEND]
    }
}
REDIS_URL = env_redis_url("QUNYUN_REDIS_URL", "redis://127.0.0.1:6379/0")
if TASKS_BACKEND == "rq":
    import importlib.util

    if importlib.util.find_spec("django_tasks_rq") is None:
        raise ImproperlyConfigured(
            "QUNYUN_TASKS_BACKEND=rq needs django-tasks-rq: pip install 'qunyun[rq]'"
        )
    INSTALLED_APPS.append("django_rq")
    # An import of a large export takes longer than RQ's default of 3 minutes a job.
    RQ_QUEUES = {
        "default": {
            "URL": REDIS_URL,
            "DEFAULT_TIMEOUT": env_int("QUNYUN_RQ_JOB_TIMEOUT_SECONDS", 6 * 3600, minimum=1),
        }
    }
    TASKS["default"]["QUEUES"] = ["default"]

# A cache every process on this machine shares (the web server and the task worker):
# import progress and computed KPIs live here.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 10000},
    }
}

# Imports (qunyun/ingest/bulk_load.py, read_ahead.py). On SQLite an import holds the one
# write lock for its whole transaction: a second import waits this long for it; it gets this
# page cache (MiB; SQLite's default is 2); a large load builds the activity table's
# secondary indexes once at the end. The parser runs ahead in a forked process.
IMPORT_LOCK_WAIT_SECONDS = env_int("QUNYUN_IMPORT_LOCK_WAIT_SECONDS", 3600)
IMPORT_CACHE_MIB = env_int("QUNYUN_IMPORT_CACHE_MIB", 256, minimum=1)
IMPORT_DEFER_INDEXES = env_bool("QUNYUN_IMPORT_DEFER_INDEXES", True)
IMPORT_PARSE_AHEAD = env_bool("QUNYUN_PARSE_AHEAD", True)

# The scheduler (docs/scheduling.md): how often each ``qunyun scheduler`` process looks for
# due runs; where the daily backup goes and how many it keeps.
SCHEDULER_TICK_SECONDS = env_int("QUNYUN_SCHEDULER_TICK_SECONDS", 15, minimum=1)
BACKUP_DIR = Path(os.environ.get("QUNYUN_BACKUP_DIR") or DATA_DIR / "backups").resolve()
BACKUP_KEEP = env_int("QUNYUN_BACKUP_KEEP", 7, minimum=1)
# How long the rows of finished scheduled runs and background tasks are kept (the newest
# run of each schedule always stays): a forum synced every ten minutes leaves 52,000 a year.
RUN_HISTORY_DAYS = env_int("QUNYUN_RUN_HISTORY_DAYS", 30, minimum=1)

# Uploads: exports can be large; Django streams them to temporary files.
MAX_UPLOAD_MB = env_int("QUNYUN_MAX_UPLOAD_MB", 2048, minimum=1)
UPLOAD_DIR = DATA_DIR / "uploads"


def env_spark_conf(name: str) -> dict[str, str]:
    """``key=value;key=value`` (empty items skipped) as a dict of Spark settings."""
    conf: dict[str, str] = {}
    for item in os.environ.get(name, "").split(";"):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ImproperlyConfigured(f"{name}: {item!r} is not key=value")
        conf[key.strip()] = value.strip()
    return conf


# Analytics (DESIGN.md §3): the Parquet snapshot lives in the data dir.
SNAPSHOT_DIR = DATA_DIR / "snapshots"
ANALYTICS_BACKEND = env_choice("QUNYUN_ANALYTICS_BACKEND", "duckdb", {"duckdb", "spark"})
ANALYTICS_THREADS = env_int("QUNYUN_ANALYTICS_THREADS", 2, minimum=1)  # DuckDB's threads
# Spark (docs/scale-out.md): the cluster, further ``spark.*`` settings, its log level.
SPARK_MASTER = os.environ.get("QUNYUN_SPARK_MASTER") or "local[2]"
SPARK_CONF = env_spark_conf("QUNYUN_SPARK_CONF")
_SPARK_LOG_LEVELS = {"ALL", "DEBUG", "ERROR", "FATAL", "INFO", "OFF", "TRACE", "WARN"}
SPARK_LOG_LEVEL = env_choice(  # Spark reads the level in either case
    "QUNYUN_SPARK_LOG_LEVEL", "ERROR", _SPARK_LOG_LEVELS | {v.lower() for v in _SPARK_LOG_LEVELS}
)

SESSION_COOKIE_HTTPONLY = True
# A login lasts at most this long (OWASP ASVS 3.3.2 asks for re-authentication after 12
# hours at level 2); logging out ends it at once.
SESSION_COOKIE_AGE = env_int("QUNYUN_SESSION_HOURS", 12, minimum=1) * 3600
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp): scripts only from our own static files — no inline
# script, no eval. Inline *styles* stay allowed: plotly.js and htmx set element styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
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

# Web worker processes of `qunyun serve` (0: 2 × cores + 1).
WEB_WORKERS = env_int("QUNYUN_WEB_WORKERS", 0)

# Behind a TLS-terminating proxy in production (QUNYUN_HTTPS=1): secure cookies, HSTS,
# redirect plain HTTP. `qunyun check --deploy` is clean with it (docs/security.md).
HTTPS = env_bool("QUNYUN_HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("QUNYUN_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("QUNYUN_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a commitment of the whole domain that is hard to undo: the
        # operator opts in with QUNYUN_HSTS_PRELOAD=1; not opting in is not a defect.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]


def env_rate(name: str, default: str) -> str:
    """A rate such as ``600/min`` (units: s, min, h, day)."""
    value = os.environ.get(name) or default
    count, _slash, unit = value.partition("/")
    if not count.isdigit() or unit not in {"s", "sec", "m", "min", "h", "hour", "d", "day"}:
        raise ImproperlyConfigured(f"{name} must look like 600/min, not {value!r}")
    return value


# Rate limits (docs/security.md): the API per user and per client IP (429 + Retry-After),
# failed logins per username.
API_RATE_PER_USER = env_rate("QUNYUN_API_RATE_PER_USER", "600/min")
API_RATE_PER_IP = env_rate("QUNYUN_API_RATE_PER_IP", "1200/min")
LOGIN_FAILURE_LIMIT = env_int("QUNYUN_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("QUNYUN_LOGIN_FAILURE_WINDOW_SECONDS", 1800, minimum=1)
# The largest request body the API reads (docs/api.md): 10,000 activities with
# 200-character texts are about 3.3 MB.
API_MAX_BODY_BYTES = env_int("QUNYUN_API_MAX_BODY_MB", 16, minimum=1) * 1024 * 1024
# The most rows one page of a listing gives (``limit``): a bigger one is refused, so one
# request cannot ask a large community for every member at once.
NINJA_PAGINATION_MAX_LIMIT = 1000
# Outbound requests (forum syncs, later every channel) never reach loopback, private,
# link-local or reserved addresses unless listed here: hosts or CIDRs, comma-separated.
OUTBOUND_ALLOW = env_outbound_allow("QUNYUN_OUTBOUND_ALLOW")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("QUNYUN_LOG_LEVEL", "WARNING")},
}

QUNYUN_APP_TITLE = _("Qunyun")
