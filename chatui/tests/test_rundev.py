"""The README's first command: s3mock, the web app and the document worker start together
and stop on Ctrl-C.

Also when rundev inherits SIGINT ignored and blocked: a command started in the
background of a non-interactive shell (``make test &``, as CI harnesses run it)
gets SIGINT ignored, and Python then raises no KeyboardInterrupt. Before rundev
took its stop signals back, that run found rundev alive 30 s after SIGINT.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

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


def as_background_job() -> None:
    """In the child before exec: SIGINT as a non-interactive shell's ``cmd &`` leaves it
    (ignored), and blocked as well, the worst a parent can hand down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def running(process: psutil.Process) -> bool:
    """Running and not a zombie (an exited child nobody reaped yet)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def header_deadline_closes(port: int) -> bool:
    """A request whose headers never end is closed by the server (the deadline is 1 s
    here), well before this side's own 15 s read timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            return sock.recv(1024) == b""
        except ConnectionResetError:
            return True


def demo_text_statuses(var_dir: Path) -> set[str]:
    """The demo files' text statuses (all four are indexable: CSV, PNG, text, PDF)."""
    try:
        with sqlite3.connect(var_dir / "db.sqlite3", timeout=5) as db:
            rows = db.execute("SELECT text_status FROM files_storedfile").fetchall()
    except sqlite3.Error:
        return set()
    return {status for (status,) in rows}


def kill_all(processes: list[psutil.Process]) -> None:
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


@pytest.mark.parametrize("inherited", ["foreground", "background_job"])
def test_rundev_serves_both_and_ctrl_c_stops_both(tmp_path, inherited):
    # given a fresh var dir and free ports
    web_port, s3_port = free_port(), free_port()
    env = {
        **os.environ,
        "CHATUI_VAR_DIR": str(tmp_path),
        "S3_ENDPOINT": f"http://127.0.0.1:{s3_port}",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "SERVER_HEADER_TIMEOUT_S": "1",
    }
    env.pop("MALLOC_ARENA_MAX", None)
    cmd = [sys.executable, "manage.py", "rundev", "--port", str(web_port)]
    preexec = as_background_job if inherited == "background_job" else None
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, preexec_fn=preexec
    )
    servers: list[psutil.Process] = []
    try:
        # when it has started
        login = f"http://127.0.0.1:{web_port}/accounts/login/"
        assert wait_until(lambda: answers(login), 90), "the web app never answered"
        # then the web app serves pages and reaches s3mock through the storage seam
        health = httpx.get(f"http://127.0.0.1:{web_port}/api/health", timeout=10).json()
        assert health["storage"]["ok"] is True
        assert (tmp_path / "s3mock").is_dir()
        # static files are served (WhiteNoise; runserver used to do it)
        css = httpx.get(f"http://127.0.0.1:{web_port}/static/css/base.css", timeout=10)
        assert css.status_code == 200 and "text/css" in css.headers["content-type"]
        # and a client that never finishes its headers is cut off, as in production
        assert header_deadline_closes(web_port)
        # and the worker it started extracts the demo files' text
        assert wait_until(lambda: demo_text_statuses(tmp_path) == {"ready"}, 90), (
            f"demo files stayed {demo_text_statuses(tmp_path)}"
        )
        # and each server (s3mock, worker, web app) leads a process group of its own,
        # with no autoreloader under the web app
        servers = psutil.Process(proc.pid).children()
        assert len(servers) == 3, [s.cmdline() for s in servers]
        assert all(os.getpgid(s.pid) == s.pid for s in servers)
        # the web app is uvicorn with the deployment's slow-client protocol, no reloader
        web = [s.cmdline() for s in servers if "uvicorn" in s.cmdline()]
        assert len(web) == 1 and "--reload" not in web[0], web
        assert "chatui.server_protocol:TimedH11Protocol" in web[0]
        assert any("files_worker" in s.cmdline() for s in servers)
        # with the deployment's process environment (glibc malloc arenas capped)
        assert [s.environ().get("MALLOC_ARENA_MAX") for s in servers] == ["2", "2", "2"]
        servers = psutil.Process(proc.pid).children(recursive=True)  # and their children
        # when the user presses Ctrl-C
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        output = proc.stdout.read()
        # then both servers are gone and it said how to sign in on the way
        _, alive = psutil.wait_procs(servers, timeout=5)
        assert not [p for p in alive if running(p)], alive
        assert not answers(login)
        assert not answers(f"http://127.0.0.1:{s3_port}/health")
        assert "demo@example.com" in output
    finally:  # never leave a server behind, whatever failed
        if proc.poll() is None:
            rundev = psutil.Process(proc.pid)
            servers = [*servers, *rundev.children(recursive=True), rundev]
        kill_all(servers)
        proc.wait()
