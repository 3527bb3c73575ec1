"""Chat websocket benchmark: many concurrent clients against one real ASGI server.

Starts one server process (``uvicorn chatui.asgi:application`` by default, or
daphne) on a temporary SQLite database with the offline assistant and
production-like settings (``DEBUG=false``), logs the bench users in by session
cookies created for them, and runs the clients in separate processes (uvloop):
every client connects first, then all start together, each sending its messages
one after another (the first starts a chat, the rest continue it) and timing each
from sending the ``chat`` frame to receiving that message's ``response_complete``.

Prints the load average, p50/p90/p99/max, replies/s, errors, the CPU time of the
server and the client processes (per reply for the server: the cost that bounds
throughput), and PASS/FAIL against the target (no errors, p99 under the target).

    .venv/bin/python bench/chat_ws.py                     # 200 clients x 20 messages
    .venv/bin/python bench/chat_ws.py --clients 50 --messages 5 --think-ms 0
    .venv/bin/python bench/chat_ws.py --think-ms 500 --disconnect   # replies outlive tabs
    .venv/bin/python bench/chat_ws.py --think-ms 500 --reopen-after # its control

The cost of replies that belong to the chat rather than the socket: compare the
server's ``ms/reply`` of a run with ``--disconnect`` (the tab closes at the reply's
first frame, a new one loads the chat and catches up) and one with ``--reopen-after``
(the same close, new socket and load, after the reply ended). Both pay for a socket
and a chat load per reply; what differs is the reply outliving its tab.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.chat_ws_server import (  # noqa: E402 (the repo is on sys.path only now)
    bench_env,
    prepare_database,
    start_server,
    wait_for_port,
)
from bench.ingest_load import ingest_load  # noqa: E402
from bench.meters import process_cpu_seconds  # noqa: E402
from chatui.testing.processes import free_port  # noqa: E402

INGEST = "ingest a PAGES-page PDF meanwhile: chat p99, server/worker RSS (bench/ingest_load.py)"
PYTHON = Path(sys.executable)


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)  # time.monotonic(), one per latency
    errors: list[str] = field(default_factory=list)
    client_cpu_s: list[float] = field(default_factory=list)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--target-p99-ms", type=float, default=250.0)
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause between a reply and the client's next message (0: back to back); "
        "with a pause, each client also starts after a random part of it",
    )
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument(
        "--ws",
        choices=["websockets", "websockets-sansio"],
        default="websockets",
        help="uvicorn's websocket implementation",
    )
    parser.add_argument(
        "--client-procs",
        type=int,
        default=2,
        help="client processes (the clients are split between them)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="run the server with DEBUG=true (slower)"
    )
    parser.add_argument(
        "--settings",
        default="chatui.settings",
        help="settings module of the server, for an A/B of a setting (on PYTHONPATH)",
    )
    parser.add_argument(
        "--no-wal",
        dest="wal",
        action="store_false",
        help="keep SQLite's default rollback journal instead of WAL",
    )
    parser.add_argument("--during-ingest", type=int, default=0, metavar="PAGES", help=INGEST)
    parser.add_argument(
        "--disconnect",
        action="store_true",
        help="the reply-survives-the-tab path: after each reply's first token the client "
        "closes its socket, opens a new one and loads the chat, catching up to the end",
    )
    parser.add_argument(
        "--reopen-after",
        action="store_true",
        help="the control for --disconnect: the same close, new socket and chat load, "
        "after each reply's end",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: a client process
    return parser.parse_args(argv)


# --- the server -----------------------------------------------------------------


# --- the clients (run in worker processes) ---------------------------------------


async def run_client(
    ws: Any,
    messages: int,
    think_s: float,
    results: Results,
    start: asyncio.Event,
    reopen: Any = None,
    reopen_after: bool = False,
) -> Any:
    """Send ``messages`` one after another; with ``reopen`` (``--disconnect``), leave
    after each reply's first frame and follow it to its end on a new socket."""
    await start.wait()
    if think_s:  # with think time, clients arrive spread out as real users do, not as one burst
        await asyncio.sleep(random.uniform(0, think_s))
    session_id = None
    for number in range(messages):
        frame = {"type": "chat", "session_id": session_id, "content": f"message {number}"}
        started, sent_at = time.perf_counter(), time.monotonic()
        await ws.send(json.dumps(frame))
        if reopen is None:
            session_id = await until_complete(ws, results)
        elif reopen_after:
            session_id = await until_complete(ws, results)
            ws = await reopen_chat(ws, reopen, session_id)
        else:
            ws, session_id = await reopen_mid_reply(ws, reopen, results, frame["content"])
        results.latencies_ms.append((time.perf_counter() - started) * 1000)
        results.sent_at.append(sent_at)
        if think_s:
            await asyncio.sleep(random.uniform(0.5, 1.5) * think_s)
    return ws


async def reopen_mid_reply(
    ws: Any, reopen: Any, results: Results, content: str
) -> tuple[Any, str | None]:
    """Close the tab at the reply's first frame, open a new one, load the chat and
    follow the reply (caught up) to its end. An offline reply may finish first.

    The reply is the one after the echo of ``content``: a socket that loaded the chat
    as the previous reply ended may still be sent that reply's last frames after its
    ``session`` frame (it joined the chat's group before reading the chat)."""
    echoed = False
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == "error":
            results.errors.append(f"{frame['code']}: {frame['message']}")
            return ws, frame.get("session_id")
        if frame["type"] == "message" and frame["message"]["content"] == content:
            echoed = True
        elif echoed and frame["type"] in ("token", "tool_start", "response_complete"):
            break
    session_id, answer_id = frame["session_id"], frame["message_id"]
    await ws.close()
    ws = await reopen()
    await ws.send(json.dumps({"type": "load_session", "session_id": session_id}))
    if frame["type"] == "response_complete":
        await until_type(ws, "session")
        return ws, session_id
    while True:  # the chat's frames may come before its `session` frame: the socket joins first
        frame = json.loads(await ws.recv())
        if frame["type"] == "response_complete" and frame["message_id"] == answer_id:
            if frame["status"] != "complete":
                results.errors.append(f"reply status {frame['status']}")
            return ws, session_id
        if frame["type"] == "session" and not any(
            message["status"] == "streaming" for message in frame["messages"]
        ):
            return ws, session_id  # it ended before the reload


async def reopen_chat(ws: Any, reopen: Any, session_id: str | None) -> Any:
    await ws.close()
    ws = await reopen()
    await ws.send(json.dumps({"type": "load_session", "session_id": session_id}))
    await until_type(ws, "session")
    return ws


async def until_type(ws: Any, frame_type: str) -> None:
    while json.loads(await ws.recv())["type"] != frame_type:
        pass


async def until_complete(ws: Any, results: Results) -> str | None:
    session_id = None
    while True:
        frame = json.loads(await ws.recv())
        session_id = frame.get("session_id", session_id)
        if frame["type"] == "error":
            results.errors.append(f"{frame['code']}: {frame['message']}")
            return session_id
        if frame["type"] == "response_complete":
            if frame["status"] != "complete":
                results.errors.append(f"reply status {frame['status']}")
            return session_id


async def worker_run(config: dict[str, Any]) -> Results:
    """Connect every socket, say ``ready``, wait for ``go`` on stdin, then run."""
    import websockets

    results = Results()
    port = config["port"]
    url, origin = f"ws://127.0.0.1:{port}/ws/chat/", f"http://127.0.0.1:{port}"

    def opener(cookie: str) -> Any:
        headers = {"Cookie": f"sessionid={cookie}"}
        return lambda: websockets.connect(url, origin=origin, additional_headers=headers)

    sockets = [await opener(cookie)() for cookie in config["cookies"]]
    start = asyncio.Event()
    reopening = config.get("disconnect") or config.get("reopen_after")
    reopens = [opener(c) if reopening else None for c in config["cookies"]]
    after = bool(config.get("reopen_after"))
    clients = [
        run_client(ws, config["messages"], config["think_s"], results, start, reopen, after)
        for ws, reopen in zip(sockets, reopens, strict=True)
    ]
    tasks = asyncio.gather(*clients, return_exceptions=True)
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    cpu_before = time.process_time()
    start.set()
    outcomes = await tasks
    results.client_cpu_s.append(time.process_time() - cpu_before)
    results.errors += [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
    for ws in [o for o in outcomes if not isinstance(o, BaseException)]:
        await ws.close()
    return results


def worker_main(config_path: str) -> int:
    import uvloop

    config = json.loads(Path(config_path).read_text())
    results = uvloop.run(worker_run(config))
    # a file, not stdout: the parent reads one process's pipe at a time, and a pipe
    # holds 64 KiB (one process's 2,000 latencies and send times are more)
    Path(config_path + ".out").write_text(json.dumps(results.__dict__))
    return 0


def workers_start(
    port: int, cookies: list[str], args: argparse.Namespace, tmp: Path
) -> list[subprocess.Popen[str]]:
    procs = []
    count = max(1, min(args.client_procs, len(cookies)))
    for index in range(count):
        config = {
            "port": port,
            "cookies": cookies[index::count],
            "messages": args.messages,
            "think_s": args.think_ms / 1000,
            "disconnect": args.disconnect,
            "reopen_after": args.reopen_after,
        }
        path = tmp / f"worker{index}.json"
        path.write_text(json.dumps(config))
        command = [str(PYTHON), __file__, "--worker", str(path)]
        procs.append(
            subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        )
    return procs


def workers_wait_ready(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        if line.strip() != "ready":
            raise RuntimeError(f"a client process failed to connect: {line!r}")


def workers_go_and_collect(procs: list[subprocess.Popen[str]], on_go: Any = None) -> Results:
    for proc in procs:
        proc.stdin.write("go\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
    if on_go is not None:
        on_go()
    merged = Results()
    for proc in procs:
        proc.communicate(timeout=3600)
        part = json.loads(Path(f"{proc.args[-1]}.out").read_text())  # type: ignore[index]
        merged.latencies_ms += part["latencies_ms"]
        merged.sent_at += part["sent_at"]
        merged.errors += part["errors"]
        merged.client_cpu_s += part["client_cpu_s"]
    return merged


# --- the report -------------------------------------------------------------------


@dataclass
class Run:
    results: Results
    wall_s: float
    server_cpu_s: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in load)


def _path(args: argparse.Namespace) -> str:
    if args.disconnect:
        return "tab closed mid-reply, caught up on a new socket"
    if args.reopen_after:
        return "tab closed after the reply, chat loaded on a new socket"
    return "normal"


def report(run: Run, args: argparse.Namespace) -> bool:
    lat, results = run.results.latencies_ms, run.results
    expected = args.clients * args.messages
    print(
        f"clients={args.clients} messages_each={args.messages} think_ms={args.think_ms:g} "
        f"server={args.server}{f'(ws={args.ws})' if args.server == 'uvicorn' else ''} "
        f"provider=offline debug={args.debug} settings={args.settings} "
        f"db=sqlite(temp, {'WAL' if args.wal else 'rollback journal'}) "
        f"client_procs={len(results.client_cpu_s)} "
        f"path={_path(args)}"
    )
    print(f"load average: before {_load(run.load_before)}  after {_load(run.load_after)}")
    print(
        f"replies={len(lat)}/{expected} errors={len(results.errors)} wall={run.wall_s:.1f}s "
        f"throughput={len(lat) / run.wall_s:.0f} replies/s"
    )
    per_reply = run.server_cpu_s / max(len(lat), 1) * 1000
    clients_cpu = " + ".join(f"{s:.1f}s" for s in results.client_cpu_s)
    print(
        f"cpu: server {run.server_cpu_s:.1f}s ({run.server_cpu_s / run.wall_s:.0%} of a core, "
        f"{per_reply:.2f} ms/reply)  clients {clients_cpu}"
    )
    if lat:
        print(
            f"time to response_complete: p50={percentile(lat, 0.5):.1f}ms "
            f"p90={percentile(lat, 0.9):.1f}ms p99={percentile(lat, 0.99):.1f}ms "
            f"max={max(lat):.1f}ms mean={statistics.fmean(lat):.1f}ms"
        )
    for error in sorted(set(results.errors))[:10]:
        print(f"  error: {error}")
    passed = bool(lat) and not results.errors and len(lat) == expected
    passed = passed and percentile(lat, 0.99) < args.target_p99_ms
    print(f"{'PASS' if passed else 'FAIL'} (target: no errors, p99 < {args.target_p99_ms:g} ms)")
    return passed


def measure(
    server: subprocess.Popen[bytes], port: int, cookies: list[str], args: Any, on_go: Any = None
) -> Run:
    with tempfile.TemporaryDirectory(prefix="chatui-bench-clients-") as tmp:
        procs = workers_start(port, cookies, args, Path(tmp))
        try:
            workers_wait_ready(procs)
            load_before, cpu_before = os.getloadavg(), process_cpu_seconds(server.pid)
            started = time.monotonic()
            results = workers_go_and_collect(procs, on_go)
            wall = time.monotonic() - started
            server_cpu = process_cpu_seconds(server.pid) - cpu_before
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
    return Run(results, wall, server_cpu, load_before, os.getloadavg())


def main() -> int:
    args = parse_args()
    if args.worker:
        return worker_main(args.worker)
    with tempfile.TemporaryDirectory(prefix="chatui-bench-") as tmp, contextlib.ExitStack() as so:
        var_dir = Path(tmp)
        env = bench_env(var_dir, args)
        ingest = ingest_load(so, var_dir, env, args.during_ingest)  # None without the option
        cookies = prepare_database(env, args.clients, args.wal)
        port = free_port()
        server = start_server(args, env, port, var_dir / "server.log")
        try:
            wait_for_port(port, server)
            if ingest is not None:
                so.enter_context(ingest.running(env, server.pid))
            run = measure(server, port, cookies, args, ingest.go if ingest else None)
            passed = report(run, args)
            so.close()  # the ingest ends (ready) before its report
            if ingest is not None:
                lat, sent = run.results.latencies_ms, run.results.sent_at
                passed = ingest.report(lat, sent, args.target_p99_ms) and passed
        finally:
            server.terminate()
            server.wait(timeout=15)
            log = (var_dir / "server.log").read_text(errors="replace")
            if "Traceback" in log:
                print("server log (tail):\n" + log[-3000:])
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
