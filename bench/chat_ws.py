"""Chat websocket benchmark: many concurrent clients against one real ASGI server.

Starts ``uvicorn chatui.asgi:application`` (one process) on a temporary SQLite
database with the offline assistant, logs the bench users in by session cookies
created for them, then runs N websocket clients at once, each sending M messages
one after another (the first starts a chat, the rest continue it) and timing each
from the ``chat`` frame to its ``response_complete``. Prints p50/p90/p99/max and
PASS/FAIL against the target (no errors, p99 under the target).

    .venv/bin/python bench/chat_ws.py                     # 200 clients x 20 messages
    .venv/bin/python bench/chat_ws.py --clients 50 --messages 5 --think-ms 0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--target-p99-ms", type=float, default=250.0)
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="pause between a reply and the client's next message (0: back to back)",
    )
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument(
        "--no-wal",
        dest="wal",
        action="store_false",
        help="keep SQLite's default rollback journal instead of WAL",
    )
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def var_dir_of(env: dict[str, str]) -> Path:
    return Path(env["CHATUI_VAR_DIR"])


def bench_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="chatui.settings",
        CHATUI_VAR_DIR=str(var_dir),
        DEBUG="true",
        LOG_LEVEL="WARNING",
        REDIS_URL="",
        PYTHONPATH=str(REPO),
    )
    return env


def prepare_database(env: dict[str, str], clients: int, args_wal: bool) -> list[str]:
    """Migrate the temp database and return one session cookie per bench user."""
    manage = [str(PYTHON), str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=REPO)
    if args_wal:
        # WAL is a property of the database file, so every server connection uses it:
        # readers stop waiting for the writer, and a commit appends to one log.
        with sqlite3.connect(var_dir_of(env) / "db.sqlite3") as db:
            db.execute("PRAGMA journal_mode=WAL")
    script = f"""
import json, django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
User = get_user_model()
cookies = []
for i in range({clients}):
    user = User.objects.create_user(email=f"bench{{i}}@example.com", password=None)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    cookies.append(session.session_key)
print(json.dumps(cookies))
"""
    out = subprocess.run(
        [str(PYTHON), "-c", script], env=env, check=True, cwd=REPO, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_server(kind: str, env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    if kind == "uvicorn":
        command = [
            str(PYTHON), "-m", "uvicorn", "chatui.asgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            "--no-access-log", "--ws", "websockets",
        ]  # fmt: skip
    else:
        command = [
            str(PYTHON.parent / "daphne"), "-b", "127.0.0.1", "-p", str(port),
            "chatui.asgi:application",
        ]  # fmt: skip
    return subprocess.Popen(
        command, env=env, cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited during start-up; see its log")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start listening")


async def run_client(
    url: str, origin: str, cookie: str, messages: int, think_s: float, results: Results
) -> None:
    import websockets

    headers = {"Cookie": f"sessionid={cookie}"}
    async with websockets.connect(url, origin=origin, additional_headers=headers) as ws:
        session_id = None
        for number in range(messages):
            frame = {"type": "chat", "session_id": session_id, "content": f"message {number}"}
            started = time.perf_counter()
            await ws.send(json.dumps(frame))
            session_id = await until_complete(ws, results)
            results.latencies_ms.append((time.perf_counter() - started) * 1000)
            if think_s:
                await asyncio.sleep(random.uniform(0.5, 1.5) * think_s)


async def until_complete(ws: object, results: Results) -> str | None:
    session_id = None
    while True:
        frame = json.loads(await ws.recv())  # type: ignore[attr-defined]
        session_id = frame.get("session_id", session_id)
        if frame["type"] == "error":
            results.errors.append(f"{frame['code']}: {frame['message']}")
            return session_id
        if frame["type"] == "response_complete":
            if frame["status"] != "complete":
                results.errors.append(f"reply status {frame['status']}")
            return session_id


async def run_clients(port: int, cookies: list[str], args: argparse.Namespace) -> Results:
    results = Results()
    url, origin = f"ws://127.0.0.1:{port}/ws/chat/", f"http://127.0.0.1:{port}"
    clients = [
        run_client(url, origin, cookie, args.messages, args.think_ms / 1000, results)
        for cookie in cookies
    ]
    outcomes = await asyncio.gather(*clients, return_exceptions=True)
    results.errors += [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
    return results


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(results: Results, args: argparse.Namespace, wall_s: float) -> bool:
    lat = results.latencies_ms
    expected = args.clients * args.messages
    print(
        f"clients={args.clients} messages_each={args.messages} think_ms={args.think_ms:g} "
        f"server={args.server} provider=offline "
        f"db=sqlite(temp, {'WAL' if args.wal else 'rollback journal'})"
    )
    print(f"replies={len(lat)}/{expected} errors={len(results.errors)} wall={wall_s:.1f}s "
          f"throughput={len(lat) / wall_s:.0f} replies/s")  # fmt: skip
    if lat:
        print(
            f"time to response_complete: p50={percentile(lat, 0.5):.1f}ms "
            f"p90={percentile(lat, 0.9):.1f}ms p99={percentile(lat, 0.99):.1f}ms "
            f"max={max(lat):.1f}ms mean={statistics.fmean(lat):.1f}ms"
        )
    for error in sorted(set(results.errors))[:10]:
        print(f"  error: {error}")
    passed = not results.errors and len(lat) == expected
    passed = passed and percentile(lat, 0.99) < args.target_p99_ms
    print(f"{'PASS' if passed else 'FAIL'} (target: no errors, p99 < {args.target_p99_ms:g} ms)")
    return passed


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="chatui-bench-") as tmp:
        var_dir = Path(tmp)
        env = bench_env(var_dir)
        cookies = prepare_database(env, args.clients, args.wal)
        port = free_port()
        server = start_server(args.server, env, port, var_dir / "server.log")
        try:
            wait_for_port(port, server)
            started = time.monotonic()
            results = asyncio.run(run_clients(port, cookies, args))
            passed = report(results, args, time.monotonic() - started)
        finally:
            server.terminate()
            server.wait(timeout=15)
            log = (var_dir / "server.log").read_text(errors="replace")
            if "Traceback" in log:
                print("server log (tail):\n" + log[-3000:])
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
