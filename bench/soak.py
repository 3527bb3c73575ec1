"""Soak: many clients mixing uploads, downloads, chats and tool runs against a real server.

Starts a live s3mock and the app under uvicorn (temporary SQLite database and var
dir, the offline assistant), one user per client, then for ``--duration`` seconds
every client loops over a weighted mix of:

* upload    ``POST /api/files`` (multipart; mostly 1-256 KiB, one in 25 is 9 MiB so
            S3 multipart runs too), remembering the sha256 of what it sent;
* download  ``GET /api/files/{id}/download`` of one of its own files, checked
            against that sha256 on the spot;
* chat      a message over ``/ws/chat/`` until ``response_complete``;
* tool      ``POST /api/tools/csv_summary/run`` on one of its own CSV files.

The server process's RSS is sampled every second (the tool sandbox's forked
processes come and go; their summed peak is shown apart, not bounded). At the end every
file each client uploaded is downloaded again and compared, and ``files_reconcile``
must find nothing. Prints requests and errors by kind and code, p50/p99 latency per
kind, RSS at start / after warm-up / peak / end, and PASS or FAIL: no lost or
corrupted file, no unexpected error, reconcile clean, and RSS growth after warm-up
within ``--rss-bound-mib``.

    .venv/bin/python bench/soak.py                          # 600 s, 50 clients
    .venv/bin/python bench/soak.py --duration 90 --clients 20
    .venv/bin/python bench/soak.py --duration 120 \
        --database-url postgres://postgres@127.0.0.1:5432/chatui_soak    # an empty database
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from chatui.server_protocol import KEEP_ALIVE_S  # noqa: E402 (the repo is on sys.path only now)

MIB = 1024 * 1024
# Where a chat's time goes, each phase ending at the first frame of its type: the
# websocket's handshake, the message saved (the new chat's ``session`` frame), the
# reply's first ``token``, the rest of the reply.
CHAT_PHASES = {
    "open": "open",
    "saved": "session",
    "first token": "token",
    "reply": "response_complete",
}
MIX = {"upload": 3, "download": 4, "chat": 2, "tool": 1}
EXPECTED_ERRORS = {"busy"}  # typed refusals a correct server may give under load
SOAK_RATE_LIMITS = {
    "RATE_LIMIT_UPLOADS": "1200/minute",
    "RATE_LIMIT_TOOL_RUNS": "600/minute",
    "RATE_LIMIT_SEARCH": "1200/minute",
    "RATE_LIMIT_CHAT": "600/minute",
}
# The clients' pools drop a connection idle this long: half the server's keep-alive, as a
# proxy in front of a deployment keeps its upstream idle timeout below the backend's.
# httpx's default (5 s) is uvicorn's: a request sent on a connection idle for nearly 5 s
# reached the server just after it closed the connection, and httpx does not retry
# (a download failed with RemoteProtocolError, an upload with ReadError).
CLIENT_KEEPALIVE_S = KEEP_ALIVE_S / 2


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--warmup", type=float, default=None, help="default: 20%% of duration")
    parser.add_argument("--rss-bound-mib", type=float, default=50.0, help="end - after warm-up")
    parser.add_argument("--think-ms", type=float, default=50.0, help="pause between actions")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary dir")
    parser.add_argument(
        "--database-url",
        default="",
        help="run the server on this database (an empty PostgreSQL one, say) instead of "
        "the embedded default, a fresh SQLite file",
    )
    parser.add_argument(
        "--redis-url", default="", help="Redis for the channel layer, cache and reply locks"
    )
    return parser.parse_args(argv)


@dataclass
class Stats:
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, bytes)
    tool_rss_peak: int = 0  # the tool sandbox's processes (forkserver and children), summed
    chat_phase_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    loop_lag_ms: list[float] = field(default_factory=list)  # the clients' loop (sample_loop_lag)

    def chat_phases_record(self, started: float, at: dict[str, float]) -> None:
        """A chat's time split at the frames it waits for (``CHAT_PHASES``)."""
        previous = started
        for phase, frame_type in CHAT_PHASES.items():
            if frame_type in at:
                self.chat_phase_ms[phase].append((at[frame_type] - previous) * 1000)
                previous = at[frame_type]

    def record(self, kind: str, started: float, error: str | None = None) -> None:
        self.requests[kind] += 1
        self.latency_ms[kind].append((time.perf_counter() - started) * 1000)
        if error:
            self.errors[f"{kind}:{error}"] += 1


@dataclass
class Client:
    email: str
    token: str
    rng: random.Random
    uploaded: dict[str, str] = field(default_factory=dict)  # file id -> sha256
    csv_ids: list[str] = field(default_factory=list)
    session_cookie: str = ""
    corrupted: list[str] = field(default_factory=list)


# --- Actions ----------------------------------------------------------------------------------


def http_client(url: str, token: str | None = None, timeout: float = 120) -> Any:
    """An ``httpx.AsyncClient`` for ``url`` (with ``token``) that never reuses a connection
    the server may be closing (``CLIENT_KEEPALIVE_S``)."""
    import httpx

    headers = {"Authorization": f"Token {token}"} if token else {}
    limits = httpx.Limits(keepalive_expiry=CLIENT_KEEPALIVE_S)
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=timeout, limits=limits)


def _payload(rng: random.Random) -> tuple[str, bytes]:
    if rng.random() < 0.3:
        rows = "\n".join(f"{i},{rng.randint(0, 999)},{rng.random():.4f}" for i in range(200))
        return f"data-{rng.randrange(10**6)}.csv", f"n,value,ratio\n{rows}\n".encode()
    size = 9 * MIB if rng.random() < 0.04 else rng.randint(1024, 256 * 1024)
    return f"blob-{rng.randrange(10**6)}.bin", rng.randbytes(size)


def _error_code(response: Any) -> str:
    try:
        return str(response.json().get("code") or response.status_code)
    except ValueError:
        return str(response.status_code)


async def upload(http: Any, client: Client, stats: Stats) -> None:
    name, content = _payload(client.rng)
    started = time.perf_counter()
    files = {"file": (name, content, "application/octet-stream")}
    response = await http.post("/api/files", files=files)
    if response.status_code != 201:
        stats.record("upload", started, _error_code(response))
        return
    stats.record("upload", started)
    file_id = response.json()["id"]
    client.uploaded[file_id] = hashlib.sha256(content).hexdigest()
    if name.endswith(".csv"):
        client.csv_ids.append(file_id)


async def download(http: Any, client: Client, stats: Stats) -> None:
    if not client.uploaded:
        return await upload(http, client, stats)
    file_id = client.rng.choice(list(client.uploaded))
    started = time.perf_counter()
    digest = hashlib.sha256()
    async with http.stream("GET", f"/api/files/{file_id}/download") as response:
        if response.status_code != 200:
            await response.aread()
            stats.record("download", started, _error_code(response))
            return
        async for chunk in response.aiter_bytes():
            digest.update(chunk)
    stats.record("download", started)
    if digest.hexdigest() != client.uploaded[file_id]:
        client.corrupted.append(file_id)


async def tool(http: Any, client: Client, stats: Stats) -> None:
    if not client.csv_ids:
        return await upload(http, client, stats)
    started = time.perf_counter()
    body = {"file_id": client.rng.choice(client.csv_ids)}
    response = await http.post("/api/tools/csv_summary/run", json=body)
    stats.record("tool", started, None if response.status_code == 200 else _error_code(response))


async def chat(url: str, client: Client, stats: Stats) -> None:
    import websockets

    started = time.perf_counter()
    ws_url = url.replace("http://", "ws://") + "/ws/chat/"
    headers = {"Cookie": f"sessionid={client.session_cookie}", "Origin": url}
    error = None
    phases: dict[str, float] = {}
    try:
        async with websockets.connect(ws_url, additional_headers=headers, open_timeout=30) as ws:
            phases["open"] = time.perf_counter()
            text = f"hello {client.rng.randrange(10**6)}, what do you see?"
            await ws.send(json.dumps({"type": "chat", "session_id": None, "content": text}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
                phases.setdefault(frame["type"], time.perf_counter())
                if frame["type"] == "error":
                    error = frame.get("code", "error")
                    break
                if frame["type"] == "response_complete":
                    error = None if frame["status"] == "complete" else frame["status"]
                    break
    except (OSError, TimeoutError, websockets.WebSocketException) as exc:
        error = type(exc).__name__
    stats.record("chat", started, error)
    if error is None:
        stats.chat_phases_record(started, phases)


# --- Clients, RSS, the final check --------------------------------------------------------------


async def sign_in(http: Any, client: Client, password: str) -> None:
    page = await http.get("/accounts/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    form = {"username": client.email, "password": password, "csrfmiddlewaretoken": csrf}
    referer = {"Referer": f"{http.base_url}/accounts/login/"}
    await http.post("/accounts/login/", data=form, headers=referer)
    client.session_cookie = http.cookies["sessionid"]
    http.cookies.clear()  # the API calls below use the token, not the session


async def run_client(
    url: str, http: Any, client: Client, stats: Stats, until: float, think_s: float
) -> None:
    import httpx

    kinds, weights = list(MIX), list(MIX.values())
    while time.monotonic() < until:
        kind = client.rng.choices(kinds, weights)[0]
        try:
            if kind == "chat":
                await chat(url, client, stats)
            else:
                await {"upload": upload, "download": download, "tool": tool}[kind](
                    http, client, stats
                )
        except httpx.HTTPError as exc:
            stats.record(kind, time.perf_counter(), type(exc).__name__)
        await asyncio.sleep(client.rng.uniform(0, 2 * think_s))


async def sample_rss(pid: int, stats: Stats, started: float, stop: asyncio.Event) -> None:
    import psutil

    process = psutil.Process(pid)
    while not stop.is_set():
        try:
            rss = process.memory_info().rss
            children = sum(c.memory_info().rss for c in process.children(recursive=True))
        except psutil.Error:
            rss = children = 0
        stats.rss.append((time.monotonic() - started, rss))
        stats.tool_rss_peak = max(stats.tool_rss_peak, children)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


async def sample_loop_lag(stats: Stats, stop: asyncio.Event, every: float = 0.01) -> None:
    """How late this process's event loop wakes a 10 ms sleep: time the clients' own
    work (payloads, checksums) adds to every latency they measure."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        asked = loop.time()
        await asyncio.sleep(every)
        stats.loop_lag_ms.append((loop.time() - asked - every) * 1000)


async def verify_all(url: str, clients: list[Client]) -> tuple[int, int, int]:
    """(files checked, lost, corrupted): every file each client uploaded, downloaded again."""
    checked = lost = corrupted = 0
    for client in clients:
        async with http_client(url, client.token) as http:
            for file_id, expected in client.uploaded.items():
                response = await http.get(f"/api/files/{file_id}/download")
                checked += 1
                if response.status_code != 200:
                    lost += 1
                elif hashlib.sha256(response.content).hexdigest() != expected:
                    corrupted += 1
        corrupted += len(client.corrupted)
    return checked, lost, corrupted


# --- Report -----------------------------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def report(stats: Stats, args: argparse.Namespace, warmup: float, elapsed: float) -> float:
    """Print the figures; returns RSS growth after warm-up in MiB."""
    print(f"\nsoak: {args.clients} clients, {elapsed:.0f} s, warm-up {warmup:.0f} s")
    print(f"{'kind':<10}{'requests':>10}{'errors':>8}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind in MIX:
        values = stats.latency_ms.get(kind, [])
        errors = sum(n for key, n in stats.errors.items() if key.startswith(f"{kind}:"))
        print(
            f"{kind:<10}{stats.requests[kind]:>10}{errors:>8}{_percentile(values, 0.5):>10.0f}"
            f"{_percentile(values, 0.99):>10.0f}{max(values, default=0):>10.0f}"
        )
    for phase in CHAT_PHASES:
        values = stats.chat_phase_ms.get(phase, [])
        print(
            f"{'  chat ' + phase:<28}{_percentile(values, 0.5):>10.0f}"
            f"{_percentile(values, 0.99):>10.0f}"
            f"{max(values, default=0):>10.0f}"
        )
    total = sum(stats.requests.values())
    print(f"total     {total:>10}  ({total / max(elapsed, 1):.1f} requests/s)")
    print("errors by code: " + (", ".join(f"{k}={n}" for k, n in stats.errors.items()) or "none"))
    lag = stats.loop_lag_ms
    print(
        f"clients' event loop lag, ms: p50 {_percentile(lag, 0.5):.1f}, "
        f"p99 {_percentile(lag, 0.99):.1f}, max {max(lag, default=0):.0f}"
    )
    samples = [rss for _, rss in stats.rss if rss]
    after_warmup = next((rss for t, rss in stats.rss if t >= warmup and rss), samples[0])
    start, peak, end = samples[0], max(samples), samples[-1]
    growth = (end - after_warmup) / MIB
    print(
        f"server RSS, MiB: start {start / MIB:.0f}, after warm-up {after_warmup / MIB:.0f}, "
        f"peak {peak / MIB:.0f}, end {end / MIB:.0f}; end - after warm-up = {growth:+.1f} "
        f"(bound {args.rss_bound_mib:.0f}); tool processes peak {stats.tool_rss_peak / MIB:.0f}"
    )
    return growth


async def soak(args: argparse.Namespace, workdir: Path) -> int:
    from chatui.server_protocol import uvicorn_server_options
    from chatui.testing.live_app import PASSWORD, LiveApp
    from s3mock.testing import S3MockProcess

    s3 = S3MockProcess(workdir / "s3", credentials="soak:soak-secret").start()
    app = LiveApp(workdir / "app", s3.endpoint_url, *s3.accounts[0], bucket="soak")
    app.extra_env["FILES_MAX_UPLOAD_MB"] = "20"
    if args.database_url:
        app.extra_env["DATABASE_URL"] = args.database_url
    if args.redis_url:
        app.extra_env["REDIS_URL"] = args.redis_url
    database = args.database_url or "SQLite (embedded default)"
    print(f"database: {database}; redis: {args.redis_url or 'none'}")
    # As the README's deployment runs it (slow-client timeouts, rate limits on), with the
    # per-user limits sized for these clients: robots 50 ms apart, each far busier than
    # a person (about 30 chat messages a minute), as a site serving API robots sizes them.
    # A 429 (`rate_limited`) is not an expected error: an honest client throttled FAILs.
    app.server_args = uvicorn_server_options()
    app.extra_env.update(SOAK_RATE_LIMITS)
    print("per-user rate limits: " + ", ".join(f"{k}={v}" for k, v in SOAK_RATE_LIMITS.items()))
    try:
        emails = [f"soak{i}@example.com" for i in range(args.clients)]
        print(f"preparing {len(emails)} users in {workdir} ...", flush=True)
        tokens = app.prepare(emails)
        app.start()
        print(f"server pid {app.process.pid} at {app.url}, s3mock at {s3.endpoint_url}")
        rng = random.Random(args.seed)
        clients = [Client(e, tokens[e], random.Random(rng.random())) for e in emails]
        return await _drive(args, app, clients, PASSWORD)
    finally:
        app.stop()
        s3.stop()


async def _drive(args: argparse.Namespace, app: Any, clients: list[Client], password: str) -> int:
    for client in clients:
        async with http_client(app.url, timeout=60) as http:
            await sign_in(http, client, password)
    stats, stop = Stats(), asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        # Made before the clock starts: each loads an SSL context (about 30 ms), and 50
        # made at once stalled every client's first request by 1.5 s.
        https = [await stack.enter_async_context(http_client(app.url, c.token)) for c in clients]
        started = time.monotonic()
        sampler = asyncio.create_task(sample_rss(app.process.pid, stats, started, stop))
        lag = asyncio.create_task(sample_loop_lag(stats, stop))
        until = started + args.duration
        think = args.think_ms / 1000
        await asyncio.gather(
            *(
                run_client(app.url, http, c, stats, until, think)
                for http, c in zip(https, clients, strict=True)
            )
        )
        elapsed = time.monotonic() - started
    checked, lost, corrupted = await verify_all(app.url, clients)
    stop.set()
    await sampler
    await lag
    warmup = args.warmup if args.warmup is not None else args.duration * 0.2
    growth = report(stats, args, warmup, elapsed)
    reconcile = await asyncio.to_thread(_reconcile, app)
    unexpected = {
        k: n for k, n in stats.errors.items() if k.split(":", 1)[1] not in EXPECTED_ERRORS
    }
    print(f"files: {checked} checked, {lost} lost, {corrupted} corrupted; reconcile: {reconcile}")
    failures = [
        *([f"{lost} files lost"] if lost else []),
        *([f"{corrupted} files corrupted"] if corrupted else []),
        *([f"unexpected errors {unexpected}"] if unexpected else []),
        *([f"reconcile: {reconcile}"] if reconcile != "clean" else []),
        *([f"RSS grew {growth:.1f} MiB"] if growth >= args.rss_bound_mib else []),
    ]
    print("PASS" if not failures else "FAIL: " + "; ".join(failures))
    return 0 if not failures else 1


def _reconcile(app: Any) -> str:
    try:
        out = app.manage("files_reconcile", "--min-age", "0s")
    except RuntimeError as exc:
        return f"problems: {str(exc)[-300:]}"
    return "clean" if "Missing blobs: 0, orphan blobs: 0, size mismatches: 0" in out else out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workdir is not None:
        return asyncio.run(soak(args, args.workdir))
    with tempfile.TemporaryDirectory(prefix="chatui-soak-") as tmp:
        return asyncio.run(soak(args, Path(tmp)))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatui.settings")
    sys.exit(main())
