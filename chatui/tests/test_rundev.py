"""The README's first command: s3mock, the web app and the document worker start together
and stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from chatui.testing.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.TransportError:
        return False


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def demo_text_statuses(var_dir: Path) -> set[str]:
    """The demo files' text statuses (all four are indexable: CSV, PNG, text, PDF)."""
    try:
        with sqlite3.connect(var_dir / "db.sqlite3", timeout=5) as db:
            rows = db.execute("SELECT text_status FROM files_storedfile").fetchall()
    except sqlite3.Error:
        return set()
    return {status for (status,) in rows}


def alive(process: psutil.Process) -> bool:
    """Running and not a zombie (an exited child nobody reaped yet)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_rundev_serves_both_and_ctrl_c_stops_both(tmp_path):
    # given a fresh var dir and free ports
    web_port, s3_port = free_port(), free_port()
    env = {
        **os.environ,
        "CHATUI_VAR_DIR": str(tmp_path),
        "S3_ENDPOINT": f"http://127.0.0.1:{s3_port}",
        "DATABASE_URL": "",
        "REDIS_URL": "",
    }
    cmd = [sys.executable, "manage.py", "rundev", "--port", str(web_port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        # when it has started
        login = f"http://127.0.0.1:{web_port}/accounts/login/"
        assert wait_until(lambda: answers(login), 90), "the web app never answered"
        # then the web app serves pages and reaches s3mock through the storage seam
        health = httpx.get(f"http://127.0.0.1:{web_port}/api/health", timeout=10).json()
        assert health["storage"]["ok"] is True
        assert (tmp_path / "s3mock").is_dir()
        # and the worker it started extracts the demo files' text
        assert wait_until(lambda: demo_text_statuses(tmp_path) == {"ready"}, 90), (
            f"demo files stayed {demo_text_statuses(tmp_path)}"
        )
        children = psutil.Process(proc.pid).children(recursive=True)
        assert any("files_worker" in " ".join(child.cmdline()) for child in children)
        # when the user presses Ctrl-C
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        output = proc.stdout.read()
        # then both servers are gone and it said how to sign in on the way
        assert not answers(login)
        assert not answers(f"http://127.0.0.1:{s3_port}/health")
        assert "demo@example.com" in output
        assert not [child for child in children if alive(child)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
