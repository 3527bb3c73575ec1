"""The context budget and text handling (pure parts; files in context are tested
end to end in test_context_files.py against a live S3 endpoint)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chat.context import budget_shares, is_binary_type, text_decode, text_truncate


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
