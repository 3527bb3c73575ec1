"""A demo account with a few sample files, so a fresh install has something to show.

Idempotent: a second call creates nothing. A generated password is returned once
to be printed; only its hash is stored (``set_password``).
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from chatui.models import User

from ..services import file_upload

DEMO_EMAIL = "demo@example.com"
DEMO_TAGS = {"demo": "sample"}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]
UNITS = {"north": [120, 135, 150, 160, 158, 171], "south": [90, 96, 110, 104, 121, 133]}


@dataclass
class DemoResult:
    user: User
    created_user: bool
    generated_password: str | None  # print it once; it is not stored anywhere in clear
    password_ignored: bool  # --password given, but the user already existed
    uploaded: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)


def demo_create(*, password: str | None = None) -> DemoResult:
    """Create the demo user (if missing) and upload whichever sample files it lacks."""
    user = User.objects.filter(email=DEMO_EMAIL).first()
    generated = None
    if user is None:
        generated = None if password else secrets.token_urlsafe(12)
        user = User.objects.create_user(DEMO_EMAIL, password or generated, name="Demo user")
        result = DemoResult(user, True, generated, False)
    else:
        result = DemoResult(user, False, None, password is not None)
    existing = set(
        user.stored_files.filter(filename__in=SAMPLES).values_list("filename", flat=True)
    )
    for filename, build in SAMPLES.items():
        if filename in existing:
            result.already_there.append(filename)
            continue
        file_upload(owner=user, content=build(), filename=filename, tags=DEMO_TAGS)
        result.uploaded.append(filename)
    return result


# --- The samples ---------------------------------------------------------------------


def _sales_csv() -> bytes:
    lines = ["month,region,units,revenue"]
    for region, units in UNITS.items():
        lines += [f"{m},{region},{u},{u * 19.5:.2f}" for m, u in zip(MONTHS, units, strict=True)]
    return ("\n".join(lines) + "\n").encode()


def _chart_png() -> bytes:
    image = Image.new("RGB", (360, 200), "white")
    draw = ImageDraw.Draw(image)
    for index, (north, south) in enumerate(zip(UNITS["north"], UNITS["south"], strict=True)):
        x = 20 + index * 56
        draw.rectangle([x, 190 - north, x + 22, 190], fill=(37, 99, 235))
        draw.rectangle([x + 24, 190 - south, x + 46, 190], fill=(249, 115, 22))
    draw.line([10, 190, 350, 190], fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _notes_txt() -> bytes:
    return (
        b"Welcome to chatui.\n\n"
        b"These sample files belong to the demo account. Tag a file on the Files page to\n"
        b"include it in every chat message, or ask the assistant to summarise sales.csv\n"
        b"or plot it.\n"
    )


def _report_pdf() -> bytes:
    """A one-page PDF written by hand (offsets computed, so any reader opens it)."""
    text = b"BT /F1 18 Tf 72 720 Td (chatui demo report) Tj 0 -28 Td /F1 11 Tf "
    text += b"(Units sold rose in both regions from January to June.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


SAMPLES: dict[str, Callable[[], bytes]] = {
    "sales.csv": _sales_csv,
    "chart.png": _chart_png,
    "notes.txt": _notes_txt,
    "report.pdf": _report_pdf,
}
