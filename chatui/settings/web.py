"""The web side: channels and cache, the REST API, rate limits, security headers
and cookies, and logging."""

from __future__ import annotations

from datetime import timedelta

from chatui.settings.core import DEBUG
from chatui.settings.env import env_bool, env_float, env_int, env_str

# --- Channels and cache -------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
# channels_redis waits for a socket's next message with a blocking BZPOPMIN of up to
# its ``brpop_timeout`` (5 s). redis-py 8 gives every connection a 5 s socket timeout by
# default, which races that blocking read: an idle socket's receive then fails with
# "Timeout reading from ..." and the consumer dies. The layer's connections wait longer
# than the server-side block (checked against the library in chatui/tests).
CHANNEL_REDIS_TIMEOUTS = {"socket_timeout": 15.0, "socket_connect_timeout": 5.0}
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, **CHANNEL_REDIS_TIMEOUTS}]},
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
    # Three models have a `status` field with its own choices: one enum name each.
    "ENUM_NAME_OVERRIDES": {
        "FileStatusEnum": "files.models.StoredFile.Status",
        "FileSourceEnum": "files.models.StoredFile.Source",
        "FileVersionSourceEnum": "files.models.FileVersion.Source",
        "MessageStatusEnum": "chat.models.Message.Status",
        "ToolRunStatusEnum": "tools.models.ToolRun.Status",
    },
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
