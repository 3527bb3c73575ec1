"""The message shape on the websocket and in the history API."""

from __future__ import annotations

from typing import Any

import pytest

from chat.serializers import message_payload
from chat.services import chat_message_post, session_create

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
