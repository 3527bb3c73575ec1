"""Benchmark the files API against direct boto3, on one live s3mock.

    .venv/bin/python bench/files_api.py [--big-mib 256] [--rows 100000]

Starts, in a temporary directory (never the developer's var/): s3mock
(``manage.py runs3mock``), a SQLite database, and the app under uvicorn
(``chatui.asgi``, one process, token auth, production settings: ``DEBUG=false``).
Then measures:

* upload and download of 1 MiB and 256 MiB through the API, streamed by the server,
  against boto3 straight to the same endpoint (floor: API >= 0.5x direct; on two
  cores every streamed byte crosses one more process). Both sides use the same HTTP
  library: the API client is urllib3 (what boto3 runs on), streaming 1 MiB blocks
  each way, so the ratio measures the server, not two clients. Each row: a warm-up
  of each side, then API and direct runs taken in turn (so load from elsewhere hits
  both alike; 41 of each for 1 MiB, 5 for the big file), and the median of each;
* the same downloads with ``FILES_DOWNLOAD_REDIRECT=true`` (a second server; the
  client follows the 302 to a presigned URL): the recommended mode for large and
  bulk downloads, and the judged large-download row (256 MiB: >= 0.85x direct);
* the server's peak RSS above idle while moving 256 MiB (target < 100 MiB);
* ``GET /api/files`` with 100,000 rows for one user, a page of 50 with filters
  (target p50 < 30 ms, p99 < 100 ms).

Prints a table with PASS/FAIL per target; exits 1 when a target fails.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from chatui.testing.processes import free_port  # noqa: E402 (the repo is on sys.path only now)

MIB = 1024 * 1024
ACCESS, SECRET = "bench", "bench-secret"
BUCKET = "chatui-bench"
EMAIL = "bench@example.com"


def _environment(workdir: Path, endpoint: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatui.settings",
        "CHATUI_VAR_DIR": str(workdir / "var"),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "S3_USE_MOCK": "true",
        "S3_ENDPOINT": endpoint,
        "S3_ACCESS_KEY": ACCESS,
        "S3_SECRET_KEY": SECRET,
        "S3_BUCKET": BUCKET,
        "FILES_MAX_UPLOAD_MB": "300",
        "LOG_LEVEL": "WARNING",
        # Production settings, as bench/chat_ws.py: DEBUG on would log every query
        # and have SQLite quote its parameters again, which production never pays.
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_TLS": "false",  # plain HTTP on loopback, as behind a TLS proxy
    }


@contextmanager
def _uvicorn(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "uvicorn", "chatui.asgi:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=REPO, env=env)
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/health", server)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code in {200, 503}:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in time")


class PeakRss:
    """Samples a process's RSS every 20 ms in a thread; ``peak`` is the maximum seen."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        return self.process.memory_info().rss

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.02)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


class CpuMeter:
    """CPU time (user + system) of the server, s3mock and this process (the client).

    Printed beside the ratios: on two cores a run through the API is bounded by the
    CPU all three processes spend, not only by the server's wall-clock time.
    """

    def __init__(self, pids: dict[str, int], records: dict | None = None) -> None:
        self.pids = pids
        # "row|side" -> (runs, process -> CPU seconds summed over those runs)
        self.records: dict[str, tuple[int, dict[str, float]]] = {} if records is None else records

    def for_server(self, pid: int) -> CpuMeter:
        """The same meter with another server process, adding to the same records."""
        return CpuMeter({**self.pids, "server": pid}, self.records)

    def timed(self, key: str, action: Callable[[], object]) -> float:
        """Wall seconds of ``action``; its processes' CPU is added under ``key``."""
        before = self._now()
        seconds = _seconds(action)
        runs, spent = self.records.get(key, (0, dict.fromkeys(before, 0.0)))
        after = self._now()
        self.records[key] = (runs + 1, {n: spent[n] + after[n] - before[n] for n in spent})
        return seconds

    def mean(self, key: str) -> dict[str, float]:
        """CPU seconds per run under ``key``, per process."""
        runs, spent = self.records[key]
        return {name: seconds / runs for name, seconds in spent.items()}

    def _now(self) -> dict[str, float]:
        return {name: _process_cpu_seconds(pid) for name, pid in self.pids.items()}


def _process_cpu_seconds(pid: int) -> float:
    """CPU time of a whole process, exited threads included, to the nanosecond.

    /proc's counters (psutil) tick every 10 ms, coarser than a 1 MiB run. Linux
    exposes each process's CPU clock as clock id ``(~pid << 3) | 2`` (what glibc's
    ``clock_getcpuclockid`` returns), readable for processes we may signal.
    """
    try:
        return time.clock_gettime(((~pid) << 3) | 2)
    except OSError:
        import psutil

        return sum(psutil.Process(pid).cpu_times()[:2])


def _medians(
    api: Callable[[], object], direct: Callable[[], object], repeat: int, cpu: CpuMeter, row: str
) -> tuple[float, float]:
    """Median wall-clock seconds of each side, after one warm-up run of each."""
    api()
    direct()
    api_times, direct_times = [], []
    for _ in range(repeat):
        api_times.append(cpu.timed(f"{row}|api", api))
        direct_times.append(cpu.timed(f"{row}|direct", direct))
    return statistics.median(api_times), statistics.median(direct_times)


def _make_payload(path: Path, size: int) -> None:
    block = os.urandom(MIB)
    with path.open("wb") as out:
        for _ in range(size // MIB):
            out.write(block)


# --- The measurements ---------------------------------------------------------------


class Bench:
    def __init__(self, base_url: str, token: str, endpoint: str, workdir: Path) -> None:
        import boto3
        import httpx
        import urllib3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Token {token}"}, timeout=300
        )
        self.base_url = base_url
        self.auth = {"Authorization": f"Token {token}"}
        self.pool = urllib3.PoolManager(maxsize=2, timeout=300, retries=False)
        self.s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS,
            aws_secret_access_key=SECRET,
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        self.transfer = TransferConfig(max_concurrency=3)
        self.workdir = workdir
        self.last_id = ""

    def api_upload(self, path: Path) -> None:
        """A browser-like multipart/form-data POST, streamed from the file."""
        boundary = "----chatui-bench-boundary"
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = len(head) + path.stat().st_size + len(tail)
        headers = {
            **self.auth,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
        }
        body = _form_body(head, path, tail)
        url = f"{self.base_url}/api/files"
        response = self.pool.request("POST", url, body=body, headers=headers)
        if response.status != 201:
            raise SystemExit(f"upload failed: {response.status} {response.data[:300]!r}")
        self.last_id = response.json()["id"]

    def api_download(self, base_url: str = "") -> None:
        """GET the download (following a 302 to S3 when the server redirects)."""
        url = f"{base_url or self.base_url}/api/files/{self.last_id}/download"
        response = self.pool.request("GET", url, headers=self.auth, preload_content=False,
                                     redirect=False)  # fmt: skip
        if response.status == 302:
            location = response.headers["Location"]
            response.release_conn()
            response = self.pool.request("GET", location, preload_content=False)
        if response.status != 200:
            raise SystemExit(f"download failed: {response.status}")
        for _ in response.stream(MIB):
            pass
        response.release_conn()

    def direct_upload(self, path: Path) -> None:
        with path.open("rb") as body:
            self.s3.upload_fileobj(body, BUCKET, f"direct/{path.name}", Config=self.transfer)

    def direct_download(self, path: Path) -> None:
        response = self.s3.get_object(Bucket=BUCKET, Key=f"direct/{path.name}")
        for _ in response["Body"].iter_chunks(1024 * 1024):
            pass

    def list_latencies(self, queries: list[str], rounds: int) -> list[float]:
        timings = []
        for _ in range(rounds):
            for query in queries:
                started = time.perf_counter()
                response = self.http.get(f"/api/files?{query}")
                timings.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
        return timings


def _form_body(head: bytes, path: Path, tail: bytes) -> Iterator[bytes]:
    yield head
    with path.open("rb") as source:
        while block := source.read(MIB):
            yield block
    yield tail


def _throughput_rows(
    bench: Bench, path: Path, repeat: int, cpu: CpuMeter
) -> list[tuple[str, float, float]]:
    size_mib = path.stat().st_size / MIB
    up, down = f"upload {size_mib:.0f} MiB", f"download {size_mib:.0f} MiB"
    up_api, up_direct = _medians(
        lambda: bench.api_upload(path), lambda: bench.direct_upload(path), repeat, cpu, up
    )
    down_api, down_direct = _medians(
        bench.api_download, lambda: bench.direct_download(path), repeat, cpu, down
    )
    return [
        (up, size_mib / up_api, size_mib / up_direct),
        (down, size_mib / down_api, size_mib / down_direct),
    ]


def _cpu_report(cpu: CpuMeter) -> None:
    """Mean CPU milliseconds per operation, per process, for each side of each row."""
    print("\nCPU per operation (user + system, mean of the measured runs):")
    for key in cpu.records:
        row, side = key.split("|")
        shares = "  ".join(f"{name} {s * 1000:7.1f} ms" for name, s in cpu.mean(key).items())
        print(f"  {row:18s} {side:6s} {shares}")


REDIRECT_TARGET = 0.85  # the large download, in the mode recommended for it
STREAMING_FLOOR = 0.5  # every streamed row


def _redirect_rows(
    bench: Bench, base_url: str, cpu: CpuMeter, small: Path, big: Path
) -> list[tuple[str, ...]]:
    """Downloads through a server with FILES_DOWNLOAD_REDIRECT=true; the big one is judged
    (>= REDIRECT_TARGET x direct), the 1 MiB one printed."""
    rows = []
    for path, repeat in ((small, 15), (big, 5)):
        size_mib = path.stat().st_size / MIB
        judged = path == big
        label = f"download {size_mib:.0f} MiB, 302 mode" + ("" if judged else " (extra)")
        bench.api_upload(path)
        api, direct = _medians(
            lambda: bench.api_download(base_url),
            lambda path=path: bench.direct_download(path),
            repeat,
            cpu,
            f"302 download {size_mib:.0f} MiB",
        )
        ratio = (
            _ratio(size_mib / api, size_mib / direct, REDIRECT_TARGET)
            if judged
            else f"{direct / api:.2f}x"
        )
        rows.append((label, f"{size_mib / api:.1f} MiB/s", f"{size_mib / direct:.1f} MiB/s",
                     ratio))  # fmt: skip
    return rows


def _seed_rows(count: int) -> None:
    """Bulk-create ``count`` rows for the bench user (metadata only, no blobs)."""
    import uuid

    from chatui.models import User
    from files.models import StoredFile

    owner = User.objects.get(email=EMAIL)
    categories = ["code", "image", "data", "document", "other"]
    batch = []
    for index in range(count):
        name = f"file_{index:06d}.{['py', 'png', 'csv', 'pdf', 'bin'][index % 5]}"
        batch.append(
            StoredFile(
                owner=owner,
                key=f"users/{EMAIL}/uploads/20260101_000000_{uuid.uuid4().hex[:8]}_{name}",
                filename=name,
                size=index * 37 % 100_000,
                category=categories[index % 5],
                source="tool" if index % 7 == 0 else "user",
                source_tool="bench" if index % 7 == 0 else "",
                tagged=index % 50 == 0,
            )
        )
        if len(batch) == 5000:
            StoredFile.objects.bulk_create(batch)
            batch = []
    StoredFile.objects.bulk_create(batch)


def _setup_database(env: dict[str, str]) -> str:
    """Migrate the temp database and create the bench user; returns its API token."""
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from chatui.models import User

    call_command("migrate", verbosity=0, interactive=False)
    # WhiteNoise (DEBUG=false) warns at start without it; the API serves no static files.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    user = User.objects.create_user(EMAIL, "bench-password-1")
    return Token.objects.create(user=user).key


# --- Report -----------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _report(rows: list[tuple[str, str, str, str]]) -> bool:
    """Print the table; True when no row's result says FAIL (``0.59x FAIL`` included)."""
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
        if index == 0:
            print("  ".join("-" * width for width in widths))
    return not any("FAIL" in row[3].split() for row in rows[1:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--big-mib", type=int, default=256)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="chatui-bench-"))
    try:
        return _run(workdir, args.big_mib, args.rows)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(workdir: Path, big_mib: int, row_count: int) -> int:
    from s3mock.testing import running_s3mock

    small, big = workdir / "small.bin", workdir / "big.bin"
    _make_payload(small, MIB)
    _make_payload(big, big_mib * MIB)
    with running_s3mock(workdir / "s3mock", credentials=f"{ACCESS}:{SECRET}") as s3mock:
        env = _environment(workdir, s3mock.endpoint_url)
        token = _setup_database(env)
        port = free_port()
        redirect_env = {**env, "FILES_DOWNLOAD_REDIRECT": "true"}
        redirect_port = free_port()
        with _uvicorn(env, port) as server, _uvicorn(redirect_env, redirect_port) as redirect:
            bench = Bench(f"http://127.0.0.1:{port}", token, s3mock.endpoint_url, workdir)
            bench.s3.create_bucket(Bucket=BUCKET)
            processes = {"s3mock": s3mock.process.pid, "client": os.getpid()}
            cpu = CpuMeter({"server": server.pid, **processes})
            redirecting = (f"http://127.0.0.1:{redirect_port}", cpu.for_server(redirect.pid))
            return _measure(bench, cpu, redirecting, small, big, row_count)


def _measure(
    bench: Bench,
    cpu: CpuMeter,
    redirecting: tuple[str, CpuMeter],
    small: Path,
    big: Path,
    row_count: int,
) -> int:
    rows = [("measure", "api", "direct / target", "result")]
    print(f"load average before: {_load()}", flush=True)
    bench.api_upload(small)  # warm up imports, connections and the database
    bench.api_download()
    for label, api, direct in _throughput_rows(bench, small, 41, cpu):
        rows.append((label, f"{api:.1f} MiB/s", f"{direct:.1f} MiB/s", _ratio(api, direct)))
    rss = PeakRss(cpu.pids["server"])
    idle = rss.rss()
    with rss:
        big_rows = _throughput_rows(bench, big, 5, cpu)
    for label, api, direct in big_rows:
        rows.append((label, f"{api:.1f} MiB/s", f"{direct:.1f} MiB/s", _ratio(api, direct)))
    above_idle = (rss.peak - idle) / MIB
    rows.append(("server peak RSS above idle", f"{above_idle:.0f} MiB", "< 100 MiB",
                 _verdict(above_idle < 100)))  # fmt: skip
    rows.extend(_redirect_rows(bench, *redirecting, small, big))
    rows.extend(_listing_rows(bench, row_count))
    ok = _report(rows)
    print(f"load average after: {_load()}  (2 cores; medians of runs taken in turn)")
    _cpu_report(cpu)
    return 0 if ok else 1


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _ratio(api: float, direct: float, target: float = STREAMING_FLOOR) -> str:
    ratio = api / direct
    return f"{ratio:.2f}x {_verdict(ratio >= target)}"


def _listing_rows(bench: Bench, row_count: int) -> list[tuple[str, str, str, str]]:
    started = time.perf_counter()
    _seed_rows(row_count)
    seeded = time.perf_counter() - started
    queries = [
        "page_size=50",
        "page_size=50&category=data",
        "page_size=50&source=tool&ordering=-size",
        "page_size=50&q=file_0999&ordering=filename",
        "page_size=50&tagged=true",
        "page_size=50&page=3&category=code&ordering=-created_at",
    ]
    bench.list_latencies(queries, rounds=2)  # warm the page cache
    timings = sorted(bench.list_latencies(queries, rounds=40))
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    label = f"GET /api/files ({row_count:,} rows, {len(timings)} req)"
    return [
        (f"seed {row_count:,} rows", f"{seeded:.1f} s", "", ""),
        (f"{label} p50", f"{p50:.1f} ms", "< 30 ms", _verdict(p50 < 30)),
        (f"{label} p99", f"{p99:.1f} ms", "< 100 ms", _verdict(p99 < 100)),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
