"""Keys and filenames: nothing a user types can leave their prefix."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from files.keys import (
    SAFE_FILENAME_MAX_CHARS,
    build_key,
    display_filename,
    key_belongs_to,
    numbered_names,
    safe_filename,
)

KEY_PATTERN = re.compile(
    r"^users/alice@example\.com/(uploads|generated)/\d{8}_\d{6}_[0-9a-f]{8}_(?P<name>[^/\\]+)$"
)


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "etc_passwd"),
        ("a/b\\c", "a_b_c"),
        ("..", "file"),
        ("", "file"),
        ("   ", "file"),
        ("evil\x00.txt", "evil.txt"),
        ("gnp\u202e.exe", "gnp.exe"),
        ("résumé 2024.docx", "résumé_2024.docx"),
        ("数据.csv", "数据.csv"),
        (".bashrc", "bashrc"),
        ("line\nbreak.txt", "linebreak.txt"),
    ],
)
def test_safe_filename_examples(given_name: str, expected: str) -> None:
    assert safe_filename(given_name) == expected


def test_safe_filename_bounds_length_and_keeps_extension() -> None:
    # given a 300-character name
    name = "x" * 296 + ".csv"
    # when / then
    result = safe_filename(name)
    assert len(result) == SAFE_FILENAME_MAX_CHARS
    assert result.endswith(".csv")


@given(st.text(max_size=400))
def test_safe_filename_never_escapes(name: str) -> None:
    result = safe_filename(name)
    assert result
    assert "/" not in result and "\\" not in result and ".." not in result
    assert len(result) <= SAFE_FILENAME_MAX_CHARS
    assert all(unicodedata.category(c) not in {"Cc", "Cf"} for c in result)
    assert key_belongs_to(f"users/a@b.c/uploads/x_{result}", "a@b.c")


@given(st.text(max_size=400))
def test_display_filename_is_bounded_and_visible(name: str) -> None:
    result = display_filename(name)
    assert result and len(result) <= 255
    assert "\x00" not in result and "\u202e" not in result


def test_display_filename_keeps_what_the_user_typed() -> None:
    assert display_filename("../../etc/passwd") == "../../etc/passwd"
    assert display_filename("a\u202egnp.exe") == "agnp.exe"


@pytest.mark.parametrize("generated", [False, True])
def test_build_key_layout(generated: bool) -> None:
    # given a fixed moment
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    # when
    key = build_key(
        email="alice@example.com", generated=generated, filename="../a b.txt", now=moment
    )
    # then
    match = KEY_PATTERN.match(key)
    assert match, key
    assert ("/generated/" in key) is generated
    assert "_20260102_030405_" in "_" + key.split("/")[-1]
    assert match["name"] == "a_b.txt"


def test_build_key_is_unique_within_a_second() -> None:
    moment = datetime(2026, 1, 2, tzinfo=UTC)
    keys = {build_key(email="a@b.c", generated=False, filename="x", now=moment) for _ in range(50)}
    assert len(keys) == 50


@pytest.mark.parametrize(
    ("key", "email", "expected"),
    [
        ("users/a@b.c/uploads/x", "a@b.c", True),
        ("users/a@b.c/../z@b.c/uploads/x", "a@b.c", False),
        ("users/a@b.cz/uploads/x", "a@b.c", False),
        ("users/a@b.c/", "a@b.c", False),
        ("users/z@b.c/uploads/x", "a@b.c", False),
    ],
)
def test_key_belongs_to(key: str, email: str, expected: bool) -> None:
    assert key_belongs_to(key, email) is expected


@pytest.mark.parametrize("char", ["¡", "文", "😀", "a"])
def test_the_keys_last_segment_fits_255_bytes_of_utf8(char: str) -> None:
    # SeaweedFS (and filesystems under MinIO) refuse a longer name: KeyTooLongError
    name = safe_filename(char * 300 + ".csv")
    key = build_key(email="a@example.com", generated=False, filename=char * 300 + ".csv")
    assert name.endswith(".csv") and len(name.encode()) <= 200
    assert len(key.rsplit("/", 1)[1].encode()) <= 255
    assert safe_filename("é" * 10 + ".txt") == "é" * 10 + ".txt"  # short names untouched


def test_repeated_names_are_numbered_in_order_ignoring_case() -> None:
    names = ["a.txt", "A.TXT", "a.txt", "a (2).txt", "Makefile", "makefile", ".env", ".env"]
    assert numbered_names(names) == [
        "a.txt",
        "A (2).TXT",
        "a (3).txt",
        "a (2) (2).txt",
        "Makefile",
        "makefile (2)",
        ".env",
        ".env (2)",
    ]


@example(["a", "a", "a (2)"])  # the third's name is taken by the second's number
@given(st.lists(st.text(min_size=1, max_size=12), max_size=12))
def test_numbered_names_are_distinct_and_only_a_taken_name_changes(names: list[str]) -> None:
    result = numbered_names(names)
    assert len({name.casefold() for name in result}) == len(names)
    taken: set[str] = set()
    for given_name, name in zip(names, result, strict=True):
        assert name == given_name or given_name.casefold() in taken
        taken.add(name.casefold())
