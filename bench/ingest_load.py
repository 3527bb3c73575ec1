"""Chat latency and memory while a long PDF is ingested (``chat_ws.py --during-ingest N``).

Beside the chat server: a live s3mock and a ``manage.py files_worker`` on the same
database. Once the server is up, an N-page text PDF is uploaded through ``file_upload``
(in a ``manage.py shell`` of the same settings), and the RSS of the server and of the
worker (itself and its extraction child) is sampled at 20 Hz while the websocket
clients run; afterwards the PDF is awaited until ``ready`` and the peaks reported.
Target: the chat's p99 stays under its target while the worker extracts, and the
RSS stays flat in the page count (compare ``--during-ingest 30`` with ``300``).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ACCESS, SECRET, BUCKET = "bench", "bench-secret", "chatui-bench"
UPLOAD = """
import django, sys
django.setup()
from chatui.models import User
from files.services import file_upload
owner, _ = User.objects.get_or_create(email="ingest@example.com")
data = open(sys.argv[-1], "rb").read()
print(file_upload(owner=owner, content=data, filename="long.pdf").pk)
"""
STATUS = """
import django, sys
django.setup()
from files.models import StoredFile
print(StoredFile.objects.get(pk=sys.argv[-1]).text_status)
"""


def ingest_load(
    stack: contextlib.ExitStack, var_dir: Path, env: dict[str, str], pages: int
) -> IngestLoad | None:
    """With ``pages``: an IngestLoad whose s3mock runs on ``stack``, ``env`` pointed at it."""
    if not pages:
        return None
    load = IngestLoad(var_dir, pages)
    env.update(stack.enter_context(load.storage()))
    return load


class IngestLoad:
    def __init__(self, var_dir: Path, pages: int) -> None:
        self.var_dir = var_dir
        self.pages = pages
        self.peaks = {"server": 0, "worker": 0, "child": 0}
        self.started = 0.0
        self.file_id = ""

    @contextlib.contextmanager
    def storage(self) -> Iterator[dict[str, str]]:
        """A live s3mock, and the environment that points the app at it."""
        from s3mock.testing import S3MockProcess

        credentials = f"{ACCESS}:{SECRET}"
        with S3MockProcess(self.var_dir / "s3mock", credentials=credentials, bucket=BUCKET) as s3:
            yield {
                "S3_USE_MOCK": "true",
                "S3_ENDPOINT": s3.endpoint_url,
                "S3_ACCESS_KEY": ACCESS,
                "S3_SECRET_KEY": SECRET,
                "S3_BUCKET": BUCKET,
                "S3_AUTO_CREATE_BUCKET": "true",
            }

    @contextlib.contextmanager
    def running(self, env: dict[str, str], server_pid: int) -> Iterator[None]:
        """The worker started, the PDF uploaded, RSS sampled until the block ends."""
        log = open(self.var_dir / "worker.log", "wb")  # noqa: SIM115 (closed below)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "files_worker"], cwd=REPO, env=env, stdout=log, stderr=log
        )
        stop = threading.Event()
        sampler = threading.Thread(target=self._sample, args=(server_pid, worker.pid, stop))
        try:
            sampler.start()
            self.file_id = self._upload(env)
            yield
            self._wait_ready(env)
        finally:
            stop.set()
            sampler.join()
            worker.terminate()
            worker.wait(timeout=15)
            log.close()

    def report(self) -> None:
        mib = {name: value >> 20 for name, value in self.peaks.items()}
        print(
            f"during ingest of a {self.pages}-page PDF (ready {time.monotonic() - self.started:.1f}"
            f" s after upload): peak RSS server {mib['server']} MiB, worker {mib['worker']} MiB,"
            f" extraction child {mib['child']} MiB"
        )

    def _upload(self, env: dict[str, str]) -> str:
        from bench.ingest import text_pdf

        path = self.var_dir / "long.pdf"
        path.write_bytes(text_pdf(self.pages))
        self.started = time.monotonic()
        return self._manage(env, UPLOAD, str(path))

    def _wait_ready(self, env: dict[str, str], timeout: float = 900) -> None:
        while time.monotonic() - self.started < timeout:
            status = self._manage(env, STATUS, self.file_id)
            if status != "processing":
                if status != "ready":
                    raise SystemExit(f"the {self.pages}-page PDF ended {status}")
                return
            time.sleep(0.5)
        raise SystemExit(f"the {self.pages}-page PDF was not ready after {timeout} s")

    @staticmethod
    def _manage(env: dict[str, str], script: str, argument: str) -> str:
        command = [sys.executable, "-c", script, argument]
        done = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip().splitlines()[-1]

    def _sample(self, server_pid: int, worker_pid: int, stop: threading.Event) -> None:
        import psutil

        server, worker = psutil.Process(server_pid), psutil.Process(worker_pid)
        while not stop.is_set():
            with contextlib.suppress(psutil.Error):
                self._peak("server", server)
                self._peak("worker", worker)
                for child in worker.children(recursive=True):
                    self._peak("child", child)
            time.sleep(0.05)

    def _peak(self, name: str, process: Any) -> None:
        import psutil

        with contextlib.suppress(psutil.Error):
            self.peaks[name] = max(self.peaks[name], process.memory_info().rss)
