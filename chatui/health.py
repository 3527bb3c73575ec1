"""``GET /api/health``: is the site able to serve? Database, storage and (when
configured) the Redis channel layer, no secrets; 503 when one is down."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils.log import log_response
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from redis.exceptions import RedisError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatui.errors import StorageUnavailable
from chatui.executors import thread_pool
from files import storage


def _timed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def database_health() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as err:
        return {"ok": False, "error": type(err).__name__}
    return {"ok": True, "latency_ms": _timed_ms(started)}


# One worker: while S3 hangs, checks queue behind the hung one and time out too,
# instead of each leaving another thread stuck for S3_TIMEOUT.
PROBE_THREADS = 1


def storage_health() -> dict[str, Any]:
    """The bucket answers within HEALTH_STORAGE_TIMEOUT_S (2 s); a hung S3 is ``timeout``,
    not a hang."""
    started = time.perf_counter()
    try:
        probe = thread_pool("health-storage", PROBE_THREADS).submit(storage.bucket_exists)
        bucket_ok = probe.result(settings.HEALTH_STORAGE_TIMEOUT_S)
    except FutureTimeout:
        return {"ok": False, "error": "timeout"}
    except StorageUnavailable as err:
        return {"ok": False, "error": err.details.get("reason", err.code)}
    report: dict[str, Any] = {"ok": bucket_ok, "latency_ms": _timed_ms(started)}
    if not bucket_ok:
        report["error"] = "bucket_missing"
    return report


CHANNEL_LAYER_TIMEOUT_S = 2.0


def channel_layer_health() -> dict[str, Any]:
    """A message sent to a fresh channel and received back through the layer (Redis).

    A layer of its own, closed afterwards, so the check never shares a connection
    pool or a receive buffer with the sockets this process serves.
    """
    started = time.perf_counter()
    try:
        async_to_sync(_layer_round_trip)()
    except TimeoutError:
        return {"ok": False, "error": "timeout"}
    except (OSError, RedisError) as err:
        return {"ok": False, "error": type(err).__name__}
    return {"ok": True, "latency_ms": _timed_ms(started)}


async def _layer_round_trip() -> None:
    layer = channel_layers.make_backend("default")
    try:
        async with asyncio.timeout(CHANNEL_LAYER_TIMEOUT_S):
            channel = await layer.new_channel("health")
            await layer.send(channel, {"type": "health.ping"})
            if (await layer.receive(channel)).get("type") != "health.ping":
                raise ConnectionError("the layer returned another message")
    finally:
        if hasattr(layer, "close_pools"):
            await layer.close_pools()


def health_report() -> dict[str, Any]:
    """``status`` is ``ok`` only when every configured part answers: the database, the
    bucket and, with ``REDIS_URL``, the channel layer (Redis)."""
    parts = {"database": database_health(), "storage": storage_health()}
    if settings.REDIS_URL:
        parts["channel_layer"] = channel_layer_health()
    healthy = all(part["ok"] for part in parts.values())
    return {"status": "ok" if healthy else "degraded", **parts}


class HealthApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="health",
        responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        report = health_report()
        if report["status"] == "ok":
            return Response(report)
        response = Response(report, status=503)
        # A degraded answer is the report doing its job (a server starting before its
        # bucket or S3 is up, say), not a server error: logged once as a WARNING naming
        # the parts, instead of Django's ERROR for every 5xx ("Service Unavailable").
        failed = ", ".join(
            name for name, part in report.items() if isinstance(part, dict) and not part["ok"]
        )
        log_response(
            "Health degraded: %s", failed, response=response, request=request, level="warning"
        )
        return response
