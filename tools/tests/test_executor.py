"""The executor against a live S3 endpoint over HTTP (FILES' ``s3_backend`` fixture).

Test tools are defined here and plugged in through ``settings.TOOLS``; they run
in the real child process, so what is checked is what production does.
"""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from chat.models import ChatSession
from chatui.errors import (
    FileNotFound,
    InvalidInput,
    InvalidToolArguments,
    StorageUnavailable,
    ToolError,
    ToolInputTooLarge,
    ToolOutputTooLarge,
    ToolTimeout,
    UnknownTool,
)
from chatui.text import UnstorableText
from files.models import StoredFile
from tools import executor
from tools.base import (
    GeneratedFile,
    InputFile,
    Tool,
    ToolResult,
    multi_file_property,
    object_schema,
    single_file_properties,
)
from tools.executor import tool_run
from tools.models import ToolRun

pytestmark = pytest.mark.django_db(transaction=False)

CSV = b"month,sales\nJan,10\nFeb,12\nMar,9\n"


class CopyTool(Tool):
    """Returns ``copies`` generated files, each a copy of the input."""

    name = "copy_file"
    description = "Copy a file."
    parameters = object_schema(
        {**single_file_properties(), "copies": {"type": "integer", "minimum": 1, "maximum": 5}}
    )

    def run(self, *, file: InputFile, copies: int = 1) -> ToolResult:
        files = [
            GeneratedFile(f"copy{i}_{file.filename}", file.content, file.content_type)
            for i in range(1, copies + 1)
        ]
        return ToolResult(text=f"{file.filename}: {file.size} bytes", files=files)


class ConcatTool(Tool):
    name = "concat"
    description = "Concatenate files."
    parameters = object_schema({"file_ids": multi_file_property()}, required=["file_ids"])

    def run(self, *, files: list[InputFile]) -> ToolResult:
        return ToolResult(text=b"+".join(f.content for f in files).decode())


class RaisingTool(Tool):
    name = "raising"
    description = "Always fails with a bug."
    parameters = object_schema({})

    def run(self) -> ToolResult:
        raise ZeroDivisionError("the tool divided by zero")


class DyingTool(Tool):
    name = "dying"
    description = "Exits its process abruptly."
    parameters = object_schema({})

    def run(self) -> ToolResult:
        os._exit(3)


class SleepingTool(Tool):
    name = "sleeping"
    description = "Writes its pid, then sleeps."
    parameters = object_schema(
        {"pid_file": {"type": "string"}, "seconds": {"type": "number"}}, required=["pid_file"]
    )

    def run(self, *, pid_file: str, seconds: float = 60) -> ToolResult:
        Path(pid_file).write_text(str(os.getpid()))
        time.sleep(seconds)
        return ToolResult(text="woke up", files=[GeneratedFile("late.txt", b"late")])


class BigOutputTool(Tool):
    name = "big_output"
    description = "Generates files of a chosen size."
    parameters = object_schema(
        {"size": {"type": "integer"}, "count": {"type": "integer"}}, required=["size"]
    )

    def run(self, *, size: int, count: int = 1) -> ToolResult:
        files = [GeneratedFile(f"big{i}.bin", b"\x01" * size) for i in range(count)]
        return ToolResult(text="made", files=files)


class TextTool(Tool):
    name = "text_out"
    description = (
        "Returns the given text (or latin-1 text given as hex), or base64 of random bytes."
    )
    parameters = object_schema(
        {"text": {"type": "string"}, "hex": {"type": "string"}, "b64": {"type": "integer"}}
    )

    def run(self, *, text: str = "", hex: str = "", b64: int = 0) -> ToolResult:
        blob = base64.b64encode(os.urandom(b64)).decode() if b64 else ""
        return ToolResult(text=f"{text}{bytes.fromhex(hex).decode('latin-1')}{blob}")


class BadResultTool(Tool):
    name = "bad_result"
    description = "Returns text where bytes belong."
    parameters = object_schema({})

    def run(self) -> ToolResult:
        return ToolResult(text="oops", files=[GeneratedFile("a.txt", "not bytes")])  # type: ignore[arg-type]


class ProbeTool(Tool):
    """Reports what the child process it runs in has loaded."""

    name = "probe"
    description = "Describe the tool process."
    parameters = object_schema({})

    def run(self) -> ToolResult:
        from django.apps import apps

        loaded = {
            "pid": os.getpid(),
            # multiprocessing re-runs the parent's script as a module named __mp_main__
            "parent_main_rerun": vars(sys.modules["__main__"]).get("__name__") == "__mp_main__",
            "django_ready": apps.ready,
            "matplotlib_preloaded": "matplotlib.figure" in sys.modules,
        }
        return ToolResult(text=json.dumps(loaded))


HERE = __name__
TEST_TOOLS = [
    f"{HERE}.{cls.__name__}"
    for cls in (
        CopyTool,
        ConcatTool,
        RaisingTool,
        DyingTool,
        SleepingTool,
        BigOutputTool,
        TextTool,
        ProbeTool,
        BadResultTool,
    )
]


@pytest.fixture(autouse=True)
def _tools(settings: Any) -> None:
    settings.TOOLS = [*settings.TOOLS, *TEST_TOOLS]
    settings.TOOLS_TIMEOUT_S = 20.0


@pytest.fixture
def storage(s3_backend: Any) -> Any:
    return s3_backend


def _generated_keys(storage: Any, user: Any) -> list[str]:
    return storage.list_keys(f"users/{user.email}/generated/")


def _assert_nothing_generated(storage: Any, user: Any) -> None:
    assert StoredFile.objects.filter(owner=user, source="tool").count() == 0
    assert _generated_keys(storage, user) == []


def _session(user: Any) -> ChatSession:
    return ChatSession.objects.create(owner=user, title="t")


# --- Success --------------------------------------------------------------------


def test_generated_files_are_stored_linked_and_recorded(
    storage: Any, user: Any, make_stored_file: Any
) -> None:
    # given a CSV the user uploaded in a chat
    session = _session(user)
    source = make_stored_file(content=CSV, filename="sales.csv", session_id=session.id)
    message_id = "6f1c1c52-7d0b-4a53-9d6e-d0f1e2c3b4a5"
    # when
    outcome = tool_run(
        user=user,
        name="plot_csv",
        arguments={"file_id": str(source.pk), "x": "month", "y": "sales", "kind": "bar"},
        session_id=session.id,
        message=message_id,
    )
    # then one PNG is stored under generated/, as a tool file of this chat
    [png] = outcome.files
    assert (png.source, png.source_tool, png.session_id) == ("tool", "plot_csv", session.id)
    assert png.key.startswith(f"users/{user.email}/generated/") and png.filename == "sales_bar.png"
    assert png.content_type == "image/png"
    assert _generated_keys(storage, user) == [png.key]
    assert "Plotted sales from sales.csv as a bar chart" in outcome.text
    # and the run is recorded, with the arguments as given (ids, no contents)
    run = outcome.run
    assert (run.status, run.tool_name, run.session_id, str(run.message_id)) == (
        "success",
        "plot_csv",
        session.id,
        message_id,
    )
    assert run.arguments["file_id"] == str(source.pk) and list(run.files.all()) == [png]
    assert run.duration_ms > 0 and run.error_code == ""


def test_the_tool_receives_the_bytes_not_the_key(
    storage: Any, user: Any, make_stored_file: Any
) -> None:
    source = make_stored_file(content=b"abc", filename="a.txt")
    outcome = tool_run(user=user, name="copy_file", arguments={"file_id": str(source.pk)})
    [copy] = outcome.files
    assert outcome.text == "a.txt: 3 bytes" and copy.size == 3 and copy.session_id is None
    assert copy.checksum == source.checksum


def test_several_files_in_the_order_given(storage: Any, user: Any, make_stored_file: Any) -> None:
    a = make_stored_file(content=b"A", filename="a.txt")
    b = make_stored_file(content=b"B", filename="b.txt")
    outcome = tool_run(user=user, name="concat", arguments={"file_ids": [str(b.pk), str(a.pk)]})
    assert outcome.text == "B+A" and outcome.files == []


def test_a_run_that_makes_no_file_is_recorded_in_one_insert(
    transactional_db: Any, storage: Any, user: Any, make_stored_file: Any
) -> None:
    """On SQLite every statement of a write holds the database's one write lock: a run
    without output files is one INSERT, with no transaction around it (SQLite shows
    one as ``BEGIN``) and no read of its (new, empty) file links."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    source = make_stored_file(content=b"A", filename="a.txt")
    with CaptureQueriesContext(connection) as queries:
        outcome = tool_run(user=user, name="concat", arguments={"file_ids": [str(source.pk)]})
    assert outcome.files == [] and outcome.run.status == "success"
    run_table, links = ToolRun._meta.db_table, ToolRun.files.through._meta.db_table
    recorded = [q["sql"] for q in queries if f'"{run_table}"' in q["sql"]]
    assert len(recorded) == 1 and recorded[0].startswith("INSERT"), recorded
    around = [q["sql"] for q in queries if q["sql"].startswith(("BEGIN", "SAVEPOINT"))]
    assert not [q["sql"] for q in queries if f'"{links}"' in q["sql"]] and not around, around


def test_several_files_are_looked_up_in_one_query(
    storage: Any, user: Any, make_stored_file: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    files = [make_stored_file(content=b"x", filename=f"{n}.txt") for n in range(4)]
    with CaptureQueriesContext(connection) as queries:
        tool_run(user=user, name="concat", arguments={"file_ids": [str(f.pk) for f in files]})
    table = StoredFile._meta.db_table
    owned = f'"{table}"."owner_id" = '  # the ownership check of the named files, by id
    lookups = [q["sql"] for q in queries if owned in q["sql"] and f'"{table}"."id" IN' in q["sql"]]
    lookups += [q["sql"] for q in queries if owned in q["sql"] and f'"{table}"."id" =' in q["sql"]]
    assert len(lookups) == 1, lookups


def test_filename_resolves_to_the_newest_in_the_session(
    storage: Any, user: Any, make_stored_file: Any
) -> None:
    session, elsewhere = _session(user), _session(user)
    make_stored_file(content=b"old", filename="n.txt", session_id=session.id)
    make_stored_file(content=b"newest", filename="n.txt", session_id=session.id)
    make_stored_file(content=b"other chat", filename="n.txt", session_id=elsewhere.id)
    outcome = tool_run(
        user=user, name="copy_file", arguments={"filename": "n.txt"}, session_id=session.id
    )
    assert outcome.text == "n.txt: 6 bytes"


def test_filename_outside_a_session_or_unknown(
    storage: Any, user: Any, make_stored_file: Any
) -> None:
    make_stored_file(content=b"x", filename="n.txt")
    with pytest.raises(InvalidToolArguments, match="only within a chat session"):
        tool_run(user=user, name="copy_file", arguments={"filename": "n.txt"})
    with pytest.raises(FileNotFound, match=r"no file named 'm\.txt' in this chat or in your"):
        tool_run(
            user=user,
            name="copy_file",
            arguments={"filename": "m.txt"},
            session_id=_session(user).id,
        )


def test_filename_outside_the_chat_is_found_when_it_is_the_only_one(
    storage: Any, user: Any, make_stored_file: Any
) -> None:
    make_stored_file(content=b"abc", filename="Sales.CSV")
    outcome = tool_run(
        user=user,
        name="copy_file",
        arguments={"filename": "sales.csv"},
        session_id=_session(user).id,
    )
    assert outcome.text == "Sales.CSV: 3 bytes"


def test_an_ambiguous_filename_gets_a_question(
    storage: Any, user: Any, make_stored_file: Any
) -> None:
    make_stored_file(content=b"a", filename="n.txt")
    make_stored_file(content=b"b", filename="n.txt")
    with pytest.raises(InvalidToolArguments, match=r"Which n\.txt do you mean\? You have 2 files"):
        tool_run(
            user=user,
            name="copy_file",
            arguments={"filename": "n.txt"},
            session_id=_session(user).id,
        )


# --- Ownership --------------------------------------------------------------------------


def test_another_users_file_is_not_found(
    storage: Any, user: Any, other_user: Any, make_stored_file: Any
) -> None:
    # given alice's file
    alices = make_stored_file(content=CSV, filename="secret.csv")
    # when bob names it, alone or among his own files
    bobs = make_stored_file(owner=other_user, content=b"mine", filename="bob.txt")
    with pytest.raises(FileNotFound) as excinfo:
        tool_run(user=other_user, name="copy_file", arguments={"file_id": str(alices.pk)})
    assert excinfo.value.status == 404
    with pytest.raises(FileNotFound):
        tool_run(
            user=other_user, name="concat", arguments={"file_ids": [str(bobs.pk), str(alices.pk)]}
        )
    # then nothing ran, nothing was stored for anyone, and the attempts are recorded as errors
    _assert_nothing_generated(storage, user)
    _assert_nothing_generated(storage, other_user)
    runs = ToolRun.objects.filter(user=other_user)
    assert [r.status for r in runs] == ["error", "error"]
    assert {r.error_code for r in runs} == {"not_found"}


def test_a_session_of_another_user_is_refused(storage: Any, user: Any, other_user: Any) -> None:
    with pytest.raises(InvalidInput, match="chat session does not exist"):
        tool_run(user=user, name="text_out", arguments={}, session_id=_session(other_user).id)


# --- Schema violations --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "arguments", "words"),
    [
        ("plot_csv", {"file_id": "x"}, "'y' is a required property"),
        ("plot_csv", {"file_id": "x", "y": "a", "colour": "red"}, "Additional properties"),
        ("plot_csv", {"file_id": "x", "y": "a", "kind": "pie"}, "kind: 'pie' is not one of"),
        ("image_thumbnail", {"file_id": "x", "size": 4096}, "size: 4096 is greater than"),
        ("copy_file", {"copies": 2}, "exactly one of file_id or filename"),
        ("copy_file", {"file_id": "x", "filename": "y"}, "exactly one of file_id or filename"),
        ("concat", {"file_ids": []}, "file_ids: [] should be non-empty"),
        ("copy_file", ["not", "an", "object"], "must be a JSON object"),
    ],
)
def test_schema_violations_never_reach_the_tool(
    storage: Any, user: Any, monkeypatch: pytest.MonkeyPatch, name: str, arguments: Any, words: str
) -> None:
    def must_not_run(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the tool ran")

    monkeypatch.setattr(executor, "run_isolated", must_not_run)
    with pytest.raises(InvalidToolArguments) as excinfo:
        tool_run(user=user, name=name, arguments=arguments)
    assert words in excinfo.value.message
    assert excinfo.value.as_dict()["code"] == "invalid_tool_arguments"
    run = ToolRun.objects.get(user=user)
    assert (run.status, run.error_code) == ("error", "invalid_tool_arguments")
    _assert_nothing_generated(storage, user)


def test_unknown_tool_records_nothing(storage: Any, user: Any) -> None:
    with pytest.raises(UnknownTool):
        tool_run(user=user, name="rm_rf", arguments={})
    assert not ToolRun.objects.exists()


# --- Failures inside the tool ------------------------------------------------------------


def test_a_tool_that_raises_is_a_logged_tool_error(
    storage: Any, user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ToolError) as excinfo:
        tool_run(user=user, name="raising", arguments={})
    assert excinfo.value.code == "tool_failed"
    assert "raising failed: ZeroDivisionError: the tool divided by zero" in excinfo.value.message
    assert "Traceback" in caplog.text and "in run" in caplog.text  # the child's traceback
    run = ToolRun.objects.get(user=user)
    assert (run.status, run.error_code) == ("error", "tool_failed")
    assert "ZeroDivisionError" in run.error_message


def test_a_tool_whose_process_dies(storage: Any, user: Any) -> None:
    with pytest.raises(ToolError, match=r"stopped unexpectedly \(exit code 3\)"):
        tool_run(user=user, name="dying", arguments={})


def test_a_malformed_result_is_a_tool_error(storage: Any, user: Any) -> None:
    with pytest.raises(ToolError, match="must hold GeneratedFile with bytes"):
        tool_run(user=user, name="bad_result", arguments={})
    _assert_nothing_generated(storage, user)


def test_a_tools_own_error_keeps_its_code(storage: Any, user: Any, make_stored_file: Any) -> None:
    source = make_stored_file(content=CSV, filename="sales.csv")
    with pytest.raises(ToolError, match="no column 'profit'"):
        tool_run(user=user, name="plot_csv", arguments={"file_id": str(source.pk), "y": "profit"})
    _assert_nothing_generated(storage, user)


def test_a_tool_past_the_time_limit_is_killed(
    storage: Any, user: Any, settings: Any, tmp_path: Path
) -> None:
    # given a limit of one second and a tool that would sleep a minute
    settings.TOOLS_TIMEOUT_S = 1.0
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    # when
    with pytest.raises(ToolTimeout) as excinfo:
        tool_run(user=user, name="sleeping", arguments={"pid_file": str(pid_file)})
    # then the caller got a typed error in about a second, and the process is gone
    assert time.monotonic() - started < 8
    assert (excinfo.value.code, excinfo.value.status) == ("tool_timeout", 504)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)
    run = ToolRun.objects.get(user=user)
    assert (run.status, run.error_code) == ("timeout", "tool_timeout")
    _assert_nothing_generated(storage, user)


def test_tools_run_in_a_preloaded_child_process(storage: Any, user: Any) -> None:
    # The forkserver preloads Django and the libraries once; a child must not
    # re-run the parent's main script (pytest here, daphne in production).
    first = json.loads(tool_run(user=user, name="probe", arguments={}).text)
    second = json.loads(tool_run(user=user, name="probe", arguments={}).text)
    assert first["pid"] != os.getpid() and first["pid"] != second["pid"]
    assert first["django_ready"] and first["matplotlib_preloaded"]
    assert not first["parent_main_rerun"]


# --- Limits ----------------------------------------------------------------------------


def test_an_oversized_generated_file_is_refused(storage: Any, user: Any, settings: Any) -> None:
    settings.TOOLS_MAX_OUTPUT_FILE_BYTES = 1000
    with pytest.raises(ToolOutputTooLarge, match="at most 1,000 bytes"):
        tool_run(user=user, name="big_output", arguments={"size": 1001})
    _assert_nothing_generated(storage, user)
    assert tool_run(user=user, name="big_output", arguments={"size": 1000}).files[0].size == 1000


def test_oversized_total_output_is_refused(storage: Any, user: Any, settings: Any) -> None:
    settings.TOOLS_MAX_OUTPUT_TOTAL_BYTES = 2500
    with pytest.raises(ToolOutputTooLarge, match="generated 3,000 bytes"):
        tool_run(user=user, name="big_output", arguments={"size": 1000, "count": 3})
    run = ToolRun.objects.get(user=user)
    assert run.error_code == "tool_output_too_large"
    _assert_nothing_generated(storage, user)


def test_input_limits(storage: Any, user: Any, settings: Any, make_stored_file: Any) -> None:
    a = make_stored_file(content=b"x" * 10, filename="a.txt")
    b = make_stored_file(content=b"y" * 10, filename="b.txt")
    settings.TOOLS_MAX_INPUT_FILE_BYTES = 9
    with pytest.raises(ToolInputTooLarge, match=r"a\.txt is 10 bytes"):
        tool_run(user=user, name="copy_file", arguments={"file_id": str(a.pk)})
    settings.TOOLS_MAX_INPUT_FILE_BYTES = 10
    settings.TOOLS_MAX_INPUT_TOTAL_BYTES = 19
    with pytest.raises(ToolInputTooLarge, match="total 20 bytes") as excinfo:
        tool_run(user=user, name="concat", arguments={"file_ids": [str(a.pk), str(b.pk)]})
    assert excinfo.value.status == 413
    _assert_nothing_generated(storage, user)


def test_a_storage_failure_midway_removes_what_was_stored(
    storage: Any, user: Any, make_stored_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the store fails on the 2nd of 3 generated files
    source = make_stored_file(content=b"abc", filename="a.txt")
    real_upload = executor.file_upload
    calls: list[str] = []

    def flaky_upload(**kwargs: Any) -> StoredFile:
        calls.append(kwargs["filename"])
        if len(calls) == 2:
            raise StorageUnavailable()
        return real_upload(**kwargs)

    monkeypatch.setattr(executor, "file_upload", flaky_upload)
    # when
    with pytest.raises(StorageUnavailable):
        tool_run(user=user, name="copy_file", arguments={"file_id": str(source.pk), "copies": 3})
    # then the first copy, which was stored, is gone again: rows and bucket
    assert calls == ["copy1_a.txt", "copy2_a.txt"]
    _assert_nothing_generated(storage, user)
    assert ToolRun.objects.get(user=user).error_code == "storage_unavailable"


def test_a_regeneration_becomes_a_version_of_the_earlier_output(
    storage: Any, user: Any, make_stored_file: Any
) -> None:
    # given a copy made from a.txt
    source = make_stored_file(content=b"abc", filename="a.txt")
    arguments = {"file_id": str(source.pk)}
    [first] = tool_run(user=user, name="copy_file", arguments=arguments).files
    # when a.txt changes (a new version) and the same tool runs on the same inputs
    from files.versions import version_upload

    version_upload(file=source, content=b"abcd")
    outcome = tool_run(user=user, name="copy_file", arguments=arguments)
    # then the output is the same file's version 2, recording the run that made it
    [again] = outcome.files
    assert (again.pk, again.version, again.size) == (first.pk, 2, 4)
    assert StoredFile.objects.filter(source="tool").count() == 1
    v2 = again.versions.get(number=2)
    assert (v2.source, v2.source_tool, v2.tool_run_id) == ("tool", "copy_file", str(outcome.run.pk))
    assert len(_generated_keys(storage, user)) == 2
    # other inputs (another count) make a file of their own
    tool_run(user=user, name="copy_file", arguments={**arguments, "copies": 1})
    assert StoredFile.objects.filter(source="tool").count() == 2


def test_a_failed_regeneration_undoes_the_version_it_added(
    storage: Any, user: Any, make_stored_file: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_stored_file(content=b"abc", filename="a.txt")
    arguments = {"file_id": str(source.pk), "copies": 2}
    first, _second = tool_run(user=user, name="copy_file", arguments=arguments).files
    keys_before = sorted(_generated_keys(storage, user))
    real_upload = executor.file_upload
    calls: list[str] = []

    def flaky_upload(**kwargs: Any) -> StoredFile:
        calls.append(kwargs["filename"])
        if len(calls) == 2:
            raise StorageUnavailable()
        return real_upload(**kwargs)

    monkeypatch.setattr(executor, "file_upload", flaky_upload)
    with pytest.raises(StorageUnavailable):
        tool_run(user=user, name="copy_file", arguments=arguments)
    first.refresh_from_db()
    assert first.version == 1 and first.versions.count() == 1
    assert sorted(_generated_keys(storage, user)) == keys_before


# --- The text result ------------------------------------------------------------------------


def test_base64_never_flows_back_as_text(storage: Any, user: Any) -> None:
    outcome = tool_run(user=user, name="text_out", arguments={"text": "image: ", "b64": 30_000})
    assert outcome.text == "image: [binary data removed: 40,000 characters]"


def test_long_text_and_binary_text_are_capped(storage: Any, user: Any, settings: Any) -> None:
    settings.TOOLS_MAX_TEXT_CHARS = 500
    long = tool_run(user=user, name="text_out", arguments={"text": "word " * 200}).text
    assert long.endswith("\n[truncated: 500 more characters]") and len(long) < 600
    raw = "ok \x00\x01\x02\x89PNG" + "\x00" * 50  # made by the tool: arguments refuse NUL
    hex_text = raw.encode("latin-1").hex()
    binary = tool_run(user=user, name="text_out", arguments={"hex": hex_text}).text
    assert binary == "ok [binary data removed: 57 characters]"


def test_arguments_with_nul_are_refused_and_recorded_storably(storage: Any, user: Any) -> None:
    with pytest.raises(UnstorableText):
        tool_run(user=user, name="text_out", arguments={"text": "a\x00b"})
    run = ToolRun.objects.get()
    assert (run.error_code, run.arguments) == ("invalid_text", {"text": "a\ufffdb"})


# --- A built-in tool through the executor ----------------------------------------------------


def test_thumbnail_through_the_executor(storage: Any, user: Any, make_stored_file: Any) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "green").save(buffer, format="JPEG")
    photo = make_stored_file(content=buffer.getvalue(), filename="photo.jpg")
    outcome = tool_run(
        user=user,
        name="image_thumbnail",
        arguments={"file_id": str(photo.pk), "size": 64, "format": "jpeg"},
    )
    [thumb] = outcome.files
    assert thumb.content_type == "image/jpeg" and thumb.category == "image"
    from files.services import file_read_bytes

    with Image.open(io.BytesIO(file_read_bytes(file=thumb))) as image:
        assert image.size == (64, 48)
