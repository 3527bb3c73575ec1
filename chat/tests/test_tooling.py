"""The tool specs offered to the model: built once per process, rebuilt when TOOLS change."""

from __future__ import annotations

from typing import Any

import pytest

from chat.tooling import tool_specs_get, tool_specs_list
from tools import registry

CSV_SUMMARY = "tools.builtin.csv_summary.CsvSummaryTool"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per time the specs were built from the registry."""
    seen: list[int] = []
    real = registry.tool_list

    def counting() -> list[Any]:
        seen.append(1)
        return real()

    monkeypatch.setattr(registry, "tool_list", counting)
    return seen


def test_the_specs_are_built_once_and_follow_the_settings(settings: Any, builds: list[int]) -> None:
    settings.TOOLS = [CSV_SUMMARY]
    first, second = tool_specs_list(), tool_specs_list()
    assert [spec.name for spec in first] == ["csv_summary"] and first == second
    assert len(builds) == 1, "every reply asks; the registry is read once"

    settings.TOOLS = []
    assert tool_specs_list() == [] and len(builds) == 2


def test_a_caller_cannot_change_the_shared_specs(settings: Any) -> None:
    settings.TOOLS = [CSV_SUMMARY]
    tool_specs_list().clear()
    assert len(tool_specs_list()) == 1


@pytest.mark.anyio
async def test_async_callers_get_the_same_specs(settings: Any, builds: list[int]) -> None:
    settings.TOOLS = [CSV_SUMMARY]
    assert await tool_specs_get() == await tool_specs_get() == tool_specs_list()
    assert len(builds) == 1
