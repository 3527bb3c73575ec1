"""Chat services and selectors with real files in a live s3mock over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, models

from chat import services
from chat.models import ChatSession, Message
from chat.selectors import (
    session_file_count_to_delete,
    session_files,
    session_files_by_name,
    session_get_for_user,
)
from chat.services import (
    attach_file_to_session,
    chat_message_post,
    chat_start,
    message_create,
    session_create,
    session_delete,
    session_rename,
)
from chatui.errors import ChatNotFound, FileNotFound, InvalidInput
from files.models import StoredFile

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True),
]


@pytest.fixture
def chat(user: Any) -> ChatSession:
    return session_create(owner=user, title="  Quarterly   numbers ")


def test_session_create_and_rename_tidy_the_title(chat: ChatSession, s3_backend: Any) -> None:
    assert chat.title == "Quarterly numbers"
    assert session_rename(session=chat, title="Q3").title == "Q3"
    with pytest.raises(InvalidInput):
        session_rename(session=chat, title="x" * 201)


def test_the_first_user_message_names_an_untitled_chat(user: Any, s3_backend: Any) -> None:
    session = session_create(owner=user)
    message_create(session=session, role=Message.Role.USER, content="  How do I\nplot this? ")
    message_create(session=session, role=Message.Role.USER, content="second")
    session.refresh_from_db()
    assert session.title == "How do I plot this?"


def test_chat_message_post_checks_the_files_belong_to_the_user(
    user: Any,
    other_user: Any,
    chat: ChatSession,
    make_stored_file: Callable[..., Any],
    s3_backend: Any,
) -> None:
    mine = make_stored_file(filename="mine.txt")
    theirs = make_stored_file(owner=other_user, filename="theirs.txt")
    _, message = chat_message_post(
        user=user, session_id=chat.id, content="see", file_ids=[str(mine.id)]
    )
    assert list(message.files.all()) == [mine]
    with pytest.raises(FileNotFound):
        chat_message_post(user=user, session_id=chat.id, content="x", file_ids=[str(theirs.id)])
    with pytest.raises(ChatNotFound):
        chat_message_post(user=other_user, session_id=chat.id, content="x", file_ids=[])
    assert chat.messages.count() == 1


def test_session_files_by_name_keeps_clashing_names_apart_in_creation_order(
    chat: ChatSession, make_stored_file: Callable[..., Any], s3_backend: Any
) -> None:
    first = make_stored_file(filename="report.csv", session_id=chat.id)
    second = make_stored_file(filename="report.csv", session_id=chat.id)
    plain = make_stored_file(filename="README", session_id=chat.id)
    plain_again = make_stored_file(filename="README", session_id=chat.id)
    third = make_stored_file(filename="report.csv", session_id=chat.id)
    elsewhere = make_stored_file(filename="report.csv")
    assert session_files_by_name(session=chat) == {
        "report.csv": first,
        "report (2).csv": second,
        "README": plain,
        "README (2)": plain_again,
        "report (3).csv": third,
    }
    attach_file_to_session(user=chat.owner, session=chat, file_id=elsewhere.id)
    assert session_files_by_name(session=chat)["report (4).csv"] == elsewhere


def test_session_delete_trashes_created_files_but_not_tagged_or_attached_ones(
    user: Any, chat: ChatSession, make_stored_file: Callable[..., Any], s3_backend: Any
) -> None:
    made_here = make_stored_file(filename="a.txt", session_id=chat.id)
    tagged = make_stored_file(filename="b.txt", session_id=chat.id)
    StoredFile.objects.filter(pk=tagged.pk).update(tagged=True)
    attached = make_stored_file(filename="c.txt")
    attach_file_to_session(user=user, session=chat, file_id=attached.id)
    message_create(session=chat, role=Message.Role.USER, content="hi", files=[made_here])
    assert {f.filename for f in session_files(session=chat)} == {"a.txt", "b.txt", "c.txt"}
    assert session_file_count_to_delete(session=chat) == 1

    assert session_delete(session=chat) == 1

    assert not ChatSession.objects.filter(pk=chat.pk).exists()
    assert not Message.objects.exists()
    assert set(
        StoredFile.objects.values_list("filename", "session_id", models.Q(trashed_at=None))
    ) == {("a.txt", None, False), ("b.txt", None, True), ("c.txt", None, True)}
    assert made_here.key in s3_backend.list_keys()  # in the trash until purged
    assert tagged.key in s3_backend.list_keys()


def test_session_delete_keep_files_detaches_them(
    chat: ChatSession, make_stored_file: Callable[..., Any], s3_backend: Any
) -> None:
    made_here = make_stored_file(filename="a.txt", session_id=chat.id)
    assert session_delete(session=chat, keep_files=True) == 0
    made_here.refresh_from_db()
    assert made_here.session_id is None and made_here.key in s3_backend.list_keys()


def test_a_session_is_only_its_owners(chat: ChatSession, other_user: Any, s3_backend: Any) -> None:
    for session_id in (chat.id, "not-a-uuid"):
        with pytest.raises(ChatNotFound):
            session_get_for_user(user=other_user, session_id=session_id)


def test_a_new_chat_checks_its_message_before_its_write_transaction_begins(
    user: Any, s3_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the transaction holds the one write lock from its BEGIN: the text is
    checked (up to 100,000 characters) before it, not while every writer waits."""
    depth: dict[str, int] = {}
    check, save = services.message_content_check, ChatSession.save

    def checked(*args: Any, **kwargs: Any) -> None:
        depth["check"] = len(connection.atomic_blocks)
        check(*args, **kwargs)

    def saved(self: ChatSession, *args: Any, **kwargs: Any) -> None:
        depth["insert"] = len(connection.atomic_blocks)
        save(self, *args, **kwargs)

    monkeypatch.setattr(services, "message_content_check", checked)
    monkeypatch.setattr(ChatSession, "save", saved)
    session, message, refused = chat_start(
        user=user, content="hello", file_ids=[], answer_id=uuid.uuid4()
    )

    assert refused is None and message is not None and session.title == "hello"
    assert depth["check"] < depth["insert"], depth
