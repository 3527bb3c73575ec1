"""Run the whole app on one machine: s3mock, the web app and a document worker, stopped
together on Ctrl-C.

This is the README's first command (``make run`` calls it after setup). It
migrates the database, starts s3mock when ``S3_USE_MOCK`` is on, prepares the
bucket and a demo account when those commands exist, then serves the ASGI app
with Django's ``runserver`` (Daphne, so websockets work).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


class Command(BaseCommand):
    help = "Start s3mock (when S3_USE_MOCK is on), the web app and a worker; Ctrl-C stops all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="web app address")
        parser.add_argument("--port", type=int, default=8000, help="web app port")
        parser.add_argument("--no-demo", action="store_true", help="skip creating the demo user")

    def handle(self, *args: Any, **options: Any) -> None:
        children: list[subprocess.Popen[bytes]] = []
        try:
            call_command("migrate", interactive=False, verbosity=0)
            if settings.S3_USE_MOCK:
                children.append(self._start_s3mock())
            self._run_if_available("storage_init")
            if not options["no_demo"]:
                self._run_if_available("create_demo")
            worker = [sys.executable, "manage.py", "files_worker"]  # document extraction jobs
            children.append(subprocess.Popen(worker, cwd=settings.BASE_DIR))
            web = [sys.executable, "manage.py", "runserver", f"{options['host']}:{options['port']}"]
            children.append(subprocess.Popen(web, cwd=settings.BASE_DIR))
            self.stdout.write(
                f"chatui is at http://{options['host']}:{options['port']}/ (Ctrl-C stops it)"
            )
            self._wait(children)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            self._stop(children)

    def _start_s3mock(self) -> subprocess.Popen[bytes]:
        host, port = settings.S3MOCK_HOST, settings.S3MOCK_PORT
        if _port_open(host, port):
            raise CommandError(
                f"Something already listens on {host}:{port}. Stop it, or point S3_ENDPOINT "
                "at a free port (s3mock will listen there)."
            )
        cmd = [sys.executable, "manage.py", "runs3mock", "--host", host, "--port", str(port)]
        proc = subprocess.Popen(cmd, cwd=settings.BASE_DIR)
        deadline = time.monotonic() + 20
        while not _port_open(host, port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise CommandError("s3mock did not start; see its output above.")
            time.sleep(0.1)
        return proc

    def _run_if_available(self, name: str) -> None:
        if name in get_commands():
            call_command(name)

    def _wait(self, children: list[subprocess.Popen[bytes]]) -> None:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        raise CommandError("A server stopped unexpectedly; see its output above.")

    def _stop(self, children: list[subprocess.Popen[bytes]]) -> None:
        # A second Ctrl-C while the servers shut down must not abandon them half-stopped.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
