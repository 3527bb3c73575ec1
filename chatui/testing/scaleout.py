"""The scale-out configuration, for real: PostgreSQL, Redis, an S3 service and several
``uvicorn chatui.asgi`` processes sharing them, configured by the environment only.

Used by the ``scaleout`` tests and ``bench/scaleout.py``. PostgreSQL and Redis are
the machine's own (127.0.0.1:5432 as ``postgres`` with trust auth, 127.0.0.1:6379);
:func:`ensure_services` starts them when they are down, as ``.ci/run`` does. Each
run gets a database of its own (dropped afterwards), so runs never see each other's
rows; Redis keys the product writes are unique per chat or channel.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from chatui.server_protocol import server_env, uvicorn_server_options
from chatui.testing.processes import free_port, stop_process

REPO = Path(__file__).resolve().parent.parent.parent
PYTHON = sys.executable
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
SERVER_REDIS_DB = 14  # the scale-out servers' Redis database (the PostgreSQL test run uses 15)


class ServiceUnavailable(RuntimeError):
    """PostgreSQL or Redis is down and could not be started here."""


# --- PostgreSQL and Redis -----------------------------------------------------------------


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis(REDIS_HOST, REDIS_PORT, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _postgres_answers() -> bool:
    import psycopg

    try:
        with psycopg.connect(admin_dsn(), connect_timeout=2) as connection:
            connection.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _start_postgres() -> str:
    versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").is_dir() else []
    if not versions or shutil.which("pg_ctlcluster") is None:
        return "no PostgreSQL cluster under /etc/postgresql (apt-get install postgresql)"
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    return f"`{' '.join(command)}` exited {result.returncode}: {result.stderr.strip()}"


def _start_redis() -> str:
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    for directory in ("/var/lib/redis", "/var/log/redis"):
        Path(directory).mkdir(parents=True, exist_ok=True)
    command = [
        "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
        "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no",
        "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    return f"`redis-server` exited {result.returncode}: {result.stderr.strip()}"


def _wait(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return check()


def ensure_services() -> None:
    """PostgreSQL and Redis answer on loopback, started here if they were down."""
    if not _postgres_answers():
        attempt = _start_postgres()
        if not _wait(_postgres_answers, 30):
            raise ServiceUnavailable(
                f"PostgreSQL is not answering on {PG_HOST}:{PG_PORT} ({attempt})"
            )
    if not _redis_answers():
        attempt = _start_redis()
        if not _wait(_redis_answers, 15):
            raise ServiceUnavailable(
                f"Redis is not answering on {REDIS_HOST}:{REDIS_PORT} ({attempt})"
            )


def admin_dsn(dbname: str = "postgres") -> str:
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={dbname}"


def database_url(dbname: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}"


def redis_url(db: int = SERVER_REDIS_DB) -> str:
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"


@contextmanager
def temporary_database(prefix: str = "chatui_scaleout") -> Iterator[str]:
    """A fresh PostgreSQL database for this run; yields its name, drops it afterwards."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin_dsn(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- The site -------------------------------------------------------------------------------


@dataclass
class S3Target:
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str

    def client(self) -> Any:
        from chatui.testing.seaweedfs import s3_client

        return s3_client(self.endpoint, self.access_key, self.secret_key)


def site_env(*, var_dir: Path, dbname: str, s3: S3Target, **extra: str) -> dict[str, str]:
    """Production settings (DEBUG=false) and process environment (``server_env``) pointed
    at PostgreSQL, Redis and ``s3``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "S3_", "DB_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="chatui.settings",
        PYTHONPATH=str(REPO),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_TLS="false",  # plain HTTP on loopback; behind TLS the proxy sets it
        LOG_LEVEL="INFO",
        CHATUI_VAR_DIR=str(var_dir),
        DATABASE_URL=database_url(dbname),
        REDIS_URL=redis_url(),
        S3_USE_MOCK="false",
        S3_ENDPOINT=s3.endpoint,
        S3_ACCESS_KEY=s3.access_key,
        S3_SECRET_KEY=s3.secret_key,
        S3_BUCKET=s3.bucket,
        S3_AUTO_CREATE_BUCKET="false",
        S3_TIMEOUT="30",
    )
    env.update(extra)
    return server_env(env)


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, str(REPO / "manage.py"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=check,
        timeout=300,
    )


_MAKE_USERS = """
import json, sys, django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token
out = {}
for spec in json.loads(sys.stdin.read()):
    user = get_user_model().objects.create_user(
        email=spec["email"], password=None, storage_quota_mb=spec.get("quota_mb"))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    out[spec["email"]] = {"id": user.pk, "token": Token.objects.create(user=user).key,
                          "cookie": session.session_key}
print(json.dumps(out))
"""


@dataclass
class Account:
    email: str
    id: int
    token: str
    cookie: str


def site_prepare(env: dict[str, str], users: list[dict[str, Any]]) -> dict[str, Account]:
    """Migrate, collect static files, and create ``users`` (email, optional quota_mb)
    with an API token and a signed-in session each."""
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "collectstatic", "--no-input", "-v", "0")
    made = subprocess.run(
        [PYTHON, "-c", _MAKE_USERS],
        input=json.dumps(users),
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    raw = json.loads(made.stdout.strip().splitlines()[-1])
    return {email: Account(email=email, **fields) for email, fields in raw.items()}


# --- Server processes -----------------------------------------------------------------------


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat/"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 15) -> None:
        stop_process(self.process, timeout)
        if self._log is not None:
            self._log.close()
            self._log = None


def uvicorn_command(port: int, *, access_log: bool = True) -> list[str]:
    command = [PYTHON, "-m", "uvicorn", "chatui.asgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--ws", "websockets", *uvicorn_server_options()]
    return command if access_log else [*command, "--no-access-log"]


@contextmanager
def running_server(
    env: dict[str, str], log_path: Path, *, access_log: bool = True, timeout: float = 60
) -> Iterator[Server]:
    """``uvicorn chatui.asgi:application`` on a free port, ready when /api/health is 200."""
    port = free_port()
    log = open(log_path, "wb")  # noqa: SIM115 - closed by Server.stop()
    process = subprocess.Popen(
        uvicorn_command(port, access_log=access_log),
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    server = Server(port, process, log_path, log)
    try:
        _wait_healthy(server, timeout)
        yield server
    finally:
        server.stop()


def _wait_healthy(server: Server, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{server.log_text()[-3000:]}")
        try:
            response = httpx.get(f"{server.url}/api/health", timeout=5)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as err:
            last = repr(err)
        time.sleep(0.2)
    raise RuntimeError(f"{server.url} not healthy in {timeout}s: {last}")
