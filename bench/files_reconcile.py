"""Benchmark ``files_reconcile`` over 10,000, 50,000 and 100,000 objects.

    .venv/bin/python bench/files_reconcile.py [--total 100000]

Starts, in a temporary directory (never the developer's var/), a live s3mock and a
SQLite database. Creates the objects once, fast: blobs PUT straight through boto3
from parallel threads, rows by ``bulk_create``. They belong to three users holding
10%, 40% and 50% of them, so ``--user`` scopes give 10,000 and 50,000 objects and
the whole bucket 100,000 (creating 160,000 objects would not fit the time budget).
Each scope gets a few inconsistencies (rows whose blob is gone, orphan blobs, a
size mismatch).

Each reconcile runs in a fresh process (``manage.py files_reconcile``, dry run,
``--min-age 0s``), twice: once plain for its wall time and peak RSS (the child's
VmHWM), once under tracemalloc for the peak of Python allocations. The claim to
check: the peaks do not grow with the object count. Finally ``--apply`` repairs the whole bucket and
a last dry run must come back clean.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.harness import ACCESS, BUCKET, SECRET, environment  # noqa: E402

THREADS = 24
SHARES = {"small@example.com": 0.1, "middle@example.com": 0.4, "large@example.com": 0.5}
CHILD = r"""
import json, os, sys, time, tracemalloc
import django


def peak_rss_kib():
    # VmHWM belongs to this process image; ru_maxrss would keep the parent's peak
    # across fork and exec.
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


django.setup()
from io import StringIO
from django.core.management import call_command
from django.core.management.base import CommandError
traced = os.environ.get("BENCH_TRACE") == "1"
if traced:
    tracemalloc.start()
out = StringIO()
started = time.perf_counter()
try:
    call_command("files_reconcile", *sys.argv[1:], stdout=out, stderr=StringIO())
    code = 0
except CommandError as err:
    code = err.returncode
seconds = time.perf_counter() - started
peak = tracemalloc.get_traced_memory()[1] if traced else 0
print(json.dumps({
    "seconds": seconds, "traced_peak": peak, "exit": code,
    "rss_kib": peak_rss_kib(),
    "summary": [l for l in out.getvalue().splitlines() if l.startswith(("Checked", "Missing"))],
}))
"""


def _body(index: int) -> bytes:
    return f"object {index}\n".encode()


def _keys(email: str, count: int) -> list[str]:
    return [f"users/{email}/uploads/20250101_000000_{i:08x}_f{i}.txt" for i in range(count)]


def _plan(total: int) -> dict[str, int]:
    return {email: int(total * share) for email, share in SHARES.items()}


def _seed_store(data_dir: Path, plan: dict[str, int]) -> None:
    """Write the blobs into s3mock's on-disk store before the server starts: the same
    files a PUT would leave, at ~7,000/s on tmpfs instead of ~350/s over HTTP (where
    SigV4 on both ends saturates two cores)."""
    from s3mock.store import Store

    store = Store(data_dir)
    store.ensure_bucket(BUCKET, ACCESS)
    for email, count in plan.items():
        for index, key in enumerate(_keys(email, count)):
            store.put_object_bytes(BUCKET, key, _body(index), content_type="text/plain")


def _seed_http(client: Any, plan: dict[str, int]) -> None:
    client.create_bucket(Bucket=BUCKET)
    for email, count in plan.items():
        keys = _keys(email, count)

        def put(index: int, keys: list[str] = keys) -> None:
            client.put_object(Bucket=BUCKET, Key=keys[index], Body=_body(index))

        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(put, range(count), chunksize=256))


def _rows(plan: dict[str, int]) -> None:
    from django.core.management import call_command

    from chatui.models import User
    from files.models import StoredFile

    call_command("migrate", verbosity=0)
    for email, count in plan.items():
        owner = User.objects.create_user(email, None)
        rows = (
            StoredFile(
                owner=owner,
                key=key,
                filename=f"f{i}.txt",
                size=len(_body(i)),
                checksum=hashlib.sha256(_body(i)).hexdigest(),
                content_type="text/plain",
            )
            for i, key in enumerate(_keys(email, count))
        )
        StoredFile.objects.bulk_create(rows, batch_size=2000)


def _damage(client: Any, plan: dict[str, int]) -> None:
    """Per user: two rows lose their blob, two orphan blobs appear, one blob changes size."""
    for email, count in plan.items():
        keys = _keys(email, count)
        for key in keys[10:12]:
            client.delete_object(Bucket=BUCKET, Key=key)
        for name in ("zz_orphan_1.txt", "aa_orphan_2.txt"):
            client.put_object(Bucket=BUCKET, Key=f"users/{email}/uploads/{name}", Body=b"orphan\n")
        client.put_object(Bucket=BUCKET, Key=keys[20], Body=b"a different size\n")


def _client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(max_pool_connections=THREADS, retries={"max_attempts": 3})
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
        config=config,
    )


def _reconcile(env: dict[str, str], *args: str, trace: bool = False) -> dict[str, object]:
    command = [sys.executable, "-c", CHILD, "--min-age=0s", *args]
    child_env = {**env, "BENCH_TRACE": "1" if trace else "0"}
    done = subprocess.run(command, cwd=REPO, env=child_env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"reconcile failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=100_000, help="objects in the bucket")
    parser.add_argument(
        "--via",
        choices=["store", "boto3"],
        default="store",
        help="create the blobs in s3mock's store before it starts (fast, default) or by "
        "PUTs through boto3 from parallel threads (~350/s here: ~5 min for 100,000)",
    )
    options = parser.parse_args()
    from s3mock.testing import S3MockProcess

    scratch = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (tmpfs scratch)
    with tempfile.TemporaryDirectory(prefix="bench-reconcile-", dir=scratch) as tmp:
        workdir = Path(tmp)
        plan = _plan(options.total)
        started = time.perf_counter()
        if options.via == "store":
            _seed_store(workdir / "s3mock", plan)
        server = S3MockProcess(
            workdir / "s3mock", credentials=f"{ACCESS}:{SECRET}", bucket=BUCKET, start_timeout=120
        )
        with server:
            env = environment(workdir, server.endpoint_url)
            os.environ.update(env)
            import django

            django.setup()
            client = _client(server.endpoint_url)
            if options.via == "boto3":
                _seed_http(client, plan)
            blobs_done = time.perf_counter() - started
            _rows(plan)
            _damage(client, plan)
            elapsed = time.perf_counter() - started
            print(
                f"created {sum(plan.values()):,} blobs ({options.via}) in {blobs_done:.0f} s, "
                f"then rows and 5 inconsistencies per user: {elapsed:.0f} s in all"
            )
            _measure(env, plan)


def _measure(env: dict[str, str], counts: dict[str, int]) -> None:
    """Reconcile 10%, 50% and all of the objects; print time and memory for each."""
    scopes = [
        (f"{counts['small@example.com']:,}", ["--user=small@example.com"]),
        (f"{counts['large@example.com']:,}", ["--user=large@example.com"]),
        (f"{sum(counts.values()):,}", []),
    ]
    print(f"\n{'objects':>8} {'time':>8} {'peak RSS':>10} {'traced peak':>12} {'exit':>5}  found")
    for label, args in scopes:
        plain = _reconcile(env, *args)
        traced = _reconcile(env, *args, trace=True)
        found = plain["summary"][1] if len(plain["summary"]) > 1 else ""  # type: ignore[index]
        print(
            f"{label:>8} {plain['seconds']:>7.1f}s {int(plain['rss_kib']) / 1024:>8.1f}MB "  # type: ignore[call-overload]
            f"{int(traced['traced_peak']) / 1024 / 1024:>10.2f}MB {plain['exit']:>5}  {found}",  # type: ignore[call-overload]
            flush=True,
        )
    repaired = _reconcile(env, "--apply", "--broken=delete")
    print(f"\n--apply --broken=delete over everything: {repaired['seconds']:.1f}s")
    print("  " + "\n  ".join(repaired["summary"]))  # type: ignore[arg-type]
    clean = _reconcile(env)
    print(f"then a dry run: exit {clean['exit']}; " + " ".join(clean["summary"]))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
