"""Settings come from the environment and refuse an unsafe production configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import django; django.setup(); from django.conf import settings; print(settings.{name})"


def load_settings(env: dict[str, str], name: str = "DEBUG") -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "DEBUG", "SECRET"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "chatui.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(name=name)],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "chat.example.com"}


def test_development_defaults_load():
    result = load_settings({}, "S3_ENDPOINT")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8003"


def test_production_with_secrets_loads():
    result = load_settings(PRODUCTION, "SESSION_COOKIE_SECURE")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "chatui-development-secret-key-do-not-use-in-production"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        (
            {"S3_USE_MOCK": "false", "S3_SECRET_KEY": "chatui-dev-secret"},
            "S3_SECRET_KEY still has its development value",
        ),
        ({"DEBUG": "maybe"}, "DEBUG must be true or false"),
        ({"FILES_MAX_UPLOAD_MB": "lots"}, "FILES_MAX_UPLOAD_MB must be a whole number"),
        ({"FILES_SHARING": "everyone"}, "FILES_SHARING must be one of: all, users, off"),
    ],
)
def test_unsafe_or_malformed_production_settings_refuse_to_load(override, complaint):
    result = load_settings({**PRODUCTION, **override})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_redis_url_selects_the_redis_channel_layer():
    result = load_settings({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "CHANNEL_LAYERS")
    assert result.returncode == 0, result.stderr
    assert "channels_redis.core.RedisChannelLayer" in result.stdout
