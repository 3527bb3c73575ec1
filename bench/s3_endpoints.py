"""s3mock against moto's server and SeaweedFS: the same boto3 workload on each.

    .venv/bin/python bench/s3_endpoints.py [--small-ops 1500] [--large 3] [--check]
        [--baseline GIT-REV]

Rows: 4 KiB PUT / GET / HEAD (ops/s, one client thread, so per-request latency
decides) and 64 MiB PUT / GET (MiB/s). Targets: s3mock >= 1.0x moto on every row
and >= 0.8x SeaweedFS on the small-object rows.

Fairness on a shared machine: all three servers run at once (idle ones cost
nearly nothing) and every row is measured in small batches that rotate between
the servers, so a burst of load from elsewhere hits all three alike. Each server
gets a warm-up first. Large objects use the same TransferConfig everywhere:
8 MiB parts, 4 threads, so a 64 MiB PUT is an 8-part multipart upload and a GET
is 8 ranged GETs, as the product's uploads and downloads are.

``--baseline REV`` also runs the s3mock of another git revision (extracted with
``git archive``) in the same rotation and prints each row's cost against it: how a
change to s3mock moved its own figures, measured under the same load.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatui.settings")

from boto3.s3.transfer import TransferConfig  # noqa: E402

from chatui.testing.seaweedfs import (  # noqa: E402
    running_moto,
    running_seaweedfs,
    s3_client,
)
from s3mock.testing import S3MockProcess  # noqa: E402

SMALL = 4 * 1024
LARGE = 64 * 1024 * 1024
MIB = 1024 * 1024
BUCKET = "bench"
BATCHES = 15
TRANSFER = TransferConfig(
    multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB, max_concurrency=4, use_threads=True
)
SERVERS = ("s3mock", "moto", "SeaweedFS")


@dataclass
class Target:
    name: str
    client: Any


@dataclass
class Row:
    label: str
    unit: str
    small: bool
    results: dict[str, float]

    def ratio(self, other: str) -> float:
        return self.results["s3mock"] / self.results[other]

    def verdict(self) -> tuple[str, str]:
        goal = ">=1.0x moto" + (", >=0.8x SeaweedFS" if self.small else "")
        ok = self.ratio("moto") >= 1.0 and (not self.small or self.ratio("SeaweedFS") >= 0.8)
        return goal, "PASS" if ok else "FAIL"


@contextmanager
def running_s3mock(tmp_dir: Path) -> Iterator[Target]:
    server = S3MockProcess(tmp_dir / "s3mock-data")
    with server:
        yield Target("s3mock", s3_client(server.endpoint_url, server.access_key, server.secret_key))


@contextmanager
def running_baseline(tmp_dir: Path, revision: str) -> Iterator[Target]:
    """The s3mock of another git revision, from a ``git archive`` of it."""
    tree = tmp_dir / "baseline-tree"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", revision], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    server = S3MockProcess(tmp_dir / "baseline-data", repo_root=tree)
    with server:
        client = s3_client(server.endpoint_url, server.access_key, server.secret_key)
        yield Target(baseline_name(revision), client)


def baseline_name(revision: str) -> str:
    return f"s3mock@{revision}"


@contextmanager
def all_servers(tmp_dir: Path, baseline: str | None = None) -> Iterator[list[Target]]:
    with ExitStack() as stack:
        targets = [stack.enter_context(running_s3mock(tmp_dir))]
        if baseline:
            targets.append(stack.enter_context(running_baseline(tmp_dir, baseline)))
        moto = stack.enter_context(running_moto(tmp_dir / "moto"))
        targets.append(Target("moto", moto.client()))
        seaweed = stack.enter_context(running_seaweedfs(tmp_dir / "seaweedfs"))
        targets.append(Target("SeaweedFS", seaweed.client()))
        for target in targets:
            target.client.create_bucket(Bucket=BUCKET)
        yield targets


# --- workloads ---------------------------------------------------------------------------


def small_put(client: Any, keys: list[str], body: bytes) -> None:
    for key in keys:
        client.put_object(Bucket=BUCKET, Key=key, Body=body)


def small_get(client: Any, keys: list[str], body: bytes) -> None:
    for key in keys:
        data = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert len(data) == len(body)


def small_head(client: Any, keys: list[str], body: bytes) -> None:
    for key in keys:
        assert client.head_object(Bucket=BUCKET, Key=key)["ContentLength"] == len(body)


def large_put(client: Any, keys: list[str], body: bytes) -> None:
    for key in keys:
        client.upload_fileobj(io.BytesIO(body), BUCKET, key, Config=TRANSFER)


class _Sink(io.RawIOBase):
    """A writable that counts bytes, so the GET measures the endpoint, not memory copies."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.size += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:  # s3transfer seeks per range
        return offset


def large_get(client: Any, keys: list[str], body: bytes) -> None:
    for key in keys:
        sink = _Sink()
        client.download_fileobj(BUCKET, key, sink, Config=TRANSFER)
        assert sink.size == len(body)


Workload = Callable[[Any, list[str], bytes], None]


def measure(
    targets: list[Target], workload: Workload, keys: list[str], body: bytes
) -> dict[str, float]:
    """Seconds per server, batches rotating between servers."""
    spent = dict.fromkeys((t.name for t in targets), 0.0)
    size = max(1, len(keys) // BATCHES)
    for start in range(0, len(keys), size):
        batch = keys[start : start + size]
        for target in targets:
            began = time.perf_counter()
            workload(target.client, batch, body)
            spent[target.name] += time.perf_counter() - began
    return spent


def run(targets: list[Target], small_ops: int, large_count: int) -> list[Row]:
    small_body, large_body = os.urandom(SMALL), os.urandom(LARGE)
    warm = [f"warm/{i}" for i in range(100)]
    for workload in (small_put, small_get, small_head):
        measure(targets, workload, warm, small_body)
    measure(targets, large_put, ["warm/large"], large_body)
    measure(targets, large_get, ["warm/large"], large_body)

    small_keys = [f"small/{i:05d}" for i in range(small_ops)]
    large_keys = [f"large/{i}" for i in range(large_count)]
    rows = []
    for label, workload in (("PUT 4 KiB", small_put), ("GET 4 KiB", small_get)):
        spent = measure(targets, workload, small_keys, small_body)
        rows.append(Row(label, "ops/s", True, {n: small_ops / s for n, s in spent.items()}))
    spent = measure(targets, small_head, small_keys, small_body)
    rows.append(Row("HEAD 4 KiB", "ops/s", True, {n: small_ops / s for n, s in spent.items()}))
    megabytes = large_count * LARGE / MIB
    for label, workload in (("PUT 64 MiB", large_put), ("GET 64 MiB", large_get)):
        spent = measure(targets, workload, large_keys, large_body)
        rows.append(Row(label, "MiB/s", False, {n: megabytes / s for n, s in spent.items()}))
    return rows


# --- report --------------------------------------------------------------------------------


def render(rows: list[Row]) -> str:
    header = (
        f"{'workload':<11} {'unit':<6} {'s3mock':>9} {'moto':>9} {'SeaweedFS':>10}"
        f" {'s3mock/moto':>12} {'s3mock/SeaweedFS':>17}  {'target':<30} result"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        goal, verdict = row.verdict()
        values = " ".join(
            f"{row.results[name]:>{10 if name == 'SeaweedFS' else 9}.1f}" for name in SERVERS
        )
        lines.append(
            f"{row.label:<11} {row.unit:<6} {values} {row.ratio('moto'):>11.2f}x"
            f" {row.ratio('SeaweedFS'):>16.2f}x  {goal:<30} {verdict}"
        )
    return "\n".join(lines)


def render_baseline(rows: list[Row], revision: str) -> str:
    """Each row of s3mock against the baseline revision's s3mock (same run, same rotation)."""
    name = baseline_name(revision)
    lines = [f"{'workload':<11} {'unit':<6} {'s3mock':>9} {name:>20} {'change':>8}"]
    for row in rows:
        new, old = row.results["s3mock"], row.results[name]
        lines.append(
            f"{row.label:<11} {row.unit:<6} {new:>9.1f} {old:>20.1f} {new / old - 1:>+8.1%}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-ops", type=int, default=1500, help="4 KiB ops per row")
    parser.add_argument("--large", type=int, default=3, help="64 MiB transfers per row")
    parser.add_argument("--check", action="store_true", help="exit 1 if any row fails")
    parser.add_argument(
        "--baseline", metavar="REV", help="also measure the s3mock of this git revision"
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="s3bench-") as tmp,
        all_servers(Path(tmp), args.baseline) as targets,
    ):
        print(f"servers ready in {time.perf_counter() - began:.1f}s; measuring", flush=True)
        rows = run(targets, args.small_ops, args.large)
    print(
        f"\n{args.small_ops} x 4 KiB ops per row (one client thread, {BATCHES} rotating batches);"
        f" {args.large} x 64 MiB per row with TransferConfig(8 MiB parts, 4 threads)"
    )
    print(render(rows))
    if args.baseline:
        print(f"\ns3mock against {baseline_name(args.baseline)}, same run")
        print(render_baseline(rows, args.baseline))
    print(f"\ntotal {time.perf_counter() - began:.0f}s")
    failed = any(row.verdict()[1] == "FAIL" for row in rows)
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
