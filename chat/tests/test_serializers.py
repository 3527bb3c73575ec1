"""The message shape on the websocket and in the history API."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chat.selectors import messages_ended
from chat.serializers import message_payload, session_payload, session_payload_with_ended
from chat.services import chat_message_post, reply_finish, session_create

pytestmark = [pytest.mark.django_db]


def test_a_message_saved_without_files_renders_the_same_without_the_files_query(
    user: Any, django_assert_num_queries: Any
) -> None:
    chat = session_create(owner=user)
    _, message = chat_message_post(user=user, session_id=chat.id, content="hi", file_ids=[])

    with django_assert_num_queries(0):
        known = message_payload(message, files=[])

    assert known == message_payload(message)
    assert known["files"] == [] and known["content"] == "hi"


@pytest.mark.parametrize("with_files", [False, True])
def test_an_answer_that_ended_since_the_chat_was_read_is_shown_as_a_fresh_read_shows_it(
    user: Any, make_stored_file: Any, s3_moto: Any, with_files: bool
) -> None:
    # given a chat read while its answer was streaming
    chat = session_create(owner=user)
    answer_id = uuid.uuid4()
    chat_message_post(user=user, session_id=chat.id, content="hi", file_ids=[], answer_id=answer_id)
    chat.refresh_from_db()
    before = session_payload(chat)
    assert before["messages"][-1]["status"] == "streaming"
    # when the answer ends (with a tool's output file, or none)
    made = [make_stored_file(filename="made.txt", session_id=chat.id)] if with_files else []
    reply_finish(message_id=answer_id, content="done", tool_calls=[], files=made, status="complete")
    ended = messages_ended(session_id=chat.id, message_ids=[str(answer_id)])
    # then its row, read again alone, shows what a whole new read of the chat shows
    assert session_payload_with_ended(chat, before, ended) == session_payload(chat)
    assert [f["filename"] for f in session_payload(chat)["files"]] == (
        ["made.txt"] if with_files else []
    )
