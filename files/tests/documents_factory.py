"""Real documents, built by their own libraries, for the extraction and search tests."""

from __future__ import annotations

import io
import zipfile

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure


def pdf_with_pages(texts: list[str]) -> bytes:
    """A PDF with a text layer: page N says ``texts[N-1]`` (matplotlib's PDF backend)."""
    buffer = io.BytesIO()
    with PdfPages(buffer) as pdf:
        for text in texts:
            figure = Figure(figsize=(8.5, 11))
            figure.text(0.1, 0.8, text, fontsize=14)
            pdf.savefig(figure)
    return buffer.getvalue()


def png_of_text(text: str) -> bytes:
    """A PNG with ``text`` rendered large and black on white, for OCR."""
    figure = Figure(figsize=(8, 2), dpi=150, facecolor="white")
    figure.text(0.05, 0.4, text, fontsize=28, color="black")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def image_only_pdf(text: str) -> bytes:
    """A one-page PDF whose only content is a picture of ``text`` (no text layer)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png_of_text(text))).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PDF", resolution=150)
    return buffer.getvalue()


def docx_with(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "cellalpha"
    table.rows[0].cells[1].text = "cellbeta"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pptx_with(slides: list[str]) -> bytes:
    import pptx

    presentation = pptx.Presentation()
    for text in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = text
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def xlsx_with(sheets: dict[str, list[list[object]]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def encrypted_pdf(text: str) -> bytes:
    """A PDF that needs a password to open (pypdf's AES-256 encryption)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_pages([text]))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def zip_bomb_docx(inflated_bytes: int) -> bytes:
    """A DOCX-shaped zip whose members inflate to ``inflated_bytes`` (zeros compress well)."""
    real = docx_with(["tiny"])
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(real)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        bomb.writestr("word/media/zeros.bin", b"\0" * inflated_bytes)
    return buffer.getvalue()


def pixel_bomb_png(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels but is a few KB on disk."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
