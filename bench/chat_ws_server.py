"""bench/chat_ws.py's server side: the environment, the database with one signed-in
user per client, and the server process (uvicorn or daphne)."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from chatui.server_protocol import server_env

REPO = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)


def bench_env(var_dir: Path, args: argparse.Namespace) -> dict[str, str]:
    """Production-like by default: DEBUG=false (no query log, no SQL quoting per query),
    the deployment's process environment (``server_env``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE=args.settings,
        CHATUI_VAR_DIR=str(var_dir),
        DEBUG="true" if args.debug else "false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_TLS="false",
        LOG_LEVEL="WARNING",
        REDIS_URL="",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    return server_env(env)


def prepare_database(env: dict[str, str], clients: int, wal: bool) -> list[str]:
    """Migrate the temp database and return one session cookie per bench user."""
    manage = [str(PYTHON), str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, cwd=REPO)
    if wal:
        # WAL is a property of the database file, so every server connection uses it:
        # readers stop waiting for the writer, and a commit appends to one log.
        with sqlite3.connect(Path(env["CHATUI_VAR_DIR"]) / "db.sqlite3") as db:
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


def start_server(
    args: argparse.Namespace, env: dict[str, str], port: int, log: Path
) -> subprocess.Popen[bytes]:
    if args.server == "uvicorn":
        command = [
            str(PYTHON), "-m", "uvicorn", "chatui.asgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            "--no-access-log", "--ws", args.ws,
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
