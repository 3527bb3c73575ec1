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
* a share link's anonymous download (``/s/<token>/download``, 1 MiB) against the
  owner's API download of the same file, streamed and in 302 mode (printed, no target:
  the link adds its lookup, counter and audit row to the download's one query);
* ``GET /api/files`` with 100,000 rows for one user, a page of 50 with filters
  (target p50 < 30 ms, p99 < 100 ms); then the same with three versions per file
  and 1% of the files in the trash (``bench/files_versions.py``, same targets).

Prints a table with PASS/FAIL per target; exits 1 when a target fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# The repo is on sys.path only now.
from bench.files_client import FilesClient
from bench.files_versions import LISTING_QUERIES, version_listing_rows
from bench.harness import (
    ACCESS,
    BUCKET,
    MIB,
    SECRET,
    environment,
    load_average,
    make_payload,
    uvicorn,
)
from bench.meters import CpuMeter, medians
from bench.report import REDIRECT_TARGET, Row, ratio, report, verdict
from chatui.testing.processes import free_port
from s3mock.testing import PeakRss

EMAIL = "bench@example.com"


def _throughput_rows(
    bench: FilesClient, path: Path, repeat: int, cpu: CpuMeter
) -> list[tuple[str, float, float]]:
    size_mib = path.stat().st_size / MIB
    up, down = f"upload {size_mib:.0f} MiB", f"download {size_mib:.0f} MiB"
    up_api, up_direct = medians(
        lambda: bench.api_upload(path), lambda: bench.direct_upload(path), repeat, cpu, up
    )
    down_api, down_direct = medians(
        bench.api_download, lambda: bench.direct_download(path), repeat, cpu, down
    )
    return [
        (up, size_mib / up_api, size_mib / up_direct),
        (down, size_mib / down_api, size_mib / down_direct),
    ]


def _redirect_rows(
    bench: FilesClient, base_url: str, cpu: CpuMeter, small: Path, big: Path
) -> list[Row]:
    """Downloads through a server with FILES_DOWNLOAD_REDIRECT=true; the big one is judged
    (>= REDIRECT_TARGET x direct), the 1 MiB one printed."""
    rows = []
    for path, repeat in ((small, 15), (big, 5)):
        size_mib = path.stat().st_size / MIB
        judged = path == big
        label = f"download {size_mib:.0f} MiB, 302 mode" + ("" if judged else " (extra)")
        bench.api_upload(path)
        api, direct = medians(
            lambda: bench.api_download(base_url),
            lambda path=path: bench.direct_download(path),
            repeat,
            cpu,
            f"302 download {size_mib:.0f} MiB",
        )
        result = (
            ratio(size_mib / api, size_mib / direct, REDIRECT_TARGET)
            if judged
            else f"{direct / api:.2f}x"
        )
        rows.append((label, f"{size_mib / api:.1f} MiB/s", f"{size_mib / direct:.1f} MiB/s",
                     result))  # fmt: skip
    return rows


def _link_rows(bench: FilesClient, cpu: CpuMeter, redirect_url: str, small: Path) -> list[Row]:
    """Share-link downloads against the owner's API download, in the same run."""
    size_mib = small.stat().st_size / MIB
    bench.api_upload(small)
    rows = []
    for mode, base_url in (("streamed", bench.base_url), ("302 mode", redirect_url)):
        link_url = bench.api_link(base_url)
        link, api = medians(
            lambda url=link_url: bench.link_download(url),
            lambda base_url=base_url: bench.api_download(base_url),
            15,
            cpu,
            f"link download {size_mib:.0f} MiB {mode}",
        )
        rows.append((f"share-link download {size_mib:.0f} MiB, {mode} (vs API download)",
                     f"{size_mib / link:.1f} MiB/s", f"{size_mib / api:.1f} MiB/s",
                     f"{api / link:.2f}x"))  # fmt: skip
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
    make_payload(small, MIB)
    make_payload(big, big_mib * MIB)
    with running_s3mock(workdir / "s3mock", credentials=f"{ACCESS}:{SECRET}") as s3mock:
        env = environment(workdir, s3mock.endpoint_url, production=True)
        env["FILES_MAX_UPLOAD_MB"] = str(max(250, 2 * big_mib))  # the default is 250 (MiB)
        token = _setup_database(env)
        port = free_port()
        redirect_env = {**env, "FILES_DOWNLOAD_REDIRECT": "true"}
        redirect_port = free_port()
        with uvicorn(env, port) as server, uvicorn(redirect_env, redirect_port) as redirect:
            bench = FilesClient(f"http://127.0.0.1:{port}", token, s3mock.endpoint_url, workdir)
            bench.s3.create_bucket(Bucket=BUCKET)
            processes = {"s3mock": s3mock.process.pid, "client": os.getpid()}
            cpu = CpuMeter({"server": server.pid, **processes})
            redirecting = (f"http://127.0.0.1:{redirect_port}", cpu.for_server(redirect.pid))
            return _measure(bench, cpu, redirecting, small, big, row_count)


def _measure(
    bench: FilesClient,
    cpu: CpuMeter,
    redirecting: tuple[str, CpuMeter],
    small: Path,
    big: Path,
    row_count: int,
) -> int:
    rows = [("measure", "api", "direct / target", "result")]
    print(f"load average before: {load_average()}", flush=True)
    bench.api_upload(small)  # warm up imports, connections and the database
    bench.api_download()
    for label, api, direct in _throughput_rows(bench, small, 41, cpu):
        rows.append((label, f"{api:.1f} MiB/s", f"{direct:.1f} MiB/s", ratio(api, direct)))
    rss = PeakRss(cpu.pids["server"])
    idle = rss.rss()
    with rss:
        big_rows = _throughput_rows(bench, big, 5, cpu)
    for label, api, direct in big_rows:
        rows.append((label, f"{api:.1f} MiB/s", f"{direct:.1f} MiB/s", ratio(api, direct)))
    above_idle = (rss.peak - idle) / MIB
    rows.append(("server peak RSS above idle", f"{above_idle:.0f} MiB", "< 100 MiB",
                 verdict(above_idle < 100)))  # fmt: skip
    rows.extend(_redirect_rows(bench, *redirecting, small, big))
    rows.extend(_link_rows(bench, cpu, redirecting[0], small))
    rows.extend(_listing_rows(bench, row_count))
    rows.extend(version_listing_rows(bench.http, EMAIL, row_count))  # the same files, 3 versions
    ok = report(rows)
    print(f"load average after: {load_average()}  (2 cores; medians of runs taken in turn)")
    cpu.report()
    return 0 if ok else 1


def _listing_rows(bench: FilesClient, row_count: int) -> list[Row]:
    started = time.perf_counter()
    _seed_rows(row_count)
    seeded = time.perf_counter() - started
    bench.list_latencies(LISTING_QUERIES, rounds=2)  # warm the page cache
    timings = sorted(bench.list_latencies(LISTING_QUERIES, rounds=40))
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    label = f"GET /api/files ({row_count:,} rows, {len(timings)} req)"
    return [
        (f"seed {row_count:,} rows", f"{seeded:.1f} s", "", ""),
        (f"{label} p50", f"{p50:.1f} ms", "< 30 ms", verdict(p50 < 30)),
        (f"{label} p99", f"{p99:.1f} ms", "< 100 ms", verdict(p99 < 100)),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
