"""The bytes decide the content type; the browser's claim is a hint only."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from files.content_types import categorize, is_inline_safe, sniff_content_type


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("head", "filename", "hint", "expected"),
    [
        (_png(), "photo.txt", "text/plain", "image/png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "x.png", "image/png", "image/svg+xml"),
        (b'<?xml version="1.0"?>\n<svg viewBox="0 0 1 1"/>', "x.svg", "", "image/svg+xml"),
        (b"<!DOCTYPE html><script>alert(1)</script>", "x.jpg", "image/jpeg", "text/html"),
        (b"<html><body>hi</body></html>", "x", "", "text/html"),
        (b"a,b\n1,2\n", "table.csv", "application/vnd.ms-excel", "text/csv"),
        (b'{"a": [1, 2]}', "data.json", "", "application/json"),
        (b'{"a": [1, 2]}', "noext", "", "application/json"),
        (b"{not json", "noext", "", "text/plain"),
        (b"print('hi')\n", "x.py", "", "text/x-python"),
        (b"plain words", "notes", "text/html", "text/plain"),
        (b"\x00\x01\x02binary", "blob", "text/html", "application/octet-stream"),
        (b"\x00\x01\x02binary", "blob", "application/x-thing", "application/octet-stream"),
        (b"\x00\x01\x02binary", "t.parquet", "application/x-parquet", "application/x-parquet"),
        (b"\x00\x01\x02binary", "blob", "text/vnd.wap.wml", "application/octet-stream"),
        (b"%PDF-1.7\n...", "doc.bin", "", "application/pdf"),
        (b"", "empty.txt", "", "text/plain"),
    ],
)
def test_sniff_content_type(head: bytes, filename: str, hint: str, expected: str) -> None:
    assert sniff_content_type(head, filename, hint, complete=True) == expected


@pytest.mark.parametrize(
    ("filename", "content_type", "expected"),
    [
        ("a.py", "text/x-python", "code"),
        ("a.html", "text/html", "code"),
        ("a.png", "image/png", "image"),
        ("a.svg", "image/svg+xml", "image"),
        ("a.csv", "text/csv", "data"),
        ("a.xlsx", "application/zip", "data"),
        ("a.pdf", "application/pdf", "document"),
        ("a.md", "text/markdown", "document"),
        ("noext", "image/jpeg", "image"),
        ("noext", "text/plain", "document"),
        ("noext", "application/octet-stream", "other"),
    ],
)
def test_categorize(filename: str, content_type: str, expected: str) -> None:
    assert categorize(filename, content_type) == expected


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("image/png", True),
        ("application/pdf", True),
        ("text/plain", True),
        ("image/svg+xml", False),
        ("text/html", False),
        ("application/octet-stream", False),
    ],
)
def test_only_passive_types_may_be_inline(content_type: str, expected: bool) -> None:
    assert is_inline_safe(content_type) is expected
