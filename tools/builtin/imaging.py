"""Opening user images safely, shared by image_info and image_thumbnail.

A small PNG can declare a billion pixels and take gigabytes to decode (a
decompression bomb). The pixel count is checked from the header before any
decoding, and Pillow's own bomb warning and error are turned into
``ImageTooLarge`` rather than left as a warning in a log or a crash.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, UnidentifiedImageError

from chatui.errors import ImageTooLarge, ToolError
from tools.base import InputFile

MAX_PIXELS = 40_000_000  # a 40-megapixel photo is fine; bombs are orders of magnitude larger
EXIF_ORIENTATION = 0x0112


@contextmanager
def bomb_guard(filename: str) -> Iterator[None]:
    """Turn Pillow's decompression-bomb warning or error into ImageTooLarge."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ImageTooLarge(f"{filename} is too large to decode safely: {exc}") from None


def open_image(file: InputFile) -> Image.Image:
    """Open (lazily: header only) and refuse images over ``MAX_PIXELS``."""
    max_pixels = MAX_PIXELS
    with bomb_guard(file.filename):
        try:
            image = Image.open(io.BytesIO(file.content))
        except UnidentifiedImageError:
            raise ToolError(f"{file.filename} is not an image format Pillow can read.") from None
    if image.width * image.height > max_pixels:
        raise ImageTooLarge(
            f"{file.filename} is {image.width}x{image.height} pixels, over the limit of "
            f"{max_pixels:,} pixels."
        )
    return image


@contextmanager
def decoding(file: InputFile) -> Iterator[None]:
    """Around pixel decoding: bombs become ImageTooLarge, corrupt data a ToolError."""
    with bomb_guard(file.filename):
        try:
            yield
        except (OSError, SyntaxError) as exc:  # Pillow's errors for truncated/corrupt data
            raise ToolError(f"{file.filename} could not be decoded: {exc}") from None


def exif_orientation(image: Image.Image) -> int | None:
    value = image.getexif().get(EXIF_ORIENTATION)
    return int(value) if isinstance(value, int) else None
