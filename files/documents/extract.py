"""What a file says: its text, page by page, for every format we index.

Runs inside the extraction child (see :mod:`files.documents.jobs`), so it imports no
Django and reads the file from a local path. The format is judged from the bytes
(magic numbers, the names inside a zip) with the filename as a tie-breaker, never
from the browser's content type alone. Each format's parser is the library the issue
names: pypdfium2, python-docx, python-pptx, python-calamine, lxml, charset-normalizer.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from chatui.zip_totals import zip_totals

from .limits import Extracted, ExtractionFailed, ExtractLimits

HEAD_BYTES = 8192
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OOXML_EXTENSIONS = {"docx", "xlsx", "pptx", "xlsm"}
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*", b"BM")
HTML_EXTENSIONS = {"html", "htm", "xhtml"}


def extract_file(path: str, filename: str, limits: ExtractLimits) -> Extracted:
    """The text of the file at ``path``; raises ExtractionFailed with a reason."""
    kind = detect_kind(path, filename)
    extracted = _extractor(kind)(path, limits)
    if sum(len(page) for page in extracted.pages) > limits.max_text_chars:
        raise ExtractionFailed(
            ExtractionFailed.TOO_LARGE,
            f"More than {limits.max_text_chars:,} characters of text.",
        )
    return extracted


def detect_kind(path: str, filename: str) -> str:
    """pdf, docx, pptx, sheet, image, html or text; or ExtractionFailed(unsupported/encrypted)."""
    ext = Path(filename).suffix.lower().lstrip(".")
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if head.startswith(OLE_MAGIC):
        return _ole_kind(ext)
    if head.startswith(IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if ext in HTML_EXTENSIONS or head.lstrip()[:15].lower().startswith(
        (b"<!doctype html", b"<html")
    ):
        return "html"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionFailed(ExtractionFailed.UNSUPPORTED, "Binary file of an unindexed type.")
    return "text"


def _zip_kind(path: str) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise ExtractionFailed(ExtractionFailed.CORRUPT, f"Broken zip container: {exc}") from None
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "xl/workbook.xml" in names or mimetype.startswith(
        b"application/vnd.oasis.opendocument.spreadsheet"
    ):
        return "sheet"
    raise ExtractionFailed(ExtractionFailed.UNSUPPORTED, "Zip archives are not indexed.")


def _ole_kind(ext: str) -> str:
    """An OLE compound file: legacy .xls (calamine reads it), or an encrypted OOXML file
    (Office wraps password-protected .docx/.xlsx/.pptx in one)."""
    if ext in OOXML_EXTENSIONS:
        raise ExtractionFailed(ExtractionFailed.ENCRYPTED, "The document is password-protected.")
    if ext == "xls":
        return "sheet"
    raise ExtractionFailed(ExtractionFailed.UNSUPPORTED, "Legacy Office formats are not indexed.")


def check_unzipped_size(path: str, limits: ExtractLimits) -> None:
    """Refuse a zip bomb before any parser inflates it: the declared sizes of all members."""
    try:
        total = zip_totals(path).unzipped_bytes
    except (zipfile.BadZipFile, OSError) as exc:
        raise ExtractionFailed(ExtractionFailed.CORRUPT, f"Broken zip container: {exc}") from None
    if total > limits.max_unzipped_bytes:
        raise ExtractionFailed(
            ExtractionFailed.TOO_LARGE,
            f"Unzips to {total:,} bytes; at most {limits.max_unzipped_bytes:,} are indexed.",
        )


def check_page_count(count: int, limits: ExtractLimits) -> None:
    if count > limits.max_pages:
        raise ExtractionFailed(
            ExtractionFailed.TOO_LARGE,
            f"{count:,} pages; at most {limits.max_pages:,} are indexed.",
        )


def _extract_text(path: str, limits: ExtractLimits) -> Extracted:
    from charset_normalizer import from_path

    best = from_path(path).best()
    if best is None:
        raise ExtractionFailed(ExtractionFailed.UNSUPPORTED, "Not text in any known encoding.")
    return Extracted(pages=[str(best)])


def _extract_html(path: str, limits: ExtractLimits) -> Extracted:
    """Visible text only: lxml parses, scripts and styles are dropped with their content."""
    import lxml.etree
    import lxml.html

    data = Path(path).read_bytes()
    if not data.strip():
        return Extracted(pages=[""])
    try:
        root = lxml.html.document_fromstring(data)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractionFailed(ExtractionFailed.CORRUPT, f"Unreadable HTML: {exc}") from None
    lxml.etree.strip_elements(root, "script", "style", "noscript", "template", with_tail=False)
    lines = (line.strip() for line in root.text_content().splitlines())
    return Extracted(pages=["\n".join(line for line in lines if line)])


def _extractor(kind: str):
    """The parser for ``kind``; the heavy libraries load only for the format at hand."""
    if kind == "html":
        return _extract_html
    if kind == "text":
        return _extract_text
    from . import formats

    return getattr(formats, f"extract_{kind}")
