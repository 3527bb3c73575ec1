"""The servers we start run as the README's deployment runs them: its uvicorn options
(pinned live in ``test_live_hardening.py``) and its process environment, ``server_env``."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatui.server_protocol import DEPLOYMENT_ENV, server_env
from chatui.testing import scaleout
from chatui.testing.live_app import LiveApp


def test_server_env_adds_the_deployments_malloc_arena_cap() -> None:
    assert DEPLOYMENT_ENV == {"MALLOC_ARENA_MAX": "2"}
    assert server_env({"PATH": "/bin"}) == {"PATH": "/bin", "MALLOC_ARENA_MAX": "2"}


def test_a_value_the_caller_sets_wins() -> None:
    assert server_env({"MALLOC_ARENA_MAX": "8"})["MALLOC_ARENA_MAX"] == "8"


def test_the_soak_and_fault_servers_get_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    app = LiveApp(tmp_path, "http://127.0.0.1:9", "key", "secret")
    assert app.env()["MALLOC_ARENA_MAX"] == "2"
    app.extra_env["MALLOC_ARENA_MAX"] = "4"
    assert app.env()["MALLOC_ARENA_MAX"] == "4"


@pytest.mark.parametrize("inherited", [None, "3"])
def test_the_scaleout_servers_get_it_unless_the_caller_sets_it(
    tmp_path: Path, monkeypatch, inherited: str | None
) -> None:
    if inherited is None:
        monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    else:
        monkeypatch.setenv("MALLOC_ARENA_MAX", inherited)
    s3 = scaleout.S3Target("http://127.0.0.1:9", "key", "secret", "bucket")
    env = scaleout.site_env(var_dir=tmp_path, dbname="chatui_x", s3=s3)
    assert env["MALLOC_ARENA_MAX"] == (inherited or "2")
