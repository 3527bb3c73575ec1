"""Property-based tests of the chat websocket against arbitrary frames (hypothesis).

Any text, bytes or JSON value a client sends gets typed frames back (never
``internal_error``), the socket stays open, another user's chat or file is only
ever ``not_found``, and the user's files keep their bytes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.services import session_create
from chat.tests.conftest import communicator, session_cookie
from chatui.testing.strategies import json_values as any_json
from files.models import StoredFile
from files.services import file_read_bytes, file_upload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True),
]

BOB_SECRET = "bob-secret-plans"
FRAME_TYPES = ["chat", "attach_file", "stop", "load_session", "", "CHAT", "token", "error"]
json_values = any_json(text_size=40, key_size=12, width=5, max_leaves=12)


@pytest.fixture
def world(s3_backend: Any, transactional_db: None) -> dict[str, Any]:
    from chatui.models import User

    alice = User.objects.create_user(email="alice@example.com", password="pw-for-tests-1")
    bob = User.objects.create_user(email="bob@example.com", password="pw-for-tests-1")
    alice_file = file_upload(owner=alice, content=b"alice's notes\n", filename="notes.txt")
    bob_file = file_upload(
        owner=bob, content=f"{BOB_SECRET}\n".encode(), filename=f"{BOB_SECRET}.txt"
    )
    return {
        "cookie": session_cookie(alice),
        "alice": alice,
        "sentinel": str(session_create(owner=alice, title="sentinel").pk),
        "ids": {
            "alice_session": str(session_create(owner=alice, title="mine").pk),
            "bob_session": str(session_create(owner=bob, title=BOB_SECRET).pk),
            "alice_file": str(alice_file.pk),
            "bob_file": str(bob_file.pk),
        },
        "fingerprint": _fingerprint(alice),
    }


def _fingerprint(owner: Any, ids: Any = None) -> dict[str, str]:
    files = StoredFile.objects.filter(owner=owner).select_related("owner")
    if ids is not None:
        files = files.filter(pk__in=list(ids))
    return {str(f.pk): hashlib.sha256(file_read_bytes(file=f)).hexdigest() for f in files}


def _ids() -> Any:
    return (
        st.sampled_from(["alice_session", "bob_session", "alice_file", "bob_file"]).map(
            lambda key: f"@{key}"
        )
        | json_values
    )


frames = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"type": st.sampled_from(FRAME_TYPES) | st.text(max_size=10)},
        optional={
            "session_id": _ids(),
            "file_id": _ids(),
            "content": st.text(max_size=200) | json_values,
            "file_ids": st.lists(_ids(), max_size=25) | json_values,
            "extra": json_values,
        },
    ),
)
raw_frames = st.one_of(
    frames.map(lambda value: ("json", value)),
    st.text(min_size=1, max_size=100).map(lambda text: ("text", text)),
    st.binary(min_size=1, max_size=100).map(lambda data: ("bytes", data)),
)


def _resolve(value: Any, ids: dict[str, str]) -> Any:
    """``@alice_file`` and friends become the real ids of this test's objects."""
    if isinstance(value, str) and value.startswith("@") and value[1:] in ids:
        return ids[value[1:]]
    if isinstance(value, list):
        return [_resolve(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _resolve(item, ids) for key, item in value.items()}
    return value


async def _exchange(cookie: str, kind: str, payload: Any, sentinel: str) -> list[dict[str, Any]]:
    """Send one frame, then a ``load_session`` of the sentinel chat; every frame up to
    the sentinel's answer is the server's reaction (the socket must still be open)."""
    comm = communicator(cookie)
    connected, _ = await comm.connect()
    assert connected
    try:
        if kind == "json":
            await comm.send_to(text_data=json.dumps(payload))
        elif kind == "text":
            await comm.send_to(text_data=payload)
        else:
            await comm.send_to(bytes_data=payload)
        await comm.send_json_to({"type": "load_session", "session_id": sentinel})
        seen = []
        while True:
            frame = await comm.receive_json_from(timeout=10)
            if frame.get("type") == "session" and frame.get("session_id") == sentinel:
                return seen
            seen.append(frame)
    finally:
        await comm.disconnect()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=raw_frames)
def test_any_frame_gets_typed_answers_and_never_reaches_another_users_data(
    s3_backend: Any, world: dict[str, Any], raw: tuple[str, Any]
) -> None:
    kind, payload = raw
    if kind == "json":
        payload = _resolve(payload, world["ids"])

    seen = async_to_sync(_exchange)(world["cookie"], kind, payload, world["sentinel"])

    for frame in seen:
        assert isinstance(frame, dict) and isinstance(frame.get("type"), str), frame
        assert frame.get("code") != "internal_error", (payload, frame)
        assert BOB_SECRET not in json.dumps(frame), (payload, frame)
        if frame["type"] == "error":
            assert isinstance(frame.get("code"), str) and isinstance(frame.get("message"), str)
    bobs = (world["ids"]["bob_session"], world["ids"]["bob_file"])
    for frame in seen:
        if frame["type"] != "error":  # only an error may echo what was asked for
            assert not any(bob_id in json.dumps(frame) for bob_id in bobs), (payload, frame)
    assert _fingerprint(world["alice"], world["fingerprint"]) == world["fingerprint"]


def test_bobs_chat_and_file_are_not_found_whatever_the_frame(
    s3_backend: Any, world: dict[str, Any]
) -> None:
    """The sharp cases the random search may miss, checked every run."""
    ids = world["ids"]
    cases = [
        {"type": "load_session", "session_id": ids["bob_session"]},
        {"type": "chat", "session_id": ids["bob_session"], "content": "hi"},
        {"type": "chat", "session_id": None, "content": "hi", "file_ids": [ids["bob_file"]]},
        {"type": "attach_file", "session_id": ids["alice_session"], "file_id": ids["bob_file"]},
        {"type": "attach_file", "session_id": ids["bob_session"], "file_id": ids["alice_file"]},
        {"type": "stop", "session_id": ids["bob_session"]},
    ]
    for frame in cases:
        seen = async_to_sync(_exchange)(world["cookie"], "json", frame, world["sentinel"])
        codes = [f.get("code") for f in seen if f["type"] == "error"]
        assert "not_found" in codes, (frame, seen)
        assert BOB_SECRET not in json.dumps(seen)
        assert not any(f["type"] in ("message", "files_update") for f in seen), (frame, seen)
