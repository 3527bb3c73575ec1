"""chatui settings, read from the environment in this one place.

Every variable has a safe default for a laptop (SQLite, the in-memory channel
layer, the built-in s3mock) and `.env.example` lists them all. With
``DEBUG=false`` the settings refuse to load when a secret is missing or still
has its development value, so a production deployment cannot start half-configured.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


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
]
STATIC_ROOT = VAR_DIR / "staticfiles"

# --- S3 storage (files/storage/backend.py is the only reader of these) ----------------

S3_USE_MOCK = env_bool("S3_USE_MOCK", True)
S3_MOCK_DEFAULT_ENDPOINT = "http://127.0.0.1:8003"
S3_ENDPOINT = env_str("S3_ENDPOINT", S3_MOCK_DEFAULT_ENDPOINT if S3_USE_MOCK else "")
S3_BUCKET = env_str("S3_BUCKET", "chatui")
S3_REGION = env_str("S3_REGION", "us-east-1")
S3_TIMEOUT = env_float("S3_TIMEOUT", 30.0)
DEV_S3_ACCESS_KEY = "chatui-dev"
DEV_S3_SECRET_KEY = "chatui-dev-secret"  # noqa: S105 (s3mock dev account)
S3_ACCESS_KEY = env_str("S3_ACCESS_KEY", DEV_S3_ACCESS_KEY if DEBUG or S3_USE_MOCK else "")
S3_SECRET_KEY = env_str("S3_SECRET_KEY", DEV_S3_SECRET_KEY if DEBUG or S3_USE_MOCK else "")
if not DEBUG and not S3_USE_MOCK and DEV_S3_SECRET_KEY in {S3_SECRET_KEY}:
    raise ImproperlyConfigured(
        "S3_SECRET_KEY still has its development value while DEBUG=false; "
        "set the real credentials (or leave both empty on AWS to use the instance role)"
    )
# With S3_USE_MOCK the development credentials are tolerated in production only while
# the endpoint is this machine's own loopback: anywhere else anyone who has read this
# file (they are public) could read and write every user's files.
_endpoint_host = (urlparse(S3_ENDPOINT).hostname or "") if S3_ENDPOINT else ""
if not DEBUG and S3_SECRET_KEY == DEV_S3_SECRET_KEY and _endpoint_host:
    _loopback = _endpoint_host in {"localhost", "127.0.0.1", "::1"} or _endpoint_host.startswith(
        "127."
    )
    if not _loopback:
        raise ImproperlyConfigured(
            f"S3_SECRET_KEY has its development value and S3_ENDPOINT ({S3_ENDPOINT}) is not "
            "on loopback while DEBUG=false: set S3_ACCESS_KEY/S3_SECRET_KEY (and the same "
            "pair in S3MOCK_CREDENTIALS)"
        )
# Creating the bucket on demand is a development convenience only.
S3_AUTO_CREATE_BUCKET = env_bool("S3_AUTO_CREATE_BUCKET", DEBUG)

# s3mock (the built-in S3-compatible endpoint): one account per ACCESS:SECRET pair.
S3MOCK_CREDENTIALS = env_str("S3MOCK_CREDENTIALS", f"{DEV_S3_ACCESS_KEY}:{DEV_S3_SECRET_KEY}")
S3MOCK_DATA_DIR = Path(env_str("S3MOCK_DATA_DIR") or VAR_DIR / "s3mock")


def _s3mock_bind() -> tuple[str, int]:
    parsed = urlparse(S3_ENDPOINT or S3_MOCK_DEFAULT_ENDPOINT)
    return parsed.hostname or "127.0.0.1", parsed.port or 8003


S3MOCK_HOST, S3MOCK_PORT = _s3mock_bind()

# One storage path for every mode: files/storage/backend.py reads the S3_* settings above.
STORAGES = {
    "default": {"BACKEND": "files.storage.ChatuiS3Storage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if not DEBUG:
    # Production serves `collectstatic`'s output through WhiteNoise: hashed names that
    # may be cached forever, pre-compressed copies, and a missing file fails at start.
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# --- Files ----------------------------------------------------------------

FILES_MAX_UPLOAD_MB = env_int("FILES_MAX_UPLOAD_MB", 250, minimum=1)
FILES_USER_QUOTA_MB = env_int("FILES_USER_QUOTA_MB", 0)  # 0 = unlimited
FILES_DOWNLOAD_REDIRECT = env_bool("FILES_DOWNLOAD_REDIRECT", False)
# Sharing (files/sharing/): "all" = links for anyone and shares with users, "users" =
# shares with users only (no public links), "off" = no sharing at all.
FILES_SHARING = env_str("FILES_SHARING", "all").lower()
if FILES_SHARING not in {"all", "users", "off"}:
    raise ImproperlyConfigured("FILES_SHARING must be one of: all, users, off.")
FILES_SHARE_LINK_MAX_DAYS = env_int("FILES_SHARE_LINK_MAX_DAYS", 30, minimum=1)
FILES_SHARE_LINK_ALLOW_NEVER = env_bool("FILES_SHARE_LINK_ALLOW_NEVER", True)
# Uploads larger than this are spooled to a temporary file rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024  # non-file request bodies (JSON uploads)
FILE_UPLOAD_TEMP_DIR = None

# --- Tools and chat ---------------------------------------------------------

# --- Documents: text extraction jobs and the full-text index ---------------------
# Background jobs go through Django's Tasks API (the django-tasks backport) with the
# database backend: the same database the app uses, SQLite by default. Run workers with
# `python manage.py files_worker` (rundev starts one).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DOCUMENTS_EXTRACT_TIMEOUT_S = env_float("DOCUMENTS_EXTRACT_TIMEOUT_S", 120.0)
DOCUMENTS_EXTRACT_MEMORY_MB = env_int("DOCUMENTS_EXTRACT_MEMORY_MB", 1024, minimum=64)
DOCUMENTS_MAX_PAGES = env_int("DOCUMENTS_MAX_PAGES", 2000, minimum=1)
DOCUMENTS_MAX_UNZIPPED_MB = env_int("DOCUMENTS_MAX_UNZIPPED_MB", 500, minimum=1)
DOCUMENTS_MAX_IMAGE_PIXELS = env_int("DOCUMENTS_MAX_IMAGE_PIXELS", 80_000_000, minimum=1)
DOCUMENTS_MAX_TEXT_CHARS = env_int("DOCUMENTS_MAX_TEXT_CHARS", 20_000_000, minimum=1000)
DOCUMENTS_OCR = env_bool("DOCUMENTS_OCR", True)
DOCUMENTS_OCR_MAX_PAGES = env_int("DOCUMENTS_OCR_MAX_PAGES", 50)
DOCUMENTS_OCR_LANG = env_str("DOCUMENTS_OCR_LANG", "eng")
DOCUMENTS_LEASE_S = env_int("DOCUMENTS_LEASE_S", 300, minimum=10)
DOCUMENTS_MAX_ATTEMPTS = env_int("DOCUMENTS_MAX_ATTEMPTS", 3, minimum=1)

TOOLS_TIMEOUT_S = env_float("TOOLS_TIMEOUT_S", 60.0)
# Tools offered to the chat and the API, by import path; TOOLS_EXTRA plugs in more.
TOOLS = [
    "tools.builtin.csv_summary.CsvSummaryTool",
    "tools.builtin.plot_csv.PlotCsvTool",
    "tools.builtin.image_info.ImageInfoTool",
    "tools.builtin.image_thumbnail.ImageThumbnailTool",
    "tools.builtin.text_search.TextSearchTool",
    "tools.builtin.zip_files.ZipFilesTool",
    "tools.builtin.convert_table.ConvertTableTool",
    *env_list("TOOLS_EXTRA", []),
]
# What a tool run may read and write, per file and in total; the text it returns.
TOOLS_MAX_INPUT_FILE_BYTES = env_int("TOOLS_MAX_INPUT_FILE_MB", 50, minimum=1) * 1024 * 1024
TOOLS_MAX_INPUT_TOTAL_BYTES = env_int("TOOLS_MAX_INPUT_TOTAL_MB", 100, minimum=1) * 1024 * 1024
TOOLS_MAX_OUTPUT_FILE_BYTES = env_int("TOOLS_MAX_OUTPUT_FILE_MB", 50, minimum=1) * 1024 * 1024
TOOLS_MAX_OUTPUT_TOTAL_BYTES = env_int("TOOLS_MAX_OUTPUT_MB", 100, minimum=1) * 1024 * 1024
TOOLS_MAX_TEXT_CHARS = env_int("TOOLS_MAX_TEXT_CHARS", 20_000, minimum=500)
# Memory cap (RLIMIT_DATA, enforced by the kernel) of the process a tool runs in; 0 = none.
TOOLS_MAX_MEMORY_MB = env_int("TOOLS_MAX_MEMORY_MB", 512)
# Zip-based inputs (XLSX, DOCX, ZIP) are checked before any parser opens them.
TOOLS_MAX_UNZIPPED_MB = env_int("TOOLS_MAX_UNZIPPED_MB", 256, minimum=1)
TOOLS_MAX_ZIP_ENTRIES = env_int("TOOLS_MAX_ZIP_ENTRIES", 10_000, minimum=1)
# Tool runs one user may have in flight at once (every process together, with Redis).
TOOLS_MAX_CONCURRENT_PER_USER = env_int("TOOLS_MAX_CONCURRENT_PER_USER", 2, minimum=1)
CHAT_CONTEXT_MAX_CHARS = env_int("CHAT_CONTEXT_MAX_CHARS", 60_000, minimum=1000)
LLM_BASE_URL = env_str("LLM_BASE_URL")
LLM_API_KEY = env_str("LLM_API_KEY")
LLM_MODEL = env_str("LLM_MODEL")
LLM_TIMEOUT_S = env_float("LLM_TIMEOUT_S", 60.0)
# Tool-call round trips per reply before the assistant must answer in words.
LLM_MAX_TOOL_ROUNDS = env_int("LLM_MAX_TOOL_ROUNDS", 5, minimum=1)
# The offline provider streams its reply in chunks of this many words.
CHAT_OFFLINE_CHUNK_WORDS = env_int("CHAT_OFFLINE_CHUNK_WORDS", 4, minimum=1)

# --- Channels and cache -------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- REST API -------------------------------------------------------------

REST_FRAMEWORK = {
    # Token first: DRF answers an anonymous request with the first class's challenge,
    # so API clients get 401 + ``WWW-Authenticate: Token`` rather than a bare 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "chatui.errors.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "chatui.json_limits.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["chatui.rate_limits.RouteThrottle"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "chatui API",
    "DESCRIPTION": "Files, tools and chat history of the signed-in user.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security ---------------------------------------------------------------

# JSON bodies (every API view, the multipart `tags` field): size and nesting depth.
API_JSON_MAX_BYTES = env_int("API_JSON_MAX_KB", 10 * 1024, minimum=1) * 1024
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 32, minimum=2)

# Per-user rate limits ("N/second|minute|hour"; empty = off), counted in Redis when
# REDIS_URL is set (every process together), else in each process.
RATE_LIMITS = {
    "uploads": env_str("RATE_LIMIT_UPLOADS", "120/minute"),
    "tool_runs": env_str("RATE_LIMIT_TOOL_RUNS", "60/minute"),
    "search": env_str("RATE_LIMIT_SEARCH", "120/minute"),
    "chat": env_str("RATE_LIMIT_CHAT", "30/minute"),
    # unknown, expired or revoked share-link tokens opened, per client address
    "share_tokens": env_str("RATE_LIMIT_SHARE_TOKENS", "30/minute"),
}

# Sign-in throttling (django-axes, chatui/login_throttle.py): after LOGIN_FAILURE_LIMIT
# failures the account and, separately, the address wait LOGIN_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in form's field (axes' default is USERNAME_FIELD)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "chatui.login_throttle.lockout_response"
AXES_VERBOSE = False

# Slow clients (uvicorn with --http chatui.server_protocol:TimedH11Protocol): headers
# must arrive within SERVER_HEADER_TIMEOUT_S; request bodies at SERVER_BODY_MIN_RATE
# bytes/s at least, judged over SERVER_BODY_WINDOW_S.
SERVER_HEADER_TIMEOUT_S = env_float("SERVER_HEADER_TIMEOUT_S", 10.0)
SERVER_BODY_MIN_RATE = env_int("SERVER_BODY_MIN_RATE", 1024)
SERVER_BODY_WINDOW_S = env_float("SERVER_BODY_WINDOW_S", 20.0)

# /api/health reports storage `timeout` (degraded) when the bucket has not answered by then.
HEALTH_STORAGE_TIMEOUT_S = env_float("HEALTH_STORAGE_TIMEOUT_S", 2.0)

# DEBUG error pages mask credential-bearing settings (chatui/debug_filter.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "chatui.debug_filter.CredentialMaskingFilter"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_TLS = env_bool("SECURE_TLS", not DEBUG)  # the site is served over HTTPS
if SECURE_TLS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)

# --- Logging: one line per event, key=value, easy to ship and grep ------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {
            "()": "chatui.logs.OneLineFormatter",
            "format": "ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)r",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "botocore": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # Django's default config gives "django" a plain-text console handler of its own.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # uvicorn configures its own formats before it imports the app; its request
        # (access) and server logs take this one instead, one line per event.
        "uvicorn": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "uvicorn.error": {"level": LOG_LEVEL},
        "uvicorn.access": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
