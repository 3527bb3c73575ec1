"""A live site and a real browser for the UI tests (``pytest -m browser``).

One session shares: a live s3mock (the root conftest's ``s3mock_server``), the app
under uvicorn (``chatui.asgi``) on a free port with its own SQLite database and var
directory, and one headless Chromium (Debian's, driven by Playwright). Every test
gets a new browser context, signed in as a user of its own from a pool created at
start-up, and fails if the page logged a console error or a CSP violation.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chat.tests.fake_llm import FakeLLM
from chatui.testing.processes import free_port
from conftest import TEST_PASSWORD

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
POOL_SIZE = 128  # users the browser tests take (some take two or three); ample room
MANY_FILES_USER = "many@example.com"
MANY_FILES = 5000
SCREENSHOT_DIR = Path(os.environ.get("CHATUI_SCREENSHOT_DIR") or REPO / "var" / "screenshots")
REPORT: list[str] = []  # lines printed at the end of the run (timings, screenshot folder)

# Records CSP violations in the page (an init script is not itself subject to the CSP).
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""

SETUP_USERS = """
from chatui.models import User
from files.models import StoredFile
import uuid, datetime
from django.utils import timezone
password = {password!r}
for i in range({pool}):
    User.objects.create_user(email=f"user{{i}}@example.com", password=password)
many = User.objects.create_user(email={many!r}, password=password)
categories = ["data", "document", "code", "other"]
now = timezone.now()
rows = []
for i in range({count}):
    name = f"record-{{i:05d}}.csv" if i % 4 == 0 else f"note-{{i:05d}}.txt"
    rows.append(StoredFile(
        owner=many, key=f"users/{many}/uploads/seed_{{uuid.uuid4().hex[:8]}}_{{name}}",
        filename=name, content_type="text/plain", size=100 + i, category=categories[i % 4],
        source="user",
    ))
StoredFile.objects.bulk_create(rows, batch_size=1000)
print("seeded", StoredFile.objects.filter(owner=many).count())
"""


@dataclass
class LiveSite:
    url: str
    users: list[str]
    env: dict[str, str] = field(default_factory=dict, repr=False)
    many_files_user: str = MANY_FILES_USER
    password: str = TEST_PASSWORD
    _next_user: int = field(default=0)

    def shell(self, script: str) -> str:
        """Run ``script`` in ``manage.py shell`` against the site's database."""
        return _manage(self.env, "shell", "-c", script)

    def take_user(self) -> str:
        """A user no other test has touched."""
        if self._next_user >= len(self.users):
            raise RuntimeError("the pool of test users is used up; raise POOL_SIZE")
        email = self.users[self._next_user]
        self._next_user += 1
        return email


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args[:1])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app server exited:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(f"{url}/accounts/login/", timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the app server did not answer in time")


@pytest.fixture(scope="session")
def live_site(tmp_path_factory: pytest.TempPathFactory, s3mock_server: Any) -> Iterator[LiveSite]:
    workdir = tmp_path_factory.mktemp("live-site")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatui.settings",
        "DEBUG": "true",
        "CHATUI_VAR_DIR": str(workdir / "var"),
        "DATABASE_URL": f"sqlite:///{workdir / 'site.sqlite3'}",
        "S3_USE_MOCK": "true",
        "S3_ENDPOINT": s3mock_server.endpoint,
        "S3_ACCESS_KEY": s3mock_server.access_key,
        "S3_SECRET_KEY": s3mock_server.secret_key,
        "S3_BUCKET": "browser-tests",
        "S3_AUTO_CREATE_BUCKET": "true",
        "LLM_BASE_URL": "",
        "LOG_LEVEL": "WARNING",
        "FILES_MAX_UPLOAD_MB": "5",
        "PYTHONUNBUFFERED": "1",
    }
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "storage_init")
    script = SETUP_USERS.format(
        password=TEST_PASSWORD, pool=POOL_SIZE, many=MANY_FILES_USER, count=MANY_FILES
    )
    _manage(env, "shell", "-c", script)
    port = free_port()
    log = workdir / "server.log"
    command = [sys.executable, "-m", "uvicorn", "chatui.asgi:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    command += ["--no-access-log", "--ws", "websockets"]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, server, log)
        yield LiveSite(url=url, users=[f"user{i}@example.com" for i in range(POOL_SIZE)], env=env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        errors = [line for line in log.read_text().splitlines() if "Traceback" in line]
        if errors:
            REPORT.append(f"server log with tracebacks: {log}")


# Package scope, not session: Playwright's sync API keeps an event loop running in this
# thread while it is open, and every later test that calls asyncio.run() would fail.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        # Fail, not skip: a green run that silently left the UI untested would lie.
        pytest.fail(
            f"browser tests drive Debian's Chromium at {CHROMIUM}, which is missing: "
            "install it (apt-get install chromium) or deselect them with -m 'not browser'"
        )
    # Playwright's loop runs in our thread, so Django sees "async" around ORM calls the
    # tests make; allow them only while the browser is open, never for later tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class ConsoleWatch:
    """Console errors, uncaught exceptions and CSP violations of every page of a context."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed: list[re.Pattern[str]] = []

    def attach(self, page: Any) -> None:
        page.on("console", lambda m: self.errors.append(m.text) if m.type in {"error"} else None)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def allow(self, pattern: str) -> None:
        """Expect console errors matching ``pattern`` (e.g. a 404 a test provokes)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self, pages: list[Any]) -> list[str]:
        found = list(self.errors)
        for page in pages:
            if not page.is_closed():
                try:
                    found += page.evaluate("window.__cspViolations || []")
                except Exception as exc:  # a page mid-navigation cannot answer
                    found.append(f"could not read CSP violations: {exc}")
        return [e for e in found if not any(p.search(e) for p in self.allowed)]


@dataclass
class Session:
    """A browser context signed in as ``email``, and its first page."""

    context: Any
    page: Any
    email: str
    site: LiveSite
    console: ConsoleWatch

    def new_page(self) -> Any:
        page = self.context.new_page()
        self.console.attach(page)
        return page

    def csrf(self) -> str:
        cookies = {c["name"]: c["value"] for c in self.context.cookies()}
        return cookies.get("csrftoken", "")

    def upload(self, name: str, content: bytes, mime: str = "text/plain") -> dict[str, Any]:
        """Upload through the API with this session's cookies (setup, not the UI under test)."""
        response = self.context.request.post(
            f"{self.site.url}/api/files",
            multipart={"file": {"name": name, "mimeType": mime, "buffer": content}},
            headers={"X-CSRFToken": self.csrf(), "Referer": self.site.url + "/files"},
        )
        assert response.status == 201, response.text()
        return response.json()

    def api_get(self, path: str) -> Any:
        response = self.context.request.get(f"{self.site.url}{path}")
        return response.status, response.json()


def sign_in(context: Any, site: LiveSite, email: str) -> None:
    """Sign in with the real login form, but over HTTP (fast); the UI login has its own test."""
    login = context.request.get(f"{site.url}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text()).group(1)
    response = context.request.post(
        f"{site.url}/accounts/login/",
        form={"username": email, "password": site.password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{site.url}/accounts/login/"},
        max_redirects=0,
    )
    assert response.status == 302, f"sign-in failed for {email}"


@pytest.fixture
def make_session(live_site: LiveSite, browser: Any) -> Iterator[Any]:
    """Factory: ``make_session(email=None, **context_options)`` -> a signed-in Session."""
    sessions: list[Session] = []

    def make(email: str | None = None, *, signed_in: bool = True, **options: Any) -> Session:
        context = browser.new_context(base_url=live_site.url, **options)
        context.set_default_timeout(15_000)
        context.add_init_script(CSP_PROBE)
        email = email or live_site.take_user()
        if signed_in:
            sign_in(context, live_site, email)
        console = ConsoleWatch()
        page = context.new_page()
        console.attach(page)
        session = Session(context, page, email, live_site, console)
        sessions.append(session)
        return session

    yield make
    problems = []
    for session in sessions:
        problems += session.console.unexpected(session.context.pages)
        session.context.close()
    assert not problems, f"console errors or CSP violations: {problems}"


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeLLM]:
    llm = FakeLLM().start()
    yield llm
    llm.stop()


@pytest.fixture(scope="module")
def llm_site(live_site: LiveSite, fake_llm: FakeLLM, tmp_path_factory: Any) -> Iterator[str]:
    """A second app process on the live site's database, answering through a loopback
    OpenAI-compatible server; the browser's cookies (not port-bound) sign in to both."""
    env = {**live_site.env, "LLM_BASE_URL": fake_llm.base_url, "LLM_MODEL": "fake"}
    port = free_port()
    log: Path = tmp_path_factory.mktemp("llm-site") / "server.log"
    command = [sys.executable, "-m", "uvicorn", "chatui.asgi:application", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--ws", "websockets"]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, server, log)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=15)


@pytest.fixture
def session(make_session: Any) -> Session:
    """A fresh user, signed in, in a new browser context."""
    return make_session()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not REPORT:
        return
    terminalreporter.section("browser tests")
    for line in REPORT:
        terminalreporter.write_line(line)
