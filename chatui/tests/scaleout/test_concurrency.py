"""Uploads racing across two processes: every accepted file is whole in the database and
the bucket, and no quota is overrun.

The quota is re-checked inside the transaction that inserts the row, under
``select_for_update`` on the owner's row: on PostgreSQL that lock serialises one
user's uploads whichever process they reach.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from chatui.testing import scaleout

from .conftest import QUOTA_USER, UPLOAD_USERS, Site

CLIENTS = 20
FILES_PER_CLIENT = 50
MIB = 1024 * 1024


def _client_uploads(site: Site, client: int) -> list[dict[str, object]]:
    """Client ``client`` uploads its files, alternating between the two processes;
    two clients share each user, so one user's uploads race across processes."""
    account = site.accounts[UPLOAD_USERS[client % len(UPLOAD_USERS)]]
    headers = {"Authorization": f"Token {account.token}"}
    rng = random.Random(client)
    accepted = []
    with (
        httpx.Client(base_url=site.a.url, headers=headers, timeout=60) as a,
        httpx.Client(base_url=site.b.url, headers=headers, timeout=60) as b,
    ):
        for number in range(FILES_PER_CLIENT):
            content = rng.randbytes(rng.randint(0, 24 * 1024))
            name = f"c{client:02d}-{number:02d}.bin"
            response = (a, b)[(client + number) % 2].post(
                "/api/files", files={"file": (name, content)}
            )
            assert response.status_code == 201, response.text
            body = response.json()
            assert body["size"] == len(content)
            accepted.append({"id": body["id"], "sha256": hashlib.sha256(content).hexdigest()})
    return accepted


def test_twenty_clients_upload_fifty_files_each_across_both_processes(site: Site) -> None:
    # when 20 clients upload 50 files each, through both processes at once
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(lambda c: _client_uploads(site, c), range(CLIENTS)))
    accepted = {item["id"]: item["sha256"] for result in results for item in result}
    # then every accepted file has its row with the checksum of what was sent ...
    rows = {row[0]: row for row in site.rows(*UPLOAD_USERS)}
    assert len(accepted) == CLIENTS * FILES_PER_CLIENT == len(rows)
    assert {file_id: row[3] for file_id, row in rows.items()} == accepted
    # ... its blob, of the recorded size, and no blob without a row
    _assert_database_matches_bucket(site)
    # ... and the bytes served back (either process) or read from the bucket hash right
    sample = random.Random(7).sample(sorted(rows.values()), 40)
    owner = {row[0]: UPLOAD_USERS.index(_email_of(row[1])) for row in sample}
    for index, (file_id, key, _size, checksum) in enumerate(sample):
        assert site.blob_sha256(key) == checksum
        server = site.servers[index % 2]
        token = site.accounts[UPLOAD_USERS[owner[file_id]]].token
        download = httpx.get(
            f"{server.url}/api/files/{file_id}/download",
            headers={"Authorization": f"Token {token}"},
            timeout=30,
        )
        assert hashlib.sha256(download.content).hexdigest() == checksum


def test_racing_uploads_never_overrun_a_nearly_full_quota(site: Site) -> None:
    account = site.accounts[QUOTA_USER]  # quota 1 MiB
    headers = {"Authorization": f"Token {account.token}"}
    piece = 100_000
    # given the quota filled up to room for exactly three pieces
    filler = os.urandom(MIB - 3 * piece)
    first = httpx.post(
        f"{site.a.url}/api/files", headers=headers, files={"file": ("filler.bin", filler)}
    )
    assert first.status_code == 201, first.text
    # when ten uploads of one piece each start together, five through each process
    start = threading.Barrier(10)

    def upload(number: int) -> int:
        server = site.servers[number % 2]
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            body = os.urandom(piece)
            start.wait()
            return client.post("/api/files", files={"file": (f"p{number}.bin", body)}).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(upload, range(10)))
    # then exactly three fit, the rest are refused, and nothing was left behind
    assert sorted(statuses) == [201] * 3 + [413] * 7
    used = sum(row[2] for row in site.rows(QUOTA_USER))
    assert used == MIB
    _assert_database_matches_bucket(site)


def test_files_reconcile_finds_nothing_to_repair(site: Site) -> None:
    command = Path(scaleout.REPO / "files/management/commands/files_reconcile.py")
    if not command.exists():
        pytest.skip("no files_reconcile command yet: the tests above compare by hand")
    result = scaleout.manage(site.env, "files_reconcile", "--verify-checksums", check=False)
    assert result.returncode == 0, result.stdout + result.stderr  # 2 = problems found


def _assert_database_matches_bucket(site: Site) -> None:
    rows = {key: size for _id, key, size, _checksum in site.rows()}
    blobs = site.bucket_objects()
    assert set(blobs) - set(rows) == set(), "blobs without a row"
    assert set(rows) - set(blobs) == set(), "rows without a blob"
    assert {key: blobs[key] for key in rows} == rows, "sizes differ"


def _email_of(key: str) -> str:
    return key.split("/")[1]


def test_the_subprocess_environment_is_production(site: Site) -> None:
    """The servers above ran with DEBUG=false against PostgreSQL, Redis and SeaweedFS."""
    probe = "from django.conf import settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'])"  # noqa: E501
    out = subprocess.run(
        [scaleout.PYTHON, "-c", f"import django; django.setup(); {probe}"],
        env=site.env,
        cwd=scaleout.REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [
        "False",
        "django.db.backends.postgresql",
        "channels_redis.core.RedisChannelLayer",
    ]
    # and with the deployment's process environment (glibc malloc arenas capped)
    expected = os.environ.get("MALLOC_ARENA_MAX", "2")
    for server in site.servers:
        assert psutil.Process(server.process.pid).environ()["MALLOC_ARENA_MAX"] == expected
