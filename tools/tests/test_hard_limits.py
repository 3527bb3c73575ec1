"""Tools under hard limits by default: memory cap, zip-bomb checks, per-user run slots.

Finding (issue #20, medium): an 800 KB XLSX inflating to 300 MB made convert_table
grow past 720 MB; TOOLS_MAX_MEMORY_MB defaulted to 0; six such runs ran at once.
Finding (info): parse failures of hostile files were logged as crashes with tracebacks.
"""

from __future__ import annotations

import io
import logging
import zipfile
from typing import Any

import pytest

from chatui.errors import HostileInput, ToolError, ToolMemoryExceeded
from tools.base import Tool, ToolResult, object_schema
from tools.executor import tool_run
from tools.models import ToolRun
from tools.run_slots import TooManyToolRuns, run_slot

pytestmark = pytest.mark.django_db


class HungryTool(Tool):
    name = "hungry"
    description = "Allocates the given number of megabytes."
    parameters = object_schema({"mb": {"type": "integer"}}, required=["mb"])

    def run(self, *, mb: int) -> ToolResult:
        block = bytearray(mb * 1024 * 1024)
        return ToolResult(text=f"held {len(block)} bytes")


@pytest.fixture(autouse=True)
def _tools(settings: Any) -> None:
    settings.TOOLS = [*settings.TOOLS, f"{__name__}.HungryTool"]
    settings.TOOLS_TIMEOUT_S = 30.0


def _xlsx_bomb(inflated_mb: int, entries: int = 1) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        chunk = b"<c><v>0</v></c>" * (1024 * 1024 // 15)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for _ in range(inflated_mb):
                sheet.write(chunk)
        for n in range(entries - 2):
            archive.writestr(f"xl/media/{n}.bin", b"")
    return buffer.getvalue()


def test_the_memory_cap_is_on_by_default() -> None:
    from django.conf import settings

    assert settings.TOOLS_MAX_MEMORY_MB == 512


def test_a_tool_past_the_memory_cap_is_stopped_with_a_warning(
    user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given the default cap (512 MB) and a tool wanting 1 GB
    caplog.set_level(logging.INFO, logger="tools")
    with pytest.raises(ToolMemoryExceeded, match="more than 512 MB"):
        tool_run(user=user, name="hungry", arguments={"mb": 1024})
    # then a WARNING with the reason, and no traceback anywhere
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and "tool_memory_exceeded" in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert tool_run(user=user, name="hungry", arguments={"mb": 64}).text.startswith("held")


def test_an_xlsx_bomb_is_refused_before_parsing(
    user: Any,
    s3_backend: Any,
    make_stored_file: Any,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given an XLSX of a few KB that inflates past the limit
    settings.TOOLS_MAX_UNZIPPED_MB = 8
    bomb = make_stored_file(content=_xlsx_bomb(10), filename="book.xlsx")
    assert bomb.size < 100_000
    caplog.set_level(logging.INFO)
    # when convert_table is asked to read it
    with pytest.raises(HostileInput, match="inflates to") as refused:
        tool_run(user=user, name="convert_table", arguments={"file_id": str(bomb.pk), "to": "csv"})
    # then it is a typed refusal, recorded, and a WARNING with the reason, no traceback
    assert refused.value.code == "hostile_input" and refused.value.status == 422
    assert ToolRun.objects.get(user=user).error_code == "hostile_input"
    warning = next(r for r in caplog.records if r.name == "tools.executor")
    assert warning.levelno == logging.WARNING and "zip bomb" in warning.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_a_zip_with_too_many_entries_is_refused(
    user: Any, s3_backend: Any, make_stored_file: Any, settings: Any
) -> None:
    settings.TOOLS_MAX_ZIP_ENTRIES = 50
    many = make_stored_file(content=_xlsx_bomb(0, entries=60), filename="many.xlsx")
    with pytest.raises(HostileInput, match="60 zip entries"):
        tool_run(user=user, name="convert_table", arguments={"file_id": str(many.pk), "to": "csv"})


def test_a_run_past_the_users_concurrent_cap_is_refused(
    user: Any, other_user: Any, settings: Any
) -> None:
    # given the user already has the allowed number of runs in flight
    settings.TOOLS_MAX_CONCURRENT_PER_USER = 2
    with run_slot(user.pk), run_slot(user.pk):
        # when a third starts: refused at once, 429 with a wait
        with pytest.raises(TooManyToolRuns) as refused:
            tool_run(user=user, name="hungry", arguments={"mb": 1})
        assert refused.value.status == 429 and refused.value.retry_after == 5
        # another user is not affected
        assert tool_run(user=other_user, name="hungry", arguments={"mb": 1}).text
    # and the slots are free again once the runs end
    assert tool_run(user=user, name="hungry", arguments={"mb": 1}).text


def test_the_api_answers_429_with_retry_after(api_client: Any, settings: Any) -> None:
    settings.TOOLS_MAX_CONCURRENT_PER_USER = 1
    with run_slot(api_client.user.pk):
        response = api_client.post("/api/tools/hungry/run", {"mb": 1}, format="json")
    assert response.status_code == 429
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "too_many_tool_runs"


def _malformed_xlsx(part: str, data: bytes) -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(["a", "b"])
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for entry in source.infolist():
            body = data if entry.filename == part else source.read(entry.filename)
            archive.writestr(entry.filename, body)
    return out.getvalue()


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/styles.xml"])
def test_a_malformed_xlsx_is_a_warning_with_the_reason_not_a_crash(
    user: Any,
    s3_backend: Any,
    make_stored_file: Any,
    caplog: pytest.LogCaptureFixture,
    part: str,
) -> None:
    # Finding (info): parse failures of hostile files were logged as crashes with tracebacks.
    broken = make_stored_file(content=_malformed_xlsx(part, b"<<<not xml"), filename="b.xlsx")
    caplog.set_level(logging.INFO)
    with pytest.raises(ToolError, match="is not a readable XLSX workbook") as refused:
        tool_run(
            user=user, name="convert_table", arguments={"file_id": str(broken.pk), "to": "csv"}
        )
    assert refused.value.code == "tool_failed"
    warning = next(r for r in caplog.records if r.name == "tools.executor")
    assert warning.levelno == logging.WARNING and "not a readable XLSX" in warning.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
