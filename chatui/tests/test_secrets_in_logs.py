"""No secret reaches the logs, even at DEBUG with every library's logger turned up.

A whole request flow runs with logging captured at DEBUG: sign-in with a password,
token API calls (upload, list, download, a tool run), a chat over the websocket
answered by an OpenAI-compatible model with an API key, S3 calls signed with a
secret key. Neither SECRET_KEY, S3_SECRET_KEY, LLM_API_KEY, the password, the session
id nor the API token may appear in any record (message, arguments or traceback).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from chat.tests.conftest import communicator, receive_until
from chat.tests.fake_llm import FakeLLM, Reply

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True),
]

LLM_KEY = "sk-test-llm-key-that-must-stay-secret-4f2a"
SECRET = "django-secret-key-that-must-stay-secret-9c1b" * 2
PASSWORD = "a-password-that-must-stay-secret-77"


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # formats the args and any traceback too


@pytest.fixture
def debug_logs() -> Iterator[Capture]:
    capture = Capture()
    root = logging.getLogger()
    loggers = [root, *(logging.getLogger(name) for name in logging.root.manager.loggerDict)]
    levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    root.addHandler(capture)
    yield capture
    root.removeHandler(capture)
    for logger, level in levels.items():
        logger.setLevel(level)


def test_no_secret_in_debug_logs_through_a_whole_flow(
    s3_backend: Any, settings: Any, debug_logs: Capture, make_user: Any
) -> None:
    # given secrets in every place one can be
    settings.SECRET_KEY = SECRET
    settings.TOOLS = ["tools.builtin.csv_summary.CsvSummaryTool"]
    llm = FakeLLM().start()
    llm.script = [Reply(text_chunks=["Hello ", "there."])]
    settings.LLM_BASE_URL, settings.LLM_API_KEY, settings.LLM_MODEL = llm.base_url, LLM_KEY, "m"
    user = make_user("alice@example.com", password=PASSWORD)
    token = Token.objects.create(user=user).key

    try:
        # when alice signs in, uses the API with her token and chats
        browser = Client()
        assert browser.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
        session_id = browser.cookies["sessionid"].value
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        body = {"filename": "t.csv", "content_base64": base64.b64encode(b"a,b\n1,2\n").decode()}
        file = api.post("/api/files", body, format="json").json()
        assert api.get("/api/files").status_code == 200
        assert b"".join(api.get(f"/api/files/{file['id']}/download").streaming_content)
        assert api.post("/api/tools/csv_summary/run", {"file_id": file["id"]}, format="json")
        assert APIClient().get("/api/files", HTTP_AUTHORIZATION="Token wrong-token").status_code
        async_to_sync(_chat)(session_id)
    finally:
        llm.stop()

    # then the logs hold none of the secrets
    logs = "\n".join(debug_logs.lines)
    assert len(debug_logs.lines) > 20, "the capture saw nothing: the test would prove nothing"
    secrets = {
        "SECRET_KEY": SECRET,
        "S3_SECRET_KEY": settings.S3_SECRET_KEY,
        "LLM_API_KEY": LLM_KEY,
        "password": PASSWORD,
        "session id": session_id,
        "API token": token,
    }
    leaked = [name for name, value in secrets.items() if value and value in logs]
    assert not leaked, f"secrets in the logs: {leaked}"


async def _chat(session_id: str) -> None:
    comm = communicator(session_id)
    assert (await comm.connect())[0]
    try:
        await comm.send_json_to({"type": "chat", "session_id": None, "content": "hi"})
        frames = await receive_until(comm, "response_complete", timeout=15)
        assert frames[-1]["status"] == "complete", frames[-1]
    finally:
        await comm.disconnect()
