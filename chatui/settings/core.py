"""Core settings: DEBUG and secrets, hosts, apps and middleware, the database,
sign-in, and static files."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from chatui.settings.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DEBUG", True)

DEV_SECRET_KEY = "chatui-development-secret-key-do-not-use-in-production"  # noqa: S105 (the refused-in-production dev value)
SECRET_KEY = env_str("SECRET_KEY") or (DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and SECRET_KEY in {"", DEV_SECRET_KEY}:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value when DEBUG=false "
        "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names when DEBUG=false")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",  # first, so `runserver` serves ASGI (websockets included)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI/Redoc served from /static/ (works offline)
    "channels",
    "storages",
    "axes",  # sign-in throttling (chatui/login_throttle.py)
    "django_tasks",
    "django_tasks_db",
    "chatui",
    "s3mock",
    "files",
    "tools",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chatui.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes documents
]

ROOT_URLCONF = "chatui.urls"
ASGI_APPLICATION = "chatui.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

VAR_DIR = Path(env_str("CHATUI_VAR_DIR") or BASE_DIR / "var")
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite cannot create its own directory
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
# Requests run their database work on long-lived threads (chatui/request_threads.py),
# so a connection is kept per thread and reused by the next request for
# DB_CONN_MAX_AGE seconds (0 = a new one per request: about 1 ms for SQLite, ~7 ms
# for PostgreSQL on loopback). For PostgreSQL, DB_POOL=true instead shares one psycopg
# pool per process among all threads (see SCALEOUT in the README).
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", False):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # pooling replaces persistent connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 2),
        "max_size": env_int("DB_POOL_MAX_SIZE", 10, minimum=1),
        "timeout": env_float("DB_POOL_TIMEOUT", 10.0),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers
    # wait (up to the timeout) instead of failing with "database is locked".
    # WAL lets readers run while one writer commits, and synchronous=NORMAL is safe in
    # WAL mode (a power cut may lose the last commits, never corrupt the file); together
    # they cut a commit from ~11 ms to ~1 ms here, which the websocket path feels.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The process's writers take SQLite's write lock in the order they asked (a lone
    # statement ahead of waiting transactions), instead of racing for it in SQLite's
    # sleeping busy handler (chatui/sqlite_fifo/base.py).
    if env_bool("SQLITE_WRITER_QUEUE", True):
        DATABASES["default"]["ENGINE"] = "chatui.sqlite_fifo"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "chatui.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "chatui.login_throttle.LoginThrottleBackend",  # django-axes' lockout check, first
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation, static files --------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The browser libraries come from npm (package.json, installed by `make setup` with
# `npm ci`); only their distributed builds are served, under static/vendor/.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/marked", NODE_MODULES / "marked" / "lib"),
    ("vendor/dompurify", NODE_MODULES / "dompurify" / "dist"),
    ("vendor/highlight/es", NODE_MODULES / "@highlightjs" / "cdn-assets" / "es"),
    ("vendor/highlight/styles", NODE_MODULES / "@highlightjs" / "cdn-assets" / "styles"),
    ("vendor/pdfjs", NODE_MODULES / "pdfjs-dist" / "build"),
]
STATIC_ROOT = VAR_DIR / "staticfiles"
