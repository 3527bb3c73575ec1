"""Parsers for the paged and packaged formats: PDF, DOCX, PPTX, spreadsheets, images.

Each takes a local path and the limits and returns :class:`Extracted` or raises
:class:`ExtractionFailed`. Bombs are refused before the parser inflates them: a
zip's declared member sizes, a PDF's page count, an image's pixel count.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from .extract import check_page_count, check_unzipped_size
from .limits import Extracted, ExtractionFailed, ExtractLimits
from .ocr import ocr_image

OCR_DPI = 300
PDF_POINTS_PER_INCH = 72
SHEET_MAX_ROWS = 200_000


def extract_pdf(path: str, limits: ExtractLimits) -> Extracted:
    """Text per page from the PDF's text layer; pages without one go through OCR
    (up to ``ocr_max_pages`` per file)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium.raw.FPDF_ERR_PASSWORD:
            raise ExtractionFailed(
                ExtractionFailed.ENCRYPTED, "The PDF is password-protected."
            ) from None
        raise ExtractionFailed(ExtractionFailed.CORRUPT, f"Unreadable PDF: {exc}") from None
    try:
        check_page_count(len(pdf), limits)
        pages, ocr_pages = [], 0
        for index in range(len(pdf)):
            text, used_ocr = _pdf_page_text(pdf[index], limits, ocr_pages)
            pages.append(text)
            ocr_pages += used_ocr
        return Extracted(pages=pages, ocr_pages=ocr_pages)
    finally:
        pdf.close()


def _pdf_page_text(page: Any, limits: ExtractLimits, ocr_done: int) -> tuple[str, int]:
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_bounded()
    finally:
        textpage.close()
    if text.strip() or not limits.ocr or ocr_done >= limits.ocr_max_pages:
        return text, 0
    width, height = page.get_size()
    scale = OCR_DPI / PDF_POINTS_PER_INCH
    _check_pixels(int(width * scale) * int(height * scale), limits)
    image = page.render(scale=scale, grayscale=True).to_pil()
    return ocr_image(image, limits), 1


def extract_docx(path: str, limits: ExtractLimits) -> Extracted:
    """Paragraphs and table cells in document order; a DOCX has no fixed pages, so one."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_unzipped_size(path, limits)
    try:
        document = docx.Document(path)
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise ExtractionFailed(ExtractionFailed.CORRUPT, f"Unreadable DOCX: {exc}") from None
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return Extracted(pages=["\n".join(part for part in parts if part.strip())])


def extract_pptx(path: str, limits: ExtractLimits) -> Extracted:
    """One page per slide: its text frames, tables and speaker notes."""
    import pptx
    from pptx.exc import PackageNotFoundError

    check_unzipped_size(path, limits)
    try:
        presentation = pptx.Presentation(path)
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise ExtractionFailed(ExtractionFailed.CORRUPT, f"Unreadable PPTX: {exc}") from None
    check_page_count(len(presentation.slides), limits)
    return Extracted(pages=[_slide_text(slide) for slide in presentation.slides])


def _slide_text(slide: Any) -> str:
    parts: list[str] = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                parts.append("\t".join(cell.text for cell in row.cells))
    if slide.has_notes_slide:
        parts.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(part for part in parts if part.strip())


def extract_sheet(path: str, limits: ExtractLimits) -> Extracted:
    """One page per sheet (XLSX, XLS, ODS through calamine): rows as tab-separated lines."""
    from python_calamine import CalamineError, CalamineWorkbook

    if _is_zip(path):
        check_unzipped_size(path, limits)
    try:
        workbook = CalamineWorkbook.from_path(path)
        check_page_count(len(workbook.sheet_names), limits)
        pages = [_sheet_text(workbook, name) for name in workbook.sheet_names]
    except CalamineError as exc:
        raise ExtractionFailed(ExtractionFailed.CORRUPT, f"Unreadable spreadsheet: {exc}") from None
    return Extracted(pages=pages)


def _sheet_text(workbook: Any, name: str) -> str:
    rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=True, nrows=SHEET_MAX_ROWS)
    lines = ("\t".join("" if cell is None else str(cell) for cell in row) for row in rows)
    return "\n".join(line for line in lines if line.strip())


def _is_zip(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def extract_image(path: str, limits: ExtractLimits) -> Extracted:
    """OCR of the image's first frame; refuses images above ``max_image_pixels``."""
    try:
        with Image.open(path) as image:
            _check_pixels(image.width * image.height, limits)
            if not limits.ocr:
                return Extracted(pages=[""])
            image.load()
            return Extracted(pages=[ocr_image(image, limits)], ocr_pages=1)
    except Image.DecompressionBombError as exc:
        raise ExtractionFailed(ExtractionFailed.TOO_LARGE, str(exc)) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ExtractionFailed(ExtractionFailed.CORRUPT, f"Unreadable image: {exc}") from None


def _check_pixels(pixels: int, limits: ExtractLimits) -> None:
    if pixels > limits.max_image_pixels:
        raise ExtractionFailed(
            ExtractionFailed.TOO_LARGE,
            f"{pixels:,} pixels; at most {limits.max_image_pixels:,} are read.",
        )
