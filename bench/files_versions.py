"""The file list when every file has three versions (and some are in the trash).

    .venv/bin/python bench/files_versions.py [--rows 100000]

Run alone it starts s3mock, a SQLite database and the app (production settings,
token auth) like ``bench/files_api.py``, seeds ``--rows`` files for one user with
three versions each (v1 and v2 earlier, v3 current: 3x the FileVersion rows) and one
file in a hundred in the trash, then measures ``GET /api/files`` (the filtered pages
of ``files_api``'s listing row, target p50 < 30 ms, p99 < 100 ms), ``GET /api/trash``
and one file's ``GET /api/files/{id}/versions``. ``files_api.py`` runs the same rows
after its own listing rows (its seeded files gain their versions).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import Row, verdict

LISTING_QUERIES = [
    "page_size=50",
    "page_size=50&category=data",
    "page_size=50&source=tool&ordering=-size",
    "page_size=50&q=file_0999&ordering=filename",
    "page_size=50&tagged=true",
    "page_size=50&page=3&category=code&ordering=-created_at",
]
VERSIONS = 3
TRASHED_EVERY = 100


def seed_versions(email: str) -> tuple[int, str]:
    """Give each of ``email``'s files versions 1..3 (v3 current, under the row's key)
    and move one in ``TRASHED_EVERY`` to the trash; returns (versions made, a file id)."""
    from django.db import transaction
    from django.utils import timezone

    from files.models import FileVersion, StoredFile

    files = StoredFile.objects.filter(owner__email=email)
    made, batch = 0, []
    rows = files.values_list("id", "key", "size", "created_at").order_by("pk").iterator(5000)
    with transaction.atomic():
        FileVersion.objects.filter(file__owner__email=email).delete()
        for file_id, key, size, created in rows:
            for number in range(1, VERSIONS + 1):
                earlier = number < VERSIONS
                batch.append(
                    FileVersion(
                        file_id=file_id,
                        number=number,
                        key=f"{key}.v{number}" if earlier else key,
                        size=size,
                        created_at=created,
                    )
                )
            if len(batch) >= 6000:
                made += len(FileVersion.objects.bulk_create(batch))
                batch = []
        made += len(FileVersion.objects.bulk_create(batch))
        files.update(version=VERSIONS, old_versions_bytes=(VERSIONS - 1) * 1000)
        ids = list(files.order_by("pk").values_list("id", flat=True)[::TRASHED_EVERY])
        StoredFile.objects.filter(pk__in=ids).update(trashed_at=timezone.now())
    some_id = files.filter(trashed_at__isnull=True).values_list("id", flat=True).first()
    return made, str(some_id)


def _latencies(http: object, paths: list[str], rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        for path in paths:
            started = time.perf_counter()
            response = http.get(path)  # type: ignore[attr-defined]
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
    return sorted(timings)


def _p(timings: list[float], fraction: float) -> float:
    return timings[max(int(len(timings) * fraction) - 1, 0)]


def version_listing_rows(http: object, email: str, row_count: int) -> list[Row]:
    """Seed the versions, then time the listing, the trash and one file's history."""
    started = time.perf_counter()
    made, file_id = seed_versions(email)
    seeded = time.perf_counter() - started
    listing = [f"/api/files?{query}" for query in LISTING_QUERIES]
    _latencies(http, listing, rounds=2)  # warm the page cache
    timings = _latencies(http, listing, rounds=40)
    p50, p99 = statistics.median(timings), _p(timings, 0.99)
    others = _latencies(http, ["/api/trash?page_size=50", f"/api/files/{file_id}/versions"], 20)
    others_p50 = statistics.median(others)
    label = f"GET /api/files ({row_count:,} files x {VERSIONS} versions, {len(timings)} req)"
    return [
        (f"seed {made:,} versions", f"{seeded:.1f} s", "", ""),
        (f"{label} p50", f"{p50:.1f} ms", "< 30 ms", verdict(p50 < 30)),
        (f"{label} p99", f"{p99:.1f} ms", "< 100 ms", verdict(p99 < 100)),
        (
            "GET /api/trash + one file's versions p50",
            f"{others_p50:.1f} ms",
            "< 30 ms",
            verdict(others_p50 < 30),
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="chatui-bench-versions-"))
    try:
        return _run(workdir, args.rows)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(workdir: Path, row_count: int) -> int:
    import httpx

    from bench.files_api import EMAIL, _seed_rows, _setup_database
    from bench.harness import ACCESS, SECRET, environment, load_average, uvicorn
    from bench.report import report
    from chatui.testing.processes import free_port
    from s3mock.testing import running_s3mock

    with running_s3mock(workdir / "s3mock", credentials=f"{ACCESS}:{SECRET}") as s3mock:
        env = environment(workdir, s3mock.endpoint_url, production=True)
        token = _setup_database(env)
        started = time.perf_counter()
        _seed_rows(row_count)
        rows: list[Row] = [("measure", "api", "target", "result")]
        rows.append((f"seed {row_count:,} files", f"{time.perf_counter() - started:.1f} s", "", ""))
        port = free_port()
        with uvicorn(env, port):
            headers = {"Authorization": f"Token {token}"}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
                print(f"load average before: {load_average()}", flush=True)
                rows.extend(version_listing_rows(http, EMAIL, row_count))
        ok = report(rows)
        print(f"load average after: {load_average()}  (2 cores)")
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
