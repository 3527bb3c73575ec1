"""Drive an ASGI app in-process with one HTTP request (for tests of ASGI-level code).

Unlike Django's test client this goes through the ASGI application itself, so what
sits in front of Django (``chatui.asgi``'s handler, the streamed upload body) runs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


def http_scope(path: str, headers: dict[str, str], method: str = "GET") -> dict[str, Any]:
    """The scope of ``method path`` (query string included) with ``headers``."""
    raw_path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (k.lower().encode(), v.encode()) for k, v in {"Host": "testserver", **headers}.items()
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def call(app: Any, scope: dict[str, Any], *, leave_after_first_body: bool = False) -> Answer:
    """Send one bodiless request; the client disconnects once the answer is complete,
    or, with ``leave_after_first_body``, as soon as the first body chunk arrives."""
    sent: list[dict[str, Any]] = []
    gone = asyncio.Event()
    pending = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if leave_after_first_body and message["type"] == "http.response.body":
            gone.set()
            await asyncio.sleep(0.05)  # a client's pace: the app sees the disconnect

    await app(scope, receive, send)
    gone.set()
    headers = {k.decode().lower(): v.decode() for k, v in sent[0]["headers"]}
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return Answer(sent[0]["status"], headers, body)


async def asgi_apost(
    path: str, *, client: Any = None, token: str | None = None, **request: Any
) -> Any:
    """POST ``path`` through ``chatui.asgi.application`` in-process and return the
    ``httpx.Response``: the production path for uploads (the streamed multipart
    parser), not Django's test client. ``request`` is httpx's (``files=``, ``data=``,
    ``content=``, ``headers=``). Signed in with ``token``, or as a Django test
    ``client`` is (its ``token`` attribute, else its cookies: a session)."""
    import httpx

    from chatui.asgi import application

    headers = dict(request.pop("headers", None) or {})
    token = token or getattr(client, "token", None)
    if token is not None:
        headers["Authorization"] = f"Token {token}"
    elif client is not None and client.cookies:
        headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in client.cookies.items())
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        return await http.post(path, headers=headers, **request)


def asgi_post(path: str, *, client: Any = None, token: str | None = None, **request: Any) -> Any:
    """:func:`asgi_apost` from sync test code.

    The request's database work runs on the calling thread's connection, inside the
    test's transaction. Django would close that connection at the request's end
    (autocommit differs from the settings), which on PostgreSQL ends the transaction,
    so the connection-closing signal handlers are off meanwhile, as Django's own test
    clients turn them off.
    """
    from asgiref.sync import async_to_sync
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        return async_to_sync(asgi_apost)(path, client=client, token=token, **request)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
