"""The app as a real server process (uvicorn) with its own SQLite database and var dir.

For the fault tests (a server SIGKILLed mid-upload) and the soak (``bench/soak.py``):
both need what a deployment has, a separate process that can die, not the test
client. The S3 endpoint is given (a live s3mock); users are created with tokens.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chatui.server_protocol import server_env
from chatui.testing.processes import free_port

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "soak-and-fault-pw-1"  # noqa: S105 (throwaway users of a throwaway database)

PREPARE = """
import json
from django.core.management import call_command
call_command("migrate", "--noinput", verbosity=0)
call_command("storage_init")
from chatui.models import User
from rest_framework.authtoken.models import Token
tokens = {{}}
for email in {emails!r}:
    user = User.objects.create_user(email=email, password={password!r})
    tokens[email] = Token.objects.create(user=user).key
print("TOKENS " + json.dumps(tokens))
"""


@dataclass
class LiveApp:
    """``prepare()`` (migrate, bucket, users), then ``start()``; ``kill()`` is the crash."""

    workdir: Path
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    bucket: str = "live-app"
    extra_env: dict[str, str] = field(default_factory=dict)
    server_args: list[str] = field(default_factory=list)  # more uvicorn options
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.workdir / "app.sqlite3"

    @property
    def log(self) -> Path:
        return self.workdir / "server.log"

    def env(self) -> dict[str, str]:
        """The server's environment (and its management commands'), as deployed: ``server_env``."""
        return server_env(
            {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "chatui.settings",
                "DEBUG": "true",
                "CHATUI_VAR_DIR": str(self.workdir / "var"),
                "DATABASE_URL": f"sqlite:///{self.database}",
                "S3_USE_MOCK": "true",
                "S3_ENDPOINT": self.s3_endpoint,
                "S3_ACCESS_KEY": self.s3_access_key,
                "S3_SECRET_KEY": self.s3_secret_key,
                "S3_BUCKET": self.bucket,
                "S3_AUTO_CREATE_BUCKET": "true",
                "S3_TIMEOUT": "5",
                "LLM_BASE_URL": "",
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
                **self.extra_env,
            }
        )

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def prepare(self, emails: list[str]) -> dict[str, str]:
        """Migrate, create the bucket, create ``emails`` with tokens (returned): one process."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        script = PREPARE.format(emails=emails, password=PASSWORD)
        out = self.manage("shell", "-c", script)
        line = next(line for line in out.splitlines() if line.startswith("TOKENS "))
        self.tokens = json.loads(line.removeprefix("TOKENS "))
        return self.tokens

    def start(self, timeout: float = 60) -> LiveApp:
        self.port = self.port or free_port()
        command = [sys.executable, "-m", "uvicorn", "chatui.asgi:application"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        command += ["--no-access-log", "--ws", "websockets", *self.server_args]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=self.env(), stdout=out, stderr=subprocess.STDOUT
            )
        self._wait_until_serving(timeout)
        return self

    def _wait_until_serving(self, timeout: float) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the app server exited:\n{self.log.read_text()[-3000:]}")
            try:
                httpx.get(f"{self.url}/api/health", timeout=2)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the app server did not answer in time")

    def kill(self) -> None:
        """SIGKILL: no finally blocks, no aborts, no cleanup — the crash case."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self, timeout: float = 15) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the app's database directly (the process may be dead)."""
        import sqlite3

        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()

    def __enter__(self) -> LiveApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
