"""Two server processes behind one site: what one process causes, the other serves.

Every test here talks to real ``uvicorn chatui.asgi`` processes over HTTP and
websockets; they share only PostgreSQL, Redis and SeaweedFS.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import redis
import websockets

from chat.reply_lock import REPLY_LOCK_PREFIX
from chatui.testing import scaleout

from .conftest import CHAT_USER, Site


def api(server: scaleout.Server, account: scaleout.Account) -> httpx.Client:
    headers = {"Authorization": f"Token {account.token}"}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


@asynccontextmanager
async def tab(server: scaleout.Server, account: scaleout.Account) -> AsyncIterator[Any]:
    """A browser tab's websocket: the session cookie and the site's own Origin."""
    async with websockets.connect(
        server.ws_url,
        origin=server.url,  # type: ignore[arg-type]  (scheme, host and port, as CSRF compares)
        additional_headers={"Cookie": f"sessionid={account.cookie}"},
        open_timeout=10,
    ) as ws:
        yield ws


async def send(ws: Any, frame: dict[str, Any]) -> None:
    await ws.send(json.dumps(frame))


async def until(ws: Any, frame_type: str, timeout: float = 15) -> list[dict[str, Any]]:
    """Every frame up to and including the first of ``frame_type``."""
    frames = []
    async with asyncio.timeout(timeout):
        while True:
            frames.append(json.loads(await ws.recv()))
            if frames[-1]["type"] == frame_type:
                return frames


def test_each_process_reports_database_storage_and_channel_layer(site: Site) -> None:
    for server in site.servers:
        response = httpx.get(f"{server.url}/api/health", timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "ok"
        assert body["database"]["ok"] and body["storage"]["ok"] and body["channel_layer"]["ok"]


def test_an_upload_through_a_downloads_through_b(site: Site) -> None:
    account = site.accounts[CHAT_USER]
    content = b"made on A, served by B\n" * 1000
    with api(site.a, account) as a, api(site.b, account) as b:
        created = a.post("/api/files", files={"file": ("a-to-b.txt", content)})
        assert created.status_code == 201, created.text
        file_id = created.json()["id"]
        assert b.get(f"/api/files/{file_id}").json()["size"] == len(content)
        downloaded = b.get(f"/api/files/{file_id}/download")
    assert downloaded.status_code == 200
    assert hashlib.sha256(downloaded.content).digest() == hashlib.sha256(content).digest()


def test_a_tab_on_a_sees_the_files_and_reply_caused_through_b(site: Site) -> None:
    asyncio.run(_tabs_on_two_processes(site))


async def _tabs_on_two_processes(site: Site) -> None:
    account = site.accounts[CHAT_USER]
    async with tab(site.b, account) as tab_b, tab(site.a, account) as tab_a:
        # given a chat started in B's tab and opened in A's
        await send(tab_b, {"type": "chat", "session_id": None, "content": "hello"})
        session_id = (await until(tab_b, "response_complete"))[0]["session_id"]
        await send(tab_a, {"type": "load_session", "session_id": session_id})
        await until(tab_a, "session")
        # when B's tab attaches a file uploaded through A and sends a message
        with api(site.a, account) as a:
            upload = a.post("/api/files", files={"file": ("sales.csv", b"month,total\n1,10\n")})
        file_id = upload.json()["id"]
        await send(tab_b, {"type": "attach_file", "session_id": session_id, "file_id": file_id})
        update = (await until(tab_a, "files_update"))[-1]
        await send(tab_b, {"type": "chat", "session_id": session_id, "content": "what is here?"})
        frames = await until(tab_a, "response_complete")
    # then A's tab received the file list, the message and the whole reply
    assert update["session_id"] == session_id
    assert file_id in [f["id"] for f in update["files"]]
    types = [frame["type"] for frame in frames]
    assert types[0] == "message" and frames[0]["message"]["content"] == "what is here?"
    assert "token" in types and frames[-1]["status"] == "complete"
    streamed = "".join(f["content"] for f in frames if f["type"] == "token")
    assert streamed == frames[-1]["content"] and "sales.csv" in streamed


def test_a_reply_being_written_in_one_process_makes_the_chat_busy_in_all(site: Site) -> None:
    asyncio.run(_busy_across_processes(site))


async def _busy_across_processes(site: Site) -> None:
    account = site.accounts[CHAT_USER]
    async with tab(site.a, account) as tab_a, tab(site.b, account) as tab_b:
        await send(tab_a, {"type": "chat", "session_id": None, "content": "first"})
        session_id = (await until(tab_a, "response_complete"))[0]["session_id"]
        # given a reply lock held for this chat (as a reply in progress anywhere holds it)
        lock = redis.Redis.from_url(scaleout.redis_url())
        key = f"{REPLY_LOCK_PREFIX}{session_id}"
        lock.set(key, "another-process", ex=30)
        try:
            # then neither process starts a second reply
            for ws in (tab_a, tab_b):
                await send(ws, {"type": "chat", "session_id": session_id, "content": "again"})
                error = (await until(ws, "error"))[-1]
                assert error["code"] == "busy"
        finally:
            lock.delete(key)
        # and once the lock is gone, the chat answers again
        await send(tab_b, {"type": "chat", "session_id": session_id, "content": "now"})
        assert (await until(tab_b, "response_complete"))[-1]["status"] == "complete"
    assert not lock.exists(key)  # released by the process that wrote the reply


def test_static_files_are_served_by_whitenoise_with_hashed_names(site: Site) -> None:
    page = httpx.get(f"{site.a.url}/accounts/login/", timeout=10)
    assert page.status_code == 200
    stylesheet = re.search(r'href="(/static/css/base\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the page links the hashed (manifest) name"
    css = httpx.get(f"{site.b.url}{stylesheet.group(1)}", headers={"Accept-Encoding": "gzip"})
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"]


def test_server_logs_are_one_key_value_line_per_event(site: Site) -> None:
    httpx.get(f"{site.a.url}/api/health", timeout=10)
    httpx.get(f"{site.a.url}/no-such-page", timeout=10)
    lines = [line for line in site.a.log_text().splitlines() if line.strip()]
    assert lines and all(line.startswith("ts=") for line in lines), lines[:5]
    assert any("logger=uvicorn.access" in line and "/api/health" in line for line in lines)
    assert any("logger=django.request" in line and "/no-such-page" in line for line in lines)
