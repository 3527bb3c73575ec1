"""The benchmarks that claim production settings start their servers with the
deployment's process environment (``chatui.server_protocol.server_env``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.chat_ws_server import bench_env
from bench.harness import environment


def test_production_benchmarks_cap_malloc_arenas(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert environment(tmp_path, "http://127.0.0.1:9", production=True)["MALLOC_ARENA_MAX"] == "2"
    args = argparse.Namespace(settings="chatui.settings", debug=False)
    assert bench_env(tmp_path, args)["MALLOC_ARENA_MAX"] == "2"


def test_the_development_harness_leaves_the_allocator_alone(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert "MALLOC_ARENA_MAX" not in environment(tmp_path, "http://127.0.0.1:9")


def test_the_callers_value_wins(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "6")
    assert environment(tmp_path, "http://127.0.0.1:9", production=True)["MALLOC_ARENA_MAX"] == "6"
