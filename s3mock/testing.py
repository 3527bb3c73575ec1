"""Run a live s3mock (``manage.py runs3mock``) as a subprocess for tests.

Tests talk to it over HTTP exactly as the product talks to S3, so the whole
stack (uvicorn, SigV4, XML) is exercised, and a test can SIGKILL or restart
the server to prove durability.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CREDENTIALS = "s3mock-test:s3mock-test-secret,s3mock-other:s3mock-other-secret"
_LISTENING = re.compile(r"listening on http://(\S+):(\d+)")


class S3MockProcess:
    """A runs3mock subprocess on a loopback port, restartable on the same port and data."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int = 0,
        credentials: str = DEFAULT_CREDENTIALS,
        region: str = "us-east-1",
        bucket: str = "chatui",
        start_timeout: float = 30.0,
        allowed_hosts: str = "",
        repo_root: Path = REPO_ROOT,
    ):
        self.data_dir = Path(data_dir)
        self.port = port
        self.credentials = credentials
        self.region = region
        self.bucket = bucket
        self.start_timeout = start_timeout
        self.allowed_hosts = allowed_hosts
        self.repo_root = Path(repo_root)  # another checkout: bench/s3_endpoints.py --baseline
        self.process: subprocess.Popen[str] | None = None
        self.exit_code: int | None = None  # of the last stop() or kill()
        pairs = [entry.split(":", 1) for entry in credentials.split(",") if entry.strip()]
        self.accounts: list[tuple[str, str]] = [(a.strip(), s.strip()) for a, s in pairs]

    @property
    def access_key(self) -> str:
        return self.accounts[0][0]

    @property
    def secret_key(self) -> str:
        return self.accounts[0][1]

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> S3MockProcess:
        if self.process is not None:
            raise RuntimeError("s3mock is already running")
        command = [
            sys.executable,
            str(self.repo_root / "manage.py"),
            "runs3mock",
            "--host=127.0.0.1",
            f"--port={self.port}",
            f"--data-dir={self.data_dir}",
            f"--credentials={self.credentials}",
            f"--region={self.region}",
            f"--bucket={self.bucket}",
        ]
        if self.allowed_hosts:
            command.append(f"--allowed-hosts={self.allowed_hosts}")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command, cwd=self.repo_root, env=env, stdout=subprocess.PIPE, text=True
        )
        self.port = self._read_port()
        self._wait_until_answering()
        return self

    def _read_port(self) -> int:
        """Read the one line runs3mock prints once its socket is bound."""
        assert self.process is not None and self.process.stdout is not None
        found: list[int] = []
        stdout = self.process.stdout

        def read() -> None:
            for line in stdout:
                match = _LISTENING.search(line)
                if match and not found:
                    found.append(int(match.group(2)))
            # keep draining so the child never blocks on a full pipe

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        while not found:
            if self.process.poll() is not None:
                raise RuntimeError(f"runs3mock exited with status {self.process.returncode}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("runs3mock did not report its port in time")
            time.sleep(0.02)
        return found[0]

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/")
                connection.getresponse().read()
                connection.close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.kill()
                    raise RuntimeError("runs3mock did not answer in time") from None
                time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (clean shutdown), escalating to SIGKILL after ``timeout``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.exit_code = self.process.returncode
        self.process = None

    def kill(self) -> None:
        """SIGKILL: the crash case, with no chance to finish or clean up."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.exit_code = self.process.wait()
        self.process = None

    def restart(self) -> S3MockProcess:
        """Stop (if running) and start again on the same port and data dir."""
        self.stop()
        return self.start()

    def __enter__(self) -> S3MockProcess:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def running_s3mock(
    data_dir: Path, port: int | None = None, credentials: str = DEFAULT_CREDENTIALS
) -> Iterator[S3MockProcess]:
    """A started s3mock for the duration of the block (``port=None`` picks a free one)."""
    server = S3MockProcess(data_dir, port=port or 0, credentials=credentials)
    with server:
        yield server


class PeakRss:
    """A process's resident memory, sampled every ``interval`` seconds in a thread while
    in a ``with`` block: ``start`` is the first reading, ``peak`` the highest seen (for
    the memory bounds of s3mock's tests and of the benchmarks)."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.interval = interval
        self.start = self.peak = self.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def rss(self) -> int:
        return self.process.memory_info().rss

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.rss())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
