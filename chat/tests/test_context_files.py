"""The context sent to the model, built from real files in a live s3mock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chat import context as chat_context
from chat.context import context_build
from chat.models import ChatSession, Message
from chat.services import message_create, session_create
from files.models import StoredFile
from files.services import file_update

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True),
]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def chat(user: Any) -> ChatSession:
    return session_create(owner=user)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int | None, int]]:
    """Every read the context makes: (filename, max_bytes, bytes returned)."""
    seen: list[tuple[str, int | None, int]] = []
    real = chat_context.file_read_bytes

    def spy(*, file: StoredFile, max_bytes: int | None = None, truncate: bool = False) -> bytes:
        data = real(file=file, max_bytes=max_bytes, truncate=truncate)
        seen.append((file.filename, max_bytes, len(data)))
        return data

    monkeypatch.setattr(chat_context, "file_read_bytes", spy)
    return seen


def test_tagged_session_and_attached_files_are_in_context_with_their_text(
    user: Any,
    other_user: Any,
    chat: ChatSession,
    make_stored_file: Callable[..., Any],
    s3_backend: Any,
) -> None:
    tagged = make_stored_file(filename="tagged.csv", content=b"day,total\nmon,3\n")
    file_update(file=tagged, tagged=True)
    in_session = make_stored_file(filename="chart.png", content=PNG, session_id=chat.id)
    attached = make_stored_file(filename="notes.txt", content="café au lait\n".encode())
    make_stored_file(filename="untagged.txt", content=b"not in context")
    other = make_stored_file(owner=other_user, filename="theirs.txt", content=b"secret")
    file_update(file=other, tagged=True)
    message = message_create(session=chat, role=Message.Role.USER, content="look", files=[attached])

    built = context_build(user=user, session=chat, message=message)

    assert [(f.name, f.reason) for f in built.files] == [
        ("notes.txt", "attached"),
        ("chart.png", "session"),
        ("tagged.csv", "tagged"),
    ]
    system = built.openai_messages()[0]["content"]
    assert "day,total\nmon,3" in system and "café au lait" in system
    assert f"- chart.png (image/png, {len(PNG):,} bytes, id {in_session.id})" in system
    assert "secret" not in system and "not in context" not in system
    assert built.openai_messages()[-1] == {
        "role": "user",
        "content": "look\n[attached: notes.txt (id " + str(attached.id) + ")]",
    }


def test_a_huge_file_is_read_partially_and_the_truncation_is_marked(
    user: Any,
    chat: ChatSession,
    make_stored_file: Callable[..., Any],
    s3_backend: Any,
    settings: Any,
    reads: list[Any],
) -> None:
    settings.CHAT_CONTEXT_MAX_CHARS = 1000
    big = make_stored_file(filename="big.log", content=b"0123456789\n" * 20_000, session_id=chat.id)
    small = make_stored_file(filename="small.txt", content=b"tiny", session_id=chat.id)

    built = context_build(user=user, session=chat)

    by_name = {f.name: f for f in built.files}
    assert by_name["small.txt"].text == "tiny" and by_name["small.txt"].truncation == ""
    assert len(by_name["big.log"].text) == 996
    assert by_name["big.log"].truncation == f"[… truncated ~{big.size - 996:,} characters]"
    assert "[… truncated ~" in built.render_files()
    big_read = next(r for r in reads if r[0] == "big.log")
    assert big_read[2] == 996 * 4 < big.size, "only a prefix was fetched"
    assert small.size == 4


def test_a_text_file_with_nul_bytes_is_listed_not_shown(
    user: Any, chat: ChatSession, make_stored_file: Callable[..., Any], s3_backend: Any
) -> None:
    make_stored_file(filename="data.bin", content=b"abc\x00\x01\x02", session_id=chat.id)
    built = context_build(user=user, session=chat)
    assert built.files[0].text is None
    assert "- data.bin (" in built.render_files()


def test_a_file_restored_from_the_trash_comes_back_as_it_was(
    user: Any,
    chat: ChatSession,
    api_client: Any,
    make_stored_file: Callable[..., Any],
    s3_backend: Any,
) -> None:
    # given a tagged file with a key/value tag, and a file attached to a message of the chat
    tagged = make_stored_file(filename="tagged.csv", content=b"day,total\n", tags={"team": "a"})
    file_update(file=tagged, tagged=True)
    attached = make_stored_file(filename="notes.txt", content=b"see the totals\n")
    message_create(session=chat, role=Message.Role.USER, content="look", files=[attached])

    def in_context() -> list[tuple[str, str]]:
        return [(f.name, f.reason) for f in context_build(user=user, session=chat).files]

    def tagged_listed() -> int:
        return api_client.get("/api/files?tagged=true").json()["count"]

    before = in_context()
    assert ("tagged.csv", "tagged") in before and len(before) == 2

    # when both go to the trash: out of every chat and every list
    for file in (tagged, attached):
        assert api_client.delete(f"/api/files/{file.pk}").status_code == 204
    assert in_context() == [] and tagged_listed() == 0
    # ...and come back
    restored = [api_client.post(f"/api/files/{f.pk}/restore").json() for f in (tagged, attached)]

    # then as they were: tagged, with their tags, in the chat's context and its message
    assert (restored[0]["tagged"], restored[0]["tags"]) == (True, {"team": "a"})
    assert in_context() == before and tagged_listed() == 1
    history = api_client.get(f"/api/chats/{chat.id}").json()
    assert [f["id"] for f in history["messages"][0]["files"]] == [str(attached.pk)]
