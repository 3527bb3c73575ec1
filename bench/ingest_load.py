"""Chat latency and memory while a long PDF is ingested (``chat_ws.py --during-ingest N``).

Beside the chat server: a live s3mock and a ``manage.py files_worker`` on the same
database. An uploader (a Python process of the same settings, Django set up
beforehand so its start costs nothing during the run) uploads an N-page text PDF
through ``file_upload`` ``UPLOAD_AFTER_S`` seconds after the clients start, when they
are all sending, and again each time the last one is ready, until the clients are
done: the worker extracts for most of the measured run, so the chat's latency under
ingest rests on hundreds of replies, not on the hundred-odd of one 2-second ingest.
Each file's status is read from the database every 50 ms, which times upload ->
``ready``; the RSS of the server and of the worker (itself and its extraction child)
is sampled at 20 Hz. Reported: how many PDFs were ingested and their time to ready,
the peaks, and the chat's latency over the replies sent while a PDF was being
ingested (between an upload and its ``ready``).
Target: the chat's p99 stays under its target while the worker extracts, and the
RSS stays flat in the page count (compare ``--during-ingest 30`` with ``300``).
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
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
print("ready", flush=True)
for number, _ in enumerate(sys.stdin):  # one upload per line asked
    print(file_upload(owner=owner, content=data, filename=f"long-{number}.pdf").pk, flush=True)
"""
UPLOAD_AFTER_S = 10.0  # the clients start spread over one think time (3 s paced)


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
        self.uploaded = 0.0  # time.monotonic() of the upload, of ``ready``; 0: not yet
        self.ready = 0.0
        self.status = ""
        self.file_id = ""
        self.windows: list[tuple[float, float]] = []  # (upload, ready) of each PDF ingested
        self._clients_done = threading.Event()  # no new upload after it
        self._uploads: threading.Thread | None = None
        self._uploader: subprocess.Popen[str] | None = None

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
        """The worker and the uploader started, RSS and the file's status sampled until
        the block ends; then the PDF in flight is awaited until ``ready``. Call :meth:`go`
        when the clients start."""
        from bench.ingest import text_pdf

        log = open(self.var_dir / "worker.log", "wb")  # noqa: SIM115 (closed below)
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "files_worker"], cwd=REPO, env=env, stdout=log, stderr=log
        )
        path = self.var_dir / "long.pdf"
        path.write_bytes(text_pdf(self.pages))
        self._uploader = subprocess.Popen(
            [sys.executable, "-c", UPLOAD, str(path)],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        stop = threading.Event()
        sampler = threading.Thread(target=self._sample, args=(server_pid, worker.pid, stop))
        try:
            if self._uploader.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
                raise SystemExit("the uploader failed to start")
            sampler.start()
            yield
            self._clients_done.set()
            self._wait_ready(stop)
        finally:
            stop.set()
            if sampler.is_alive():
                sampler.join()
            if self._uploader.poll() is None:
                self._uploader.kill()
            worker.terminate()
            worker.wait(timeout=15)
            log.close()

    def go(self) -> None:
        """The clients have started: upload the PDF ``UPLOAD_AFTER_S`` later, and again
        whenever the last one is ready, until the clients are done (a thread)."""
        self._uploads = threading.Thread(target=self._upload_repeatedly, daemon=True)
        self._uploads.start()

    def report(self, latencies_ms: list[float], sent_at: list[float], target_ms: float) -> bool:
        """Print the time to ready, the peaks and the latency of the replies sent while
        the file was ingested; True if their p99 is under ``target_ms``."""
        mib = {name: value >> 20 for name, value in self.peaks.items()}
        to_ready = sorted(ready - uploaded for uploaded, ready in self.windows)
        print(
            f"during ingest of {len(self.windows)} {self.pages}-page PDFs, one after another"
            f" (ready {to_ready[0]:.1f}-{to_ready[-1]:.1f} s after upload, median"
            f" {to_ready[len(to_ready) // 2]:.1f}): peak RSS server {mib['server']} MiB,"
            f" worker {mib['worker']} MiB, extraction child {mib['child']} MiB"
        )
        during = sorted(
            ms
            for ms, sent in zip(latencies_ms, sent_at, strict=True)
            if any(uploaded <= sent <= ready for uploaded, ready in self.windows)
        )
        if not during:
            print("no reply was sent while the PDF was ingested")
            return False
        p50, p99 = (during[min(len(during) - 1, round(q * (len(during) - 1)))] for q in (0.5, 0.99))
        passed = p99 < target_ms
        print(
            f"replies sent while it was ingested: {len(during)}, p50={p50:.1f}ms"
            f" p99={p99:.1f}ms max={during[-1]:.1f}ms  {'PASS' if passed else 'FAIL'}"
            f" (p99 < {target_ms:g} ms)"
        )
        return passed

    def _upload_repeatedly(self) -> None:
        time.sleep(UPLOAD_AFTER_S)
        while True:
            self._upload()
            if not self.file_id:
                return  # the upload failed (``_wait_ready`` says so)
            while not self.ready and self.status in ("", "processing"):
                time.sleep(0.05)  # the sampler notes ``ready``
            if not self.ready:
                return  # failed (``_wait_ready`` says so)
            self.windows.append((self.uploaded, self.ready))
            if self._clients_done.is_set():
                return
            self.file_id = ""  # first: the sampler asks about no file from here on
            self.uploaded = self.ready = 0.0
            self.status = ""

    def _upload(self) -> None:
        uploader = self._uploader
        assert uploader is not None and uploader.stdin is not None and uploader.stdout is not None
        self.uploaded = time.monotonic()
        uploader.stdin.write("go\n")
        uploader.stdin.flush()
        self.file_id = uploader.stdout.readline().strip()

    def _wait_ready(self, stop: threading.Event, timeout: float = 900) -> None:
        """Until the PDF in flight is ready and counted; SystemExit if one failed."""
        if self._uploads is None:
            raise SystemExit("the clients never started the ingest")
        self._uploads.join(timeout)
        if self._uploads.is_alive():
            raise SystemExit(f"the {self.pages}-page PDF was not ready after {timeout} s")
        if not self.file_id:
            raise SystemExit("the upload failed")
        if not self.ready:
            raise SystemExit(f"the {self.pages}-page PDF ended {self.status or 'unknown'}")

    def _status(self, db: sqlite3.Connection) -> None:
        """Note the file's status, and when it first reads ``ready``."""
        file_id = self.file_id
        if not file_id or self.ready:
            return
        row = db.execute(
            "SELECT text_status FROM files_storedfile WHERE id = ?", (uuid.UUID(file_id).hex,)
        ).fetchone()
        if file_id != self.file_id:
            return  # the uploads moved on to the next PDF meanwhile
        self.status = row[0] if row else ""
        if self.status == "ready":
            self.ready = time.monotonic()

    def _sample(self, server_pid: int, worker_pid: int, stop: threading.Event) -> None:
        import psutil

        server, worker = psutil.Process(server_pid), psutil.Process(worker_pid)
        db = sqlite3.connect(f"file:{self.var_dir / 'db.sqlite3'}?mode=ro", uri=True, timeout=5)
        try:
            while not stop.is_set():
                with contextlib.suppress(psutil.Error):
                    self._peak("server", server)
                    self._peak("worker", worker)
                    for child in worker.children(recursive=True):
                        self._peak("child", child)
                with contextlib.suppress(sqlite3.OperationalError):
                    self._status(db)
                time.sleep(0.05)
        finally:
            db.close()

    def _peak(self, name: str, process: Any) -> None:
        import psutil

        with contextlib.suppress(psutil.Error):
            self.peaks[name] = max(self.peaks[name], process.memory_info().rss)
