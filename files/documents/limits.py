"""The limits one extraction runs under, and the ways it can fail.

Plain data with no Django import: it is pickled into the extraction child.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractLimits:
    max_pages: int = 2000
    max_unzipped_bytes: int = 500 * 1024 * 1024
    max_image_pixels: int = 80_000_000
    max_text_chars: int = 20_000_000
    ocr: bool = True
    ocr_max_pages: int = 50
    ocr_lang: str = "eng"
    ocr_timeout_s: float = 60.0


class ExtractionFailed(Exception):
    """The file cannot be indexed; ``reason`` is one of REASONS."""

    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    UNSUPPORTED = "unsupported"
    TOO_LARGE = "too_large"
    ERROR = "error"
    REASONS = (ENCRYPTED, CORRUPT, UNSUPPORTED, TOO_LARGE, ERROR)

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


@dataclass(frozen=True)
class Extracted:
    """The text of a file, one string per page (slide, sheet; 1 for flat text)."""

    pages: list[str]
    ocr_pages: int = 0

    @property
    def words(self) -> int:
        return sum(len(page.split()) for page in self.pages)
