"""What the benchmarks share: the environment a benchmarked app runs with, starting
uvicorn and waiting for it, payload files, and the load average they print.

Run as scripts (``python bench/x.py``), the benchmarks put the repository on
``sys.path`` before importing this module.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chatui.server_protocol import server_env

REPO = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
ACCESS, SECRET = "bench", "bench-secret"
BUCKET = "chatui-bench"


def environment(
    workdir: Path, endpoint: str, *, database_url: str = "", production: bool = False
) -> dict[str, str]:
    """The app's environment: a throwaway var dir and database under ``workdir`` (or
    ``database_url``) and s3mock at ``endpoint`` with the bench account.

    ``production`` runs on production settings (``DEBUG=false``; the bucket must exist)
    and the deployment's process environment (``server_env``): DEBUG on would log every
    query and have SQLite quote its parameters again, which production never pays.
    Otherwise DEBUG is on and the bucket is made on demand.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatui.settings",
        "CHATUI_VAR_DIR": str(workdir / "var"),
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "S3_USE_MOCK": "true",
        "S3_ENDPOINT": endpoint,
        "S3_ACCESS_KEY": ACCESS,
        "S3_SECRET_KEY": SECRET,
        "S3_BUCKET": BUCKET,
        "LOG_LEVEL": "WARNING",
    }
    if production:
        env.update(
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECURE_TLS="false",  # plain HTTP on loopback, as behind a TLS proxy
        )
        env = server_env(env)
    else:
        env.update(DEBUG="true", S3_AUTO_CREATE_BUCKET="true")
    return env


@contextmanager
def uvicorn(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``chatui.asgi`` under uvicorn on ``port``, answering /api/health, until the block ends."""
    command = [sys.executable, "-m", "uvicorn", "chatui.asgi:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=REPO, env=env)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/health", server)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=20)


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
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


def make_payload(path: Path, size: int) -> None:
    """``size`` bytes (whole MiB) of random data at ``path``."""
    block = os.urandom(MIB)
    with path.open("wb") as out:
        for _ in range(size // MIB):
            out.write(block)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
