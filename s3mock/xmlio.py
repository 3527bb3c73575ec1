"""Reading and writing the small XML documents of the S3 REST protocol.

Responses are built as strings (faster than an element tree for documents this
simple); request bodies are size-bounded by the caller and parsed with the
stdlib, with the S3 namespace stripped so handlers can look up plain names.
"""

from __future__ import annotations

import email.utils
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote
from xml.sax.saxutils import escape

from .errors import S3Error

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
MAX_XML_BODY = 4 * 1024 * 1024


def iso8601(moment: datetime) -> str:
    """The timestamp format of XML bodies: ``2025-01-02T03:04:05.678Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def http_date(moment: datetime) -> str:
    """The RFC 7231 format of the Last-Modified header."""
    return email.utils.format_datetime(moment.replace(microsecond=0), usegmt=True)


def text(value: object) -> str:
    # A literal CR would be read back as LF (XML end-of-line handling); a character
    # reference survives, so keys with CR list exactly.
    return escape(str(value), {"\r": "&#13;"})


def element(name: str, value: object) -> str:
    return f"<{name}>{text(value)}</{name}>"


def elements(pairs: Iterable[tuple[str, object]]) -> str:
    return "".join(element(name, value) for name, value in pairs if value is not None)


def document(root: str, body: str) -> bytes:
    return f'{DECLARATION}<{root} xmlns="{S3_NS}">{body}</{root}>'.encode()


def bool_text(value: bool) -> str:
    return "true" if value else "false"


def url_encode(value: str) -> str:
    """S3's ``encoding-type=url``: percent-encode all but unreserved chars and ``/``."""
    return quote(value, safe="/~")


def parse(body: bytes) -> ET.Element:
    """Parse a request document; namespace prefixes are removed from every tag."""
    if len(body) > MAX_XML_BODY:
        raise S3Error("MalformedXML", "The XML you provided was too large.")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise S3Error("MalformedXML", "DTDs are not allowed.")
    try:
        root = ET.fromstring(body)  # noqa: S314 (bounded, DTDs refused above: no entities)
    except ET.ParseError:
        raise S3Error(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our "
            "published schema.",
        ) from None
    for node in root.iter():
        if isinstance(node.tag, str) and "}" in node.tag:
            node.tag = node.tag.split("}", 1)[1]
    return root


def child_text(node: ET.Element, name: str, default: str | None = None) -> str | None:
    child = node.find(name)
    if child is None:
        return default
    return child.text or ""


def tag_set(tags: dict[str, str]) -> str:
    """A ``<TagSet>`` of an object's or a bucket's tags."""
    items = "".join(
        f"<Tag>{element('Key', key)}{element('Value', value)}</Tag>" for key, value in tags.items()
    )
    return f"<TagSet>{items}</TagSet>"


def tag_pairs(root: ET.Element) -> list[tuple[str, str]]:
    """A ``<Tagging>`` body's (key, value) pairs, unvalidated; a Tag without a Key is malformed."""
    tag_set_node = root.find("TagSet") if root.tag == "Tagging" else None
    if tag_set_node is None:
        raise S3Error("MalformedXML", "The XML you provided was not well-formed.")
    pairs = []
    for node in tag_set_node.findall("Tag"):
        key, value = child_text(node, "Key"), child_text(node, "Value", "")
        if key is None:
            raise S3Error("MalformedXML", "A Tag is missing its Key.")
        pairs.append((key, value or ""))
    return pairs
