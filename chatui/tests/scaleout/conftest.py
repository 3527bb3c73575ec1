"""The scale-out site: two ``uvicorn chatui.asgi`` processes sharing PostgreSQL, Redis and
SeaweedFS, configured by the environment only (DEBUG=false, as in production).

``scaleout_services`` checks PostgreSQL and Redis and starts them when they are down
(or fails with what went wrong); the site gets a database of its own and a bucket
on the session's SeaweedFS (the root conftest's ``seaweedfs_server``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatui.testing import scaleout

QUOTA_USER = "quota@example.com"
CHAT_USER = "chat@example.com"
UPLOAD_USERS = [f"uploader{i}@example.com" for i in range(10)]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.scaleout)


@dataclass
class Site:
    a: scaleout.Server
    b: scaleout.Server
    env: dict[str, str]
    dbname: str
    s3: scaleout.S3Target
    accounts: dict[str, scaleout.Account]

    @property
    def servers(self) -> list[scaleout.Server]:
        return [self.a, self.b]

    def s3_client(self) -> Any:
        return self.s3.client()

    def bucket_objects(self, prefix: str = "users/") -> dict[str, int]:
        """key -> size of every object under ``prefix`` (paginated listing)."""
        pages = self.s3_client().get_paginator("list_objects_v2")
        found: dict[str, int] = {}
        for page in pages.paginate(Bucket=self.s3.bucket, Prefix=prefix):
            found.update({item["Key"]: item["Size"] for item in page.get("Contents", [])})
        return found

    def blob_sha256(self, key: str) -> str:
        body = self.s3_client().get_object(Bucket=self.s3.bucket, Key=key)["Body"].read()
        return hashlib.sha256(body).hexdigest()

    def rows(self, *emails: str) -> list[tuple[str, str, int, str]]:
        """(id, key, size, checksum) of the stored files of ``emails`` (all when none)."""
        import psycopg

        query = (
            "SELECT f.id::text, f.key, f.size, f.checksum FROM files_storedfile f "
            "JOIN chatui_user u ON u.id = f.owner_id"
        )
        params: list[Any] = []
        if emails:
            query += " WHERE u.email = ANY(%s)"
            params.append(list(emails))
        with psycopg.connect(scaleout.admin_dsn(self.dbname)) as connection:
            return [tuple(row) for row in connection.execute(query, params)]  # type: ignore[misc]


@pytest.fixture(scope="session")
def scaleout_services() -> None:
    try:
        scaleout.ensure_services()
    except scaleout.ServiceUnavailable as err:
        pytest.fail(f"the scale-out tests need PostgreSQL and Redis: {err}", pytrace=False)


@pytest.fixture(scope="session")
def site(
    scaleout_services: None, seaweedfs_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("scaleout")
    s3 = scaleout.S3Target(
        seaweedfs_server.endpoint,
        seaweedfs_server.access_key,
        seaweedfs_server.secret_key,
        bucket="chatui-scaleout",
    )
    with scaleout.temporary_database() as dbname:
        env = scaleout.site_env(var_dir=workdir / "var", dbname=dbname, s3=s3)
        s3.client().create_bucket(Bucket=s3.bucket)
        users = [{"email": CHAT_USER}, {"email": QUOTA_USER, "quota_mb": 1}]
        accounts = scaleout.site_prepare(env, users + [{"email": e} for e in UPLOAD_USERS])
        with (
            scaleout.running_server(env, workdir / "a.log") as a,
            scaleout.running_server(env, workdir / "b.log") as b,
        ):
            yield Site(a, b, env, dbname, s3, accounts)
