"""S3 storage, the built-in s3mock, and the size limits of uploaded files."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

from chatui.settings.core import DEBUG, VAR_DIR
from chatui.settings.env import env_bool, env_float, env_int, env_str

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
FILES_TRASH_DAYS = env_int("FILES_TRASH_DAYS", 30, minimum=1)  # then files_purge deletes for good
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
