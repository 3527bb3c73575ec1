"""OCR through Debian's ``tesseract`` binary (package ``tesseract-ocr``).

Why tesseract rather than rapidocr-onnxruntime: it is a Debian package with its
English model in ``tesseract-ocr-eng``, so nothing is fetched at run time, it runs
out of process (its memory and time are the child's limits, and it cannot take the
worker down), and its languages are one ``apt-get install`` away. It is called as a
subprocess with the image on stdin and the text on stdout.
"""

from __future__ import annotations

import io
import shutil
import subprocess

from PIL import Image

from .limits import ExtractionFailed, ExtractLimits


def ocr_available() -> bool:
    return shutil.which("tesseract") is not None


def ocr_image(image: Image.Image, limits: ExtractLimits) -> str:
    """The text tesseract reads in ``image`` (converted to grayscale PNG)."""
    if not ocr_available():
        raise ExtractionFailed(ExtractionFailed.UNSUPPORTED, "OCR is not installed (tesseract).")
    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="PNG")
    try:
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", limits.ocr_lang],
            input=buffer.getvalue(),
            capture_output=True,
            timeout=limits.ocr_timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ExtractionFailed(
            ExtractionFailed.TOO_LARGE,
            f"OCR took longer than {limits.ocr_timeout_s:g} s and was stopped.",
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise ExtractionFailed(ExtractionFailed.ERROR, f"OCR failed: {message[0][:200]}")
    return done.stdout.decode("utf-8", "replace")
