"""Document extraction scaled out: two ``files_worker`` processes on PostgreSQL share the
queue with the two servers; every upload is extracted exactly once and found by search
on either server."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from chatui.testing import scaleout
from files.tests import documents_factory as docs

from .conftest import UPLOAD_USERS, Site

FILES = 8


@pytest.fixture
def workers(site: Site, tmp_path: Any) -> Iterator[list[subprocess.Popen[bytes]]]:
    started = []
    for name in ("w1", "w2"):
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        command = [scaleout.PYTHON, "manage.py", "files_worker", "--interval", "0.2"]
        started.append(
            subprocess.Popen(command, cwd=scaleout.REPO, env=site.env, stdout=log, stderr=log)
        )
    yield started
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def client(server: scaleout.Server, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Token {token}"}, timeout=30
    )


def wait_ready(api: httpx.Client, ids: list[str], timeout: float = 120) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    statuses: dict[str, str] = {}
    while time.monotonic() < deadline:
        statuses = {i: api.get(f"/api/files/{i}").json()["text_status"] for i in ids}
        if set(statuses.values()) <= {"ready", "failed"}:
            break
        time.sleep(0.5)
    return statuses


def test_two_workers_extract_each_upload_once(site: Site, workers: list[Any]) -> None:
    account = site.accounts[UPLOAD_USERS[0]]
    other = site.accounts[UPLOAD_USERS[1]]
    a, b = client(site.a, account.token), client(site.b, account.token)
    ids = []
    for n in range(FILES):
        pdf = docs.pdf_with_pages([f"cover {n}", f"scaleword{n} on page two"])
        server = a if n % 2 else b
        response = server.post("/api/files", files={"file": (f"doc{n}.pdf", pdf)})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    statuses = wait_ready(a, ids)
    assert set(statuses.values()) == {"ready"}, statuses
    for n in range(FILES):
        hits = b.get("/api/search", params={"q": f"scaleword{n}"}).json()["results"]
        assert [(hit["filename"], hit["page"]) for hit in hits] == [(f"doc{n}.pdf", 2)]
    assert client(site.b, other.token).get("/api/search?q=scaleword0").json()["count"] == 0
    with psycopg.connect(scaleout.admin_dsn(site.dbname)) as connection:
        attempts = connection.execute(
            "SELECT text_attempts FROM files_storedfile WHERE id::text = ANY(%s)", [ids]
        ).fetchall()
    assert sorted(row[0] for row in attempts) == [1] * FILES
