"""Scale-out benchmark: upload and list throughput, one server process against two.

    .venv/bin/python bench/scaleout.py [--seconds 10] [--window 2] [--clients 16] [--size-kib 16]

Starts SeaweedFS (``chatui.testing.seaweedfs``), a fresh PostgreSQL database and
Redis (``chatui.testing.scaleout``; both must be on loopback, started when down),
and ``uvicorn chatui.asgi`` processes with production settings (DEBUG=false, no
access log) for each configuration: one process and two, each with the default
connections (one per request thread, ``DB_CONN_MAX_AGE=60``) and with psycopg's pool
(``DB_POOL=true``). Two client processes of ``--clients`` threads in total (httpx,
token auth, round robin over a configuration's servers) then measure

* uploads: ``POST /api/files`` of ``--size-kib`` random bytes;
* lists: ``GET /api/files?limit=50`` (the user's newest page);

visiting the configurations in ``--window``-second turns, round after round, until
each row has ``--seconds``: load from elsewhere on the machine then hits every row
alike. Prints requests/s, p50/p99 latency and the ratio to one process.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from chatui.testing import scaleout  # noqa: E402
from chatui.testing.seaweedfs import running_seaweedfs  # noqa: E402

CONFIGS = [
    ("1 process", 1, {}),
    ("2 processes", 2, {}),
    ("1 process, DB_POOL", 1, {"DB_POOL": "true"}),
    ("2 processes, DB_POOL", 2, {"DB_POOL": "true"}),
]
USERS = 8


@dataclass
class Load:
    done: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def _client_thread(kind: str, urls: list[str], token: str, args: Any, out: list[Any]) -> None:
    import os

    import httpx

    headers = {"Authorization": f"Token {token}"}
    clients = [httpx.Client(base_url=url, headers=headers, timeout=60) for url in urls]
    done = errors = 0
    latencies = []
    deadline = time.monotonic() + args["seconds"]
    turn = 0
    while time.monotonic() < deadline:
        client = clients[turn % len(clients)]
        turn += 1
        started = time.perf_counter()
        if kind == "upload":
            body = os.urandom(args["size"])
            response = client.post("/api/files", files={"file": (f"b{turn}.bin", body)})
        else:
            response = client.get("/api/files?limit=50")
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code in {200, 201}:
            done += 1
        else:
            errors += 1
    for client in clients:
        client.close()
    out.append((done, errors, latencies))


def _client_process(kind: str, urls: list[str], tokens: list[str], args: Any) -> list[Any]:
    """Threads in one pool process; two of these run at once so the GIL of one client
    process is not what bounds the measurement."""
    out: list[Any] = []
    threads = [
        threading.Thread(target=_client_thread, args=(kind, urls, token, args, out))
        for token in tokens
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def run_window(pool: Any, kind: str, urls: list[str], tokens: list[str], seconds: float) -> Load:
    params = {"seconds": seconds, "size": ARGS_SIZE[0]}
    halves = [tokens[0::2], tokens[1::2]]
    started = time.perf_counter()
    results = [
        item
        for out in pool.starmap(_client_process, [(kind, urls, half, params) for half in halves])
        for item in out
    ]
    return Load(
        done=sum(r[0] for r in results),
        errors=sum(r[1] for r in results),
        seconds=time.perf_counter() - started,
        latencies_ms=[ms for _, _, lat in results for ms in lat],
    )


ARGS_SIZE = [16 * 1024]


def measure_all(
    env: dict[str, str], workdir: Path, args: argparse.Namespace, tokens: list[str]
) -> dict[str, dict[str, Load]]:
    """Every configuration's servers run side by side; the load visits them in short
    windows, round after round, so a burst of load from elsewhere on the machine hits
    every configuration alike instead of skewing one row."""
    ARGS_SIZE[0] = args.size_kib * 1024
    results: dict[str, dict[str, Load]] = {name: {} for name, _, _ in CONFIGS}
    rounds = max(1, round(args.seconds / args.window))
    with ExitStack() as stack:
        urls = {}
        for name, count, extra in CONFIGS:
            slug = name.replace(" ", "_").replace(",", "")
            servers = [
                stack.enter_context(
                    scaleout.running_server(
                        {**env, **extra}, workdir / f"{slug}-{i}.log", access_log=False
                    )
                )
                for i in range(count)
            ]
            urls[name] = [server.url for server in servers]
        pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(2))
        for name in urls:  # warm up: imports, first connections
            run_window(pool, "list", urls[name], tokens[:4], 1.0)
        for _ in range(rounds):
            for kind in ("upload", "list"):
                for name in urls:
                    window = run_window(pool, kind, urls[name], tokens, args.window)
                    results[name][kind] = _merged(results[name].get(kind), window)
    return results


def _merged(total: Load | None, window: Load) -> Load:
    if total is None:
        return window
    return Load(
        total.done + window.done,
        total.errors + window.errors,
        total.seconds + window.seconds,
        total.latencies_ms + window.latencies_ms,
    )


def print_table(results: dict[str, dict[str, Load]]) -> None:
    base = results[CONFIGS[0][0]]
    columns = ["configuration".ljust(22), "op".ljust(7), "req/s".rjust(8), "vs 1 proc".rjust(9)]
    columns += ["p50 ms".rjust(8), "p99 ms".rjust(8), "errors".rjust(6)]
    header = " ".join(columns)
    print(header)
    print("-" * len(header))
    for name, loads in results.items():
        for kind, load in loads.items():
            ratio = load.rate / base[kind].rate if base[kind].rate else 0.0
            print(
                f"{name:<22} {kind:<7} {load.rate:>8.1f} {ratio:>8.2f}x "
                f"{load.percentile(0.5):>8.1f} {load.percentile(0.99):>8.1f} {load.errors:>6}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per row, in all")
    parser.add_argument("--window", type=float, default=2.0, help="seconds per visit")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--size-kib", type=int, default=16)
    args = parser.parse_args(argv)
    scaleout.ensure_services()
    with tempfile.TemporaryDirectory(prefix="chatui-bench-scaleout-") as tmp:
        workdir = Path(tmp)
        with running_seaweedfs(workdir / "seaweedfs") as weed, scaleout.temporary_database() as db:
            s3 = scaleout.S3Target(weed.endpoint_url, weed.access_key, weed.secret_key, "bench")
            s3.client().create_bucket(Bucket=s3.bucket)
            env = scaleout.site_env(var_dir=workdir / "var", dbname=db, s3=s3, LOG_LEVEL="WARNING")
            accounts = scaleout.site_prepare(
                env, [{"email": f"bench{i}@example.com"} for i in range(USERS)]
            )
            tokens = [accounts[f"bench{i % USERS}@example.com"].token for i in range(args.clients)]
            print(
                f"PostgreSQL + Redis + SeaweedFS, {args.clients} client threads in 2 processes, "
                f"{args.seconds:.0f} s per row in {args.window:.0f} s turns, "
                f"uploads of {args.size_kib} KiB, "
                f"{multiprocessing.cpu_count()} CPUs\n"
            )
            results = measure_all(env, workdir, args, tokens)
            print_table(results)
            upload = results["2 processes"]["upload"].rate / results["1 process"]["upload"].rate
            listing = results["2 processes"]["list"].rate / results["1 process"]["list"].rate
            print(f"\ntwo processes / one: uploads {upload:.2f}x, lists {listing:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
