"""Run the whole app on one machine: s3mock, the web app and a document worker, stopped
together on Ctrl-C.

This is the README's first command (``make run`` calls it after setup). It
migrates the database, starts s3mock when ``S3_USE_MOCK`` is on, prepares the
bucket and a demo account when those commands exist, then serves the ASGI app
under uvicorn exactly as the README's deployment does: the same protocol class and
options (``chatui.server_protocol.uvicorn_server_options``: header deadline, minimum
body rate, keep-alive 5 s, header size cap), ``websockets`` for ``/ws/``, and the same
process environment (``server_env``: ``MALLOC_ARENA_MAX=2`` unless set). So the
slow-client timeouts hold in development too, and a developer sees the server that
production runs. Static files come from WhiteNoise (it finds them itself with
``DEBUG=true``), as they do under ``runserver``.

Stopping is deterministic:

* rundev takes SIGINT and SIGTERM for itself at start. A process started in the
  background of a non-interactive shell (``cmd &``, as CI harnesses do) inherits
  SIGINT *ignored*, and Python then installs no KeyboardInterrupt handler: Ctrl-C
  or ``kill -INT`` did nothing and rundev ran on. The signals are also unblocked,
  in case the parent had them masked.
* Each server runs in its own process group (``start_new_session``) without an
  autoreloader (uvicorn without ``--reload``: no watcher process with a second
  server under it), and is stopped as a group: SIGTERM, then SIGKILL for whatever is left
  after ``STOP_GRACE_S`` (the web app's tool forkserver and its children included).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatui.server_protocol import server_env, uvicorn_server_options

STOP_GRACE_S = 10.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def stop_signals_take() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt here, whatever the parent left us."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    for sig in STOP_SIGNALS:
        signal.signal(sig, _interrupt)


def server_start(cmd: list[str]) -> subprocess.Popen[bytes]:
    """A child server in a process group of its own (its pid is the group id), with the
    deployment's process environment (``server_env``) unless ours overrides it."""
    env = server_env(os.environ)
    return subprocess.Popen(cmd, cwd=settings.BASE_DIR, start_new_session=True, env=env)


def _group_signal(child: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(child.pid, sig)


def servers_stop(children: list[subprocess.Popen[bytes]], grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM every group, wait up to ``grace_s`` in all, then SIGKILL what is left."""
    for child in children:
        _group_signal(child, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(deadline - time.monotonic(), 0))
    for child in children:
        _group_signal(child, signal.SIGKILL)  # stragglers, and a leader that ignored SIGTERM
        child.wait()


def web_command(host: str, port: int) -> list[str]:
    """The web app under uvicorn with the deployment's protocol settings."""
    return [
        *(sys.executable, "-m", "uvicorn", "chatui.asgi:application"),
        *("--host", host, "--port", str(port), "--ws", "websockets"),
        *uvicorn_server_options(),
    ]


class Command(BaseCommand):
    help = "Start s3mock (when S3_USE_MOCK is on), the web app and a worker; Ctrl-C stops all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="web app address")
        parser.add_argument("--port", type=int, default=8000, help="web app port")
        parser.add_argument("--no-demo", action="store_true", help="skip creating the demo user")

    def handle(self, *args: Any, **options: Any) -> None:
        stop_signals_take()
        children: list[subprocess.Popen[bytes]] = []
        try:
            call_command("migrate", interactive=False, verbosity=0)
            if settings.S3_USE_MOCK:
                self._start_s3mock(children)
            self._run_if_available("storage_init")
            if not options["no_demo"]:
                self._run_if_available("create_demo")
            worker = [sys.executable, "manage.py", "files_worker"]  # document extraction jobs
            children.append(server_start(worker))
            address = f"{options['host']}:{options['port']}"
            children.append(server_start(web_command(options["host"], options["port"])))
            self.stdout.write(f"chatui is at http://{address}/ (Ctrl-C stops it)")
            self._wait(children)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            # A second Ctrl-C while the servers shut down must not abandon them half-stopped.
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_IGN)
            servers_stop(children)

    def _start_s3mock(self, children: list[subprocess.Popen[bytes]]) -> None:
        """Start s3mock (into ``children`` at once, so any exit stops it) and wait for it."""
        host, port = settings.S3MOCK_HOST, settings.S3MOCK_PORT
        if _port_open(host, port):
            raise CommandError(
                f"Something already listens on {host}:{port}. Stop it, or point S3_ENDPOINT "
                "at a free port (s3mock will listen there)."
            )
        cmd = [sys.executable, "manage.py", "runs3mock", "--host", host, "--port", str(port)]
        proc = server_start(cmd)
        children.append(proc)
        deadline = time.monotonic() + 20
        while not _port_open(host, port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise CommandError("s3mock did not start; see its output above.")
            time.sleep(0.1)

    def _run_if_available(self, name: str) -> None:
        if name in get_commands():
            call_command(name)

    def _wait(self, children: list[subprocess.Popen[bytes]]) -> None:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        raise CommandError("A server stopped unexpectedly; see its output above.")
