"""The soak's HTTP clients against the deployment's uvicorn options: a connection the
client still reuses is never one the server is closing.

uvicorn closes a kept-alive connection ``KEEP_ALIVE_S`` after its last response, and
httpx does not retry a request the server's close cut off. With httpx's default pool
expiry (5 s, the same as the server's) a 600 s soak lost a download
(``RemoteProtocolError``) and an upload (``ReadError``): the client checked a
connection idle just under 5 s, its event loop (50 robots hashing and generating
payloads) ran other work, and the request reached the server just after it closed.
Here the stall is forced between the pool's check and the write.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.soak import CLIENT_KEEPALIVE_S, http_client
from chatui.server_protocol import KEEP_ALIVE_S, uvicorn_server_options
from chatui.testing.processes import free_port, stop_process

REPO = Path(__file__).resolve().parents[2]
STALL_S = 0.5  # a busy client's event loop, between the pool's check and the write
APP = """
async def app(scope, receive, send):
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
"""


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A trivial ASGI app under uvicorn with the deployment's options (keep-alive included)."""
    app_dir = tmp_path_factory.mktemp("keepalive")
    (app_dir / "trivial.py").write_text(APP)
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "trivial:app", "--app-dir", str(app_dir)]
    command += ["--port", str(port), "--log-level", "warning", *uvicorn_server_options()]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "chatui.settings"}
    process = subprocess.Popen(command, cwd=REPO, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url):
            assert process.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.1)
        yield url
    finally:
        stop_process(process, 10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


async def reuse_after_idle(http: httpx.AsyncClient, idle_s: float, method: str) -> int:
    await http.get("/")
    await asyncio.sleep(idle_s)
    asyncio.get_running_loop().call_soon(time.sleep, STALL_S)  # runs at the request's first await
    response = await http.request(
        method, "/", content=b"x" * 256 * 1024 if method == "POST" else None
    )
    return response.status_code


def test_the_clients_pool_expires_well_before_the_server_closes() -> None:
    assert CLIENT_KEEPALIVE_S + STALL_S < KEEP_ALIVE_S


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_busy_client_reusing_its_oldest_connection_is_served(
    server_url: str, method: str
) -> None:
    async def scenario() -> int:
        async with http_client(server_url) as http:
            # the longest idle the pool still reuses, then a stall before the write
            return await reuse_after_idle(http, CLIENT_KEEPALIVE_S - 0.05, method)

    assert asyncio.run(scenario()) == 200


def test_with_httpx_s_default_expiry_the_same_client_races_the_server(server_url: str) -> None:
    """The cause, pinned: if httpx ever retries such a request, this fails and the
    shorter expiry above is no longer needed."""

    async def scenario() -> int:
        async with httpx.AsyncClient(base_url=server_url) as http:  # keepalive_expiry=5.0
            return await reuse_after_idle(http, KEEP_ALIVE_S - 0.05, "GET")

    with pytest.raises(httpx.RemoteProtocolError):
        asyncio.run(scenario())
