"""What a file really is: content type sniffed from its first bytes, and its category.

The browser's ``Content-Type`` is a hint only. A client that labels HTML as
``image/png`` must not get it served as an image, and one that labels an image as
HTML must not get script served inline, so the bytes decide; the hint is used only
when the bytes say nothing (binary of an unknown kind) and the hint is harmless.
SVG and HTML are recognised explicitly: both can carry script, so downloads always
serve them as attachments.
"""

from __future__ import annotations

import json
import re

import filetype

from chatui.errors import InvalidInput

from .keys import extension

SNIFF_BYTES = 64 * 1024
OCTET_STREAM = "application/octet-stream"

# The only types a client's hint may give bytes the sniffer cannot identify: binary
# formats no browser renders. Anything else is stored as application/octet-stream.
HINTABLE_TYPES = frozenset(
    {
        "application/octet-stream",
        "application/vnd.apache.parquet",
        "application/x-parquet",
        "application/vnd.sqlite3",
        "application/x-sqlite3",
        "application/x-hdf5",
        "application/x-netcdf",
        "application/x-protobuf",
        "application/x-msgpack",
        "application/x-npy",
        "application/vnd.ms-excel",
        "application/msword",
        "application/vnd.ms-powerpoint",
        "application/x-ole-storage",
        "application/x-iso9660-image",
        "application/x-apple-diskimage",
        "model/gltf-binary",
        "model/stl",
    }
)
# RFC 9110 media type: type "/" subtype *( ";" parameter ), tokens in ASCII.
_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"[\x20\x21\x23-\x5b\x5d-\x7e]*"'
_MEDIA_TYPE = re.compile(rf"{_TCHARS}/{_TCHARS}(?:[ \t]*;[ \t]*{_TCHARS}=(?:{_TCHARS}|{_QUOTED}))*")
MAX_HINT_CHARS = 255

# Served inline on request (?inline=1); everything else is an attachment.
INLINE_SAFE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "application/pdf"}
)
INLINE_SAFE_TEXT = "text/plain"

TEXT_TYPES_BY_EXTENSION = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "md": "text/markdown",
    "markdown": "text/markdown",
    "py": "text/x-python",
    "js": "text/javascript",
    "mjs": "text/javascript",
    "ts": "text/x-typescript",
    "tsx": "text/x-typescript",
    "jsx": "text/javascript",
    "css": "text/css",
    "java": "text/x-java",
    "c": "text/x-c",
    "h": "text/x-c",
    "cpp": "text/x-c++",
    "go": "text/x-go",
    "rs": "text/x-rust",
    "rb": "text/x-ruby",
    "sh": "text/x-shellscript",
    "sql": "text/x-sql",
    "yaml": "application/yaml",
    "yml": "application/yaml",
    "toml": "application/toml",
    "rtf": "application/rtf",
    "xml": "application/xml",
}

CODE_EXTENSIONS = frozenset(
    [
        "py",
        "js",
        "mjs",
        "ts",
        "tsx",
        "jsx",
        "html",
        "htm",
        "css",
        "scss",
        "java",
        "c",
        "h",
        "cpp",
        "hpp",
        "cs",
        "go",
        "rs",
        "rb",
        "php",
        "sh",
        "bash",
        "sql",
        "kt",
        "swift",
        "r",
        "scala",
        "lua",
        "pl",
        "ipynb",
        "vue",
    ]
)
IMAGE_EXTENSIONS = frozenset(
    ["png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "tif", "tiff", "ico", "heic", "avif"]
)
DATA_EXTENSIONS = frozenset(
    ["csv", "tsv", "json", "jsonl", "xlsx", "xls", "xml", "parquet", "yaml", "yml", "toml"]
)
DOCUMENT_EXTENSIONS = frozenset(
    ["pdf", "doc", "docx", "txt", "md", "markdown", "rtf", "odt", "ppt", "pptx"]
)

_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|script)\b", re.I | re.S
)
_SVG_TAG = re.compile(rb"<svg[\s>]", re.I)


def _decode_text(head: bytes, *, complete: bool) -> str | None:
    """The head as UTF-8 text, or None when it is binary."""
    if b"\x00" in head:
        return None
    sample = head if complete else head[:-4]  # the cut may split a multi-byte character
    try:
        return sample.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _text_type(head: bytes, text: str, ext: str, complete: bool) -> str:
    if _SVG_TAG.search(head[:4096]) and (ext == "svg" or head.lstrip()[:1] == b"<"):
        return "image/svg+xml"
    if _HTML_START.match(head) or ext in {"html", "htm"}:
        return "text/html"
    if ext == "jsonl":
        return "application/x-ndjson"
    looks_like_json = ext == "json" or text.lstrip()[:1] in {"{", "["}
    if looks_like_json and (not complete or _is_json(text)):
        return "application/json"
    return TEXT_TYPES_BY_EXTENSION.get(ext, "text/plain")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def content_type_hint_check(hint: str) -> str:
    """The client's content type, or InvalidInput (400 ``invalid``) when it is not a
    media type: ASCII tokens only, no CR/LF, at most 255 characters. (Passed on, such
    a value made S3 refuse the request, which read as a storage failure.)"""
    if not hint:
        return ""
    if len(hint) > MAX_HINT_CHARS or not _MEDIA_TYPE.fullmatch(hint.strip()):
        raise InvalidInput(
            "content_type must be a media type such as application/octet-stream "
            "(ASCII, type/subtype[; name=value]).",
            field="content_type",
        )
    return hint.strip()


def sniff_content_type(head: bytes, filename: str, hint: str = "", *, complete: bool) -> str:
    """The content type of a file whose first bytes are ``head``.

    ``complete`` says whether ``head`` is the whole file (then JSON is validated).
    """
    ext = extension(filename)
    kind = filetype.guess(head) if head else None
    if kind is not None:
        return kind.mime
    if not head:
        return TEXT_TYPES_BY_EXTENSION.get(ext, "text/plain") if ext else OCTET_STREAM
    text = _decode_text(head, complete=complete)
    if text is not None:
        return _text_type(head, text, ext, complete)
    cleaned_hint = hint.split(";")[0].strip().lower()
    return cleaned_hint if cleaned_hint in HINTABLE_TYPES else OCTET_STREAM


def categorize(filename: str, content_type: str) -> str:
    """``code`` | ``image`` | ``data`` | ``document`` | ``other``.

    The extension says what the user meant (a ``.py`` file is code though it sniffs
    as text); the sniffed type decides when the extension is missing or unknown.
    """
    ext = extension(filename)
    for names, category in (
        (CODE_EXTENSIONS, "code"),
        (IMAGE_EXTENSIONS, "image"),
        (DATA_EXTENSIONS, "data"),
        (DOCUMENT_EXTENSIONS, "document"),
    ):
        if ext in names:
            return category
    return _category_from_type(content_type)


def _category_from_type(content_type: str) -> str:
    if content_type.startswith("image/"):
        return "image"
    if content_type in {"text/csv", "application/json", "application/xml", "text/xml"}:
        return "data"
    if "spreadsheet" in content_type or content_type == "application/vnd.ms-excel":
        return "data"
    if content_type in {"application/pdf", "text/plain", "text/markdown", "application/rtf"}:
        return "document"
    if "wordprocessing" in content_type or content_type == "application/msword":
        return "document"
    if content_type in {"text/html", "text/css", "text/javascript", "text/x-python"}:
        return "code"
    return "other"


# The extensions a file shown inline may have, by its (sniffed) type. A file whose
# bytes contradict its name (a PDF called .png, a PNG called .html) is an attachment:
# what the user sees must be what the name promised, and a type-confusion trick on
# some browser or viewer gets no inline rendering to work with.
INLINE_EXTENSIONS = {
    "image/png": frozenset({"png"}),
    "image/jpeg": frozenset({"jpg", "jpeg", "jpe", "jfif"}),
    "image/gif": frozenset({"gif"}),
    "image/webp": frozenset({"webp"}),
    "image/bmp": frozenset({"bmp", "dib"}),
    "application/pdf": frozenset({"pdf"}),
}
NOT_PLAIN_TEXT_EXTENSIONS = IMAGE_EXTENSIONS | {"pdf", "html", "htm", "xhtml", "xht", "xml", "js"}


def is_inline_safe(content_type: str, filename: str | None = None) -> bool:
    """Raster images, PDF and plain text may be shown inline; never SVG or HTML, and
    (given the ``filename``) never bytes that contradict the file's extension."""
    if content_type not in INLINE_SAFE_TYPES and content_type != INLINE_SAFE_TEXT:
        return False
    if filename is None:
        return True
    ext = extension(filename)
    if content_type == INLINE_SAFE_TEXT:
        return ext not in NOT_PLAIN_TEXT_EXTENSIONS
    return ext in INLINE_EXTENSIONS[content_type]
