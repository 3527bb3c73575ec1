"""The README's first command: s3mock and the web app start together and stop on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

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
        # when the user presses Ctrl-C
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        output = proc.stdout.read()
        # then both servers are gone and it said how to sign in on the way
        assert not answers(login)
        assert not answers(f"http://127.0.0.1:{s3_port}/health")
        assert "demo@example.com" in output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
