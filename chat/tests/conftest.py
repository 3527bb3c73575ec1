"""Fixtures of the chat tests: users with a logged-in session cookie, websocket
clients through the real ASGI stack, providers and the fake model server."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from chat.db import chat_db_threads
from chat.llm import Done, LLMProvider, LLMRequest, TextDelta
from chat.tests.fake_llm import FakeLLM
from chatui.asgi import application
from chatui.executors import thread_pool

ORIGIN = b"http://localhost"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def make_ws_user(transactional_db: None) -> Callable[[str], Any]:
    def make(email: str) -> Any:
        return get_user_model().objects.create_user(email=email, password="pw-for-tests-1")

    return make


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(cookie: str | None = None, app: Any = application) -> WebsocketCommunicator:
    headers = [(b"origin", ORIGIN), (b"host", b"localhost")]  # a browser sends both
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(app, "/ws/chat/", headers=headers)


@pytest.fixture
def alice(make_ws_user: Callable[[str], Any]) -> tuple[Any, str]:
    user = make_ws_user("alice@example.com")
    return user, session_cookie(user)


@pytest.fixture
def bob(make_ws_user: Callable[[str], Any]) -> tuple[Any, str]:
    user = make_ws_user("bob@example.com")
    return user, session_cookie(user)


@pytest.fixture(autouse=True)
def no_tools(settings: Any) -> None:
    """No tools unless a test installs some: chat tests choose what the model may call."""
    settings.TOOLS = []
    settings.LLM_BASE_URL = ""


@pytest.fixture
def fake_llm(settings: Any) -> Iterator[FakeLLM]:
    fake = FakeLLM().start()
    settings.LLM_BASE_URL = fake.base_url
    settings.LLM_API_KEY = "test-key"
    settings.LLM_MODEL = "fake-model"
    settings.LLM_TIMEOUT_S = 5.0
    yield fake
    fake.stop()


class ScriptedProvider(LLMProvider):
    """Streams fixed chunks with a pause between them, long enough to stop it midway."""

    name = "scripted"

    def __init__(self, chunks: list[str], delay_s: float = 0.05) -> None:
        self.chunks = chunks
        self.delay_s = delay_s
        self.requests: list[LLMRequest] = []

    async def stream(self, request: LLMRequest) -> AsyncIterator[Any]:
        import asyncio

        self.requests.append(request)
        for chunk in self.chunks:
            await asyncio.sleep(self.delay_s)
            yield TextDelta(chunk)
        yield Done()


@pytest.fixture
def use_provider(monkeypatch: pytest.MonkeyPatch) -> Callable[[LLMProvider], None]:
    def use(provider: LLMProvider) -> None:
        monkeypatch.setattr("chat.reply.provider_get", lambda *_content: provider)

    return use


async def receive_until(
    comm: WebsocketCommunicator, frame_type: str, timeout: float = 5
) -> list[dict[str, Any]]:
    """Every frame up to and including the first of ``frame_type``."""
    frames = []
    while True:
        frame = await comm.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame["type"] == frame_type:
            return frames


@contextlib.contextmanager
def chat_db_statements() -> Iterator[list[str]]:
    """Every SQL statement run on the chat's database pool (``chat.db``) meanwhile.

    Django's query hook, ``connection.execute_wrapper``, is per connection and so per
    thread: it is entered on each thread of the pool (a barrier holds every thread
    until all have it) and left the same way."""
    statements: list[str] = []
    lock = threading.Lock()

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        with lock:
            statements.append(sql.strip())
        return execute(sql, params, many, context)

    hooks: dict[int, contextlib.ExitStack] = {}

    def hook() -> None:
        hooks[threading.get_ident()] = stack = contextlib.ExitStack()
        stack.enter_context(connection.execute_wrapper(record))

    _on_every_chat_db_thread(hook)
    try:
        yield statements
    finally:
        _on_every_chat_db_thread(lambda: hooks.pop(threading.get_ident()).close())


def _on_every_chat_db_thread(action: Callable[[], None]) -> None:
    threads = chat_db_threads()
    pool = thread_pool("chat-db", threads)
    barrier = threading.Barrier(threads, timeout=10)

    def run() -> None:
        action()
        barrier.wait()  # this thread takes no other task until every thread has run one

    for future in [pool.submit(run) for _ in range(threads)]:
        future.result(timeout=15)
