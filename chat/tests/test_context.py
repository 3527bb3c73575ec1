"""The context budget and text handling (pure parts), and what a context costs when no
file is in play; files in context are tested end to end in test_context_files.py
against a live S3 endpoint."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat import context as chat_context
from chat.context import (
    HISTORY_MAX_MESSAGES,
    context_build,
    is_binary_type,
    text_decode,
    text_truncate,
)
from chat.models import Message
from chat.retrieval import budget_shares
from chat.services import chat_message_post, message_create, session_create


def test_small_files_leave_their_share_to_large_ones() -> None:
    assert budget_shares([100, 10_000, 50], 3000) == [100, 2850, 50]


def test_large_files_share_equally() -> None:
    assert budget_shares([10_000, 10_000, 10_000], 3000) == [1000, 1000, 1000]


@given(st.lists(st.integers(min_value=0, max_value=10**7), max_size=30), st.integers(0, 10**6))
def test_shares_never_exceed_the_budget_or_a_files_size(sizes: list[int], budget: int) -> None:
    shares = budget_shares(sizes, budget)
    assert sum(shares) <= budget
    assert all(0 <= share <= size for share, size in zip(shares, sizes, strict=True))
    if sum(sizes) <= budget:
        assert shares == sizes


def test_truncation_is_marked_with_the_exact_count() -> None:
    assert text_truncate("x" * 12_445, 100) == ("x" * 100, "[… truncated 12,345 characters]")
    assert text_truncate("short", 100) == ("short", "")


def test_truncation_of_a_partial_read_is_marked_as_an_estimate() -> None:
    shown, marker = text_truncate("abc", 100, unread_bytes=5000)
    assert shown == "abc" and marker == "[… truncated ~5,000 characters]"


def test_utf8_is_decoded_and_a_cut_character_at_the_end_dropped() -> None:
    data = "héllo wörld €".encode()
    assert text_decode(data, complete=True) == "héllo wörld €"
    assert text_decode(data[:-1], complete=False) == "héllo wörld "
    assert text_decode(b"\xef\xbb\xbfbom", complete=True) == "bom"


def test_non_utf8_falls_back_to_cp1252() -> None:
    assert text_decode("café".encode("cp1252"), complete=True) == "café"


def test_binary_types() -> None:
    assert is_binary_type("image/png") and is_binary_type("application/pdf")
    assert not is_binary_type("image/svg+xml") and not is_binary_type("text/csv; charset=utf-8")


@pytest.mark.django_db
def test_a_chat_without_files_costs_two_queries_and_no_storage_call(
    user: Any, django_assert_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a chat with some history and no file anywhere
    chat = session_create(owner=user)
    chat, _ = chat_message_post(user=user, session_id=chat.id, content="hi", file_ids=[])
    message_create(session=chat, role=Message.Role.ASSISTANT, content="hello")
    _, message = chat_message_post(user=user, session_id=chat.id, content="again", file_ids=[])

    def no_storage(**kwargs: Any) -> bytes:
        raise AssertionError("the context read a file while none is in play")

    monkeypatch.setattr(chat_context, "file_read_bytes", no_storage)

    # when: this runs before every reply
    with django_assert_num_queries(2):  # the files (none), the history
        built = context_build(user=user, session=chat, message=message)

    # then
    assert built.files == []
    assert [turn["content"] for turn in built.history] == ["hi", "hello", "again"]


@pytest.mark.django_db
def test_the_answer_being_written_takes_no_turn_of_the_history(user: Any) -> None:
    # given a chat longer than the history kept, and a new message saved with its
    # answer's empty streaming row (as every chat frame saves them)
    chat = session_create(owner=user)
    for number in range(HISTORY_MAX_MESSAGES // 2 + 5):
        message_create(session=chat, role=Message.Role.USER, content=f"question {number}")
        message_create(session=chat, role=Message.Role.ASSISTANT, content=f"answer {number}")
    chat, message = chat_message_post(
        user=user, session_id=chat.id, content="the last", file_ids=[], answer_id=uuid.uuid4()
    )

    # when
    history = context_build(user=user, session=chat, message=message).history

    # then the history ends with the question and holds the full count of turns
    assert len(history) == HISTORY_MAX_MESSAGES
    assert history[-1] == {"role": "user", "content": "the last"}
