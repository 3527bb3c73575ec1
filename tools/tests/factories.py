"""Test helpers that build tool inputs and sample files from real bytes."""

from __future__ import annotations

import io
import uuid

from PIL import Image

from tools.base import InputFile

EXIF_ORIENTATION = 0x0112


def input_file(filename: str, content: bytes, content_type: str = "text/plain") -> InputFile:
    return InputFile(
        id=str(uuid.uuid4()),
        filename=filename,
        content_type=content_type,
        size=len(content),
        content=content,
    )


def image_bytes(
    fmt: str, size: tuple[int, int] = (200, 100), mode: str = "RGB", orientation: int | None = None
) -> bytes:
    """An image whose left half is red and right half blue, so rotation is visible."""
    image = Image.new(mode, size, "red" if mode != "1" else 1)
    if mode == "RGB":
        image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    options = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = orientation
        options["exif"] = exif
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


TRICKY_CSV = (
    "name,city,age,score,note\r\n"
    '"Zoë, the first",Zürich,31,9.5,"says ""hi""\nthen leaves"\r\n'
    "Ömer,Straße,45,7.25,plain\r\n"
    '"李雷",北京,,8,"multi\nline\nnote"\r\n'
    "Ana,Zürich,28,NA,\r\n"
)
