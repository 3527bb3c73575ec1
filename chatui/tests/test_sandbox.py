"""chatui.sandbox: a function in a killable child, under a deadline and a memory cap."""

from __future__ import annotations

import os
import time

import pytest

from chatui.sandbox import ChildCrashed, ChildDied, ChildLimits, ChildTimeout, run_in_child


class Refused(Exception):
    pass


def double(n: int) -> int:
    return n * 2


def sleep_long() -> None:
    time.sleep(30)


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def refuse() -> None:
    raise Refused("no")


def die() -> None:
    os._exit(3)


LIMITS = ChildLimits(timeout_s=20, max_memory_bytes=256 * 1024 * 1024)


def test_returns_the_value() -> None:
    assert run_in_child(double, (21,), LIMITS, name="t") == 42


def test_kills_at_the_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(ChildTimeout):
        run_in_child(sleep_long, (), ChildLimits(timeout_s=0.5), name="t")
    assert time.monotonic() - started < 10


def test_memory_cap_fails_inside_the_child() -> None:
    assert run_in_child(allocate, (16,), LIMITS, name="t") == 16 * 1024 * 1024
    with pytest.raises(ChildCrashed, match="MemoryError"):
        run_in_child(allocate, (1024,), LIMITS, name="t")


def test_expected_errors_pass_through_and_a_silent_death_is_reported() -> None:
    with pytest.raises(Refused):
        run_in_child(refuse, (), LIMITS, name="t", expected=(Refused,))
    with pytest.raises(ChildCrashed, match="Refused"):
        run_in_child(refuse, (), LIMITS, name="t")
    with pytest.raises(ChildDied, match="exit code 3"):
        run_in_child(die, (), LIMITS, name="t")


def apps_ready() -> bool:
    from django.apps import apps

    return apps.ready


def test_a_child_finds_django_set_up_whoever_started_the_forkserver() -> None:
    """The forkserver is one per process: text extraction may start it before any tool
    call does. Started by a plain run_in_child it used to lack the preload, and a tool
    whose module imports a model then died with AppRegistryNotReady in the child."""
    import subprocess
    import sys

    from django.conf import settings

    script = (
        "import django; django.setup()\n"
        "from chatui.sandbox import ChildLimits, run_in_child\n"
        "from chatui.tests.test_sandbox import apps_ready\n"
        "print(run_in_child(apps_ready, (), ChildLimits(timeout_s=60), name='probe'))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "chatui.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip().splitlines()[-1:] == ["True"], done.stderr[-2000:]
