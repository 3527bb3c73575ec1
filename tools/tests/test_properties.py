"""Property-based tests of every built-in tool against arbitrary arguments (hypothesis).

Arguments are drawn from each tool's own JSON schema, bent at the edges (values
past the limits, wrong types, unknown keys) and mixed with file ids of the user's
own files, another user's file and junk. Whatever arrives: a result or a typed
DomainError (never another exception), another user's file is never read, every
generated file lies under the user's prefix, and the user's files keep their bytes.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chatui.errors import DomainError, FileNotFound
from chatui.testing.strategies import json_values as any_json
from files.keys import key_belongs_to
from files.models import StoredFile
from files.services import file_read_bytes
from tools.registry import tool_get, tool_list
from tools.tests.factories import image_bytes

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True),
]

BOB_SECRET = b"bob-secret-ledger"
FILE_REFS = ["@csv", "@png", "@text", "@bob"]
junk = any_json(text_size=30, key_size=8, width=3, max_leaves=6)


def from_schema(schema: dict[str, Any], *, bent: bool = True) -> st.SearchStrategy[Any]:
    """Values for ``schema``: valid ones, and with ``bent`` some just past its limits or junk."""
    if schema.get("x-file"):
        ref = st.sampled_from(FILE_REFS)
        if bent:
            ref = ref | st.uuids().map(str) | st.text(max_size=40)
        return st.lists(ref, min_size=1, max_size=4) if schema.get("type") == "array" else ref
    if "anyOf" in schema:
        return st.one_of([from_schema(option, bent=bent) for option in schema["anyOf"]])
    margin = 2 if bent else 0
    if "enum" in schema:
        valid = st.sampled_from(schema["enum"])
    elif schema.get("type") == "string":
        limit = schema.get("maxLength", 100)
        valid = st.text(min_size=schema.get("minLength", 0), max_size=limit + margin)
        if not bent:  # column names and patterns that exist now and then
            valid = valid | st.sampled_from(["month", "sales", "cost", "fox", "o"])
    elif schema.get("type") == "integer":
        low, high = schema.get("minimum", -1000), schema.get("maximum", 1000)
        valid = st.integers(low - margin, high + margin)
    elif schema.get("type") == "boolean":
        valid = st.booleans()
    elif schema.get("type") == "array":
        items = from_schema(schema.get("items", {}), bent=bent)
        valid = st.lists(items, min_size=1, max_size=schema.get("maxItems", 5) + margin)
    else:
        valid = junk
    return st.one_of(valid, valid, valid, junk) if bent else valid


def arguments_for(tool_name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly arguments the schema accepts (so the tool itself runs), else bent ones."""
    schema = tool_get(tool_name).parameters
    names = set(schema["properties"]) - {"filename"}  # filename needs a chat session
    required = set(schema.get("required", [])) | ({"file_id"} & names)

    def dictionaries(bent: bool) -> st.SearchStrategy[dict[str, Any]]:
        spec = {n: from_schema(schema["properties"][n], bent=bent) for n in names}
        optional = {n: v for n, v in spec.items() if n not in required}
        if bent:
            optional |= {"filename": st.text(max_size=30), "unexpected": junk}
        return st.fixed_dictionaries({n: spec[n] for n in required}, optional=optional)

    return st.one_of(dictionaries(False), dictionaries(False), dictionaries(True))


def _png() -> bytes:
    return image_bytes("PNG", size=(40, 20))


@pytest.fixture
def files(s3_backend: Any, user: Any, other_user: Any, make_stored_file: Any) -> dict[str, Any]:
    csv = make_stored_file(content=b"month,sales,cost\nJan,10,4\nFeb,12,5\n", filename="t.csv")
    png = make_stored_file(content=_png(), filename="p.png")
    text = make_stored_file(content=b"the quick brown fox\njumps\n", filename="fox.txt")
    bob = make_stored_file(owner=other_user, content=BOB_SECRET + b",1\n", filename="b.csv")
    refs = {"@csv": str(csv.pk), "@png": str(png.pk), "@text": str(text.pk), "@bob": str(bob.pk)}
    return {"refs": refs, "fingerprint": _fingerprint(user), "bob": str(bob.pk)}


def _fingerprint(owner: Any, ids: Any = None) -> dict[str, str]:
    rows = StoredFile.objects.filter(owner=owner).select_related("owner")
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return {str(f.pk): hashlib.sha256(file_read_bytes(file=f)).hexdigest() for f in rows}


def _resolve(value: Any, refs: dict[str, str]) -> Any:
    if isinstance(value, str):
        return refs.get(value, value)
    if isinstance(value, list):
        return [_resolve(item, refs) for item in value]
    return value


def _run(user: Any, name: str, arguments: dict[str, Any]) -> Any:
    from tools.executor import tool_run

    try:
        return tool_run(user=user, name=name, arguments=arguments)
    except DomainError as exc:
        return exc


@pytest.mark.parametrize("tool_name", sorted(tool.name for tool in tool_list()))
def test_any_arguments_give_a_result_or_a_typed_error(
    s3_backend: Any, user: Any, files: dict[str, Any], tool_name: str
) -> None:
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(raw=arguments_for(tool_name))
    def check(raw: dict[str, Any]) -> None:
        arguments = {key: _resolve(value, files["refs"]) for key, value in raw.items()}

        outcome = _run(user, tool_name, arguments)  # anything but a DomainError propagates

        names_bob = files["bob"] in str(arguments)
        event(getattr(outcome, "code", "ran"))
        if isinstance(outcome, DomainError):
            assert outcome.code and outcome.message
            if names_bob and outcome.code not in ("invalid_tool_arguments", "invalid_text"):
                assert isinstance(outcome, FileNotFound), outcome
        else:
            assert not names_bob, f"ran on bob's file: {arguments}"
            assert BOB_SECRET.decode() not in outcome.text
            for generated in outcome.files:
                assert generated.owner_id == user.pk and generated.source == "tool"
                assert key_belongs_to(generated.key, user.email)
                assert BOB_SECRET not in file_read_bytes(file=generated)
        assert _fingerprint(user, files["fingerprint"]) == files["fingerprint"]

    check()
