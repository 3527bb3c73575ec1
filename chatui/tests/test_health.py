"""The health report covers the channel layer (Redis) when ``REDIS_URL`` configures one."""

from __future__ import annotations

import socket
from typing import Any

from chatui.health import channel_layer_health, health_report


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_layer_at(settings: Any, url: str) -> None:
    settings.REDIS_URL = url
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [url]}}
    }


def test_the_in_memory_layer_is_not_reported(settings: Any, db: None, s3_moto: str) -> None:
    settings.REDIS_URL = ""
    report = health_report()
    assert report["status"] == "ok" and "channel_layer" not in report


def test_a_dead_redis_makes_the_site_degraded(settings: Any, db: None, s3_moto: str) -> None:
    # given a channel layer on a port nobody listens on
    _redis_layer_at(settings, f"redis://127.0.0.1:{_closed_port()}/0")
    # when
    report = health_report()
    # then
    assert report["status"] == "degraded"
    assert report["channel_layer"] == {"ok": False, "error": "ConnectionError"}
    assert report["database"]["ok"] and report["storage"]["ok"]


def test_the_round_trip_goes_through_the_layer(settings: Any) -> None:
    settings.REDIS_URL = ""  # the in-memory layer answers the same round trip
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    assert channel_layer_health()["ok"] is True
