"""Fixtures shared by every app's tests.

Users and clients
    ``make_user`` (factory), ``user``, ``other_user``, ``staff_user``,
    ``api_client`` / ``other_api_client`` (DRF clients authenticated with a real
    token as ``user`` / ``other_user``), ``anon_client``.
Storage
    ``s3_moto``     fast, in-process S3 (moto) for unit tests of the seam;
    ``s3_backend``  the real thing over HTTP, parametrized: a live s3mock
                    (``manage.py runs3mock``) and SeaweedFS (marked ``seaweedfs``);
                    each test gets a fresh bucket and settings pointed at it.
Files
    ``make_stored_file`` (factory through ``files.services.file_upload``) and
    ``stored_file`` (one text file of ``user``). Request a storage fixture first.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

S3_TEST_ACCESS_KEY = "chatui-test"
S3_TEST_SECRET_KEY = "chatui-test-secret"  # noqa: S105 (throwaway test endpoint)
TEST_PASSWORD = "correct-horse-9"  # noqa: S105 (test users only)
REPO_ROOT = Path(__file__).resolve().parent
READY_CODES = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}


# --- Users and API clients -----------------------------------------------------------


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    from chatui.models import User

    def make(email: str | None = None, password: str = TEST_PASSWORD, **extra: Any) -> User:
        email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
        return User.objects.create_user(email=email, password=password, **extra)

    return make


@pytest.fixture
def user(make_user: Callable[..., Any]) -> Any:
    return make_user("alice@example.com")


@pytest.fixture
def other_user(make_user: Callable[..., Any]) -> Any:
    return make_user("bob@example.com")


@pytest.fixture
def staff_user(make_user: Callable[..., Any]) -> Any:
    return make_user("staff@example.com", is_staff=True)


def _token_client(for_user: Any) -> Any:
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=for_user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    client.user = for_user
    client.token = token.key  # for chatui.testing.asgi.asgi_post
    return client


@pytest.fixture
def api_client(user: Any) -> Any:
    """A DRF APIClient authenticated as ``user`` with a real token (``client.user``)."""
    return _token_client(user)


@pytest.fixture
def other_api_client(other_user: Any) -> Any:
    return _token_client(other_user)


@pytest.fixture
def anon_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


# --- Storage: moto (fast, in process) ---------------------------------------------------


@pytest.fixture
def s3_moto(settings: Any) -> Iterator[str]:
    """moto's in-process S3 with the bucket created; yields the bucket name."""
    from moto import mock_aws

    from files import storage

    with mock_aws():
        settings.S3_ENDPOINT = ""
        settings.S3_BUCKET = f"moto-{uuid.uuid4().hex[:12]}"
        settings.S3_ACCESS_KEY = "testing"
        settings.S3_SECRET_KEY = "testing"  # noqa: S105
        settings.S3_AUTO_CREATE_BUCKET = True
        storage.ensure_bucket()
        yield settings.S3_BUCKET
    storage.reset_storage()


# --- Storage: live endpoints over HTTP ------------------------------------------------


@dataclass
class S3Backend:
    """A live S3 endpoint the settings point at, with this test's own bucket."""

    name: str
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str = ""

    def list_keys(self, prefix: str = "") -> list[str]:
        from files import storage

        return storage.list_keys(prefix)


@pytest.fixture(scope="session")
def s3mock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Backend]:
    """One live s3mock (``manage.py runs3mock``) for the whole session."""
    from s3mock.testing import running_s3mock

    data_dir = tmp_path_factory.mktemp("s3mock")
    credentials = f"{S3_TEST_ACCESS_KEY}:{S3_TEST_SECRET_KEY}"
    with running_s3mock(data_dir, credentials=credentials) as server:
        yield S3Backend("s3mock", server.endpoint_url, server.access_key, server.secret_key)


@pytest.fixture(scope="session")
def seaweedfs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Backend]:
    """One SeaweedFS (master, volume, filer, S3 gateway) for the whole session."""
    from chatui.testing.seaweedfs import running_seaweedfs

    with running_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield S3Backend("seaweedfs", server.endpoint_url, server.access_key, server.secret_key)


S3_BACKENDS = ("s3mock", "seaweedfs")


def _chosen_s3_backends() -> list[str]:
    """Every live endpoint, or only those named in ``CHATUI_S3_BACKENDS`` (comma-separated):
    the scale-out run sets ``CHATUI_S3_BACKENDS=seaweedfs`` to test on a real S3 service only.
    """
    chosen = [name.strip() for name in os.environ.get("CHATUI_S3_BACKENDS", "").split(",")]
    chosen = [name for name in chosen if name] or list(S3_BACKENDS)
    unknown = sorted(set(chosen) - set(S3_BACKENDS))
    if unknown:
        raise pytest.UsageError(
            f"CHATUI_S3_BACKENDS: unknown backend(s) {unknown}; use {list(S3_BACKENDS)}"
        )
    return chosen


def _s3_backend_params() -> list[Any]:
    marks = {"seaweedfs": pytest.mark.seaweedfs}
    return [pytest.param(name, marks=marks.get(name, ())) for name in _chosen_s3_backends()]


@pytest.fixture(params=_s3_backend_params())
def s3_backend(request: pytest.FixtureRequest, settings: Any) -> Iterator[S3Backend]:
    """Settings and storage pointed at a live endpoint over HTTP, with a fresh bucket.

    A test that pins one endpoint (``indirect`` parametrization) runs on the first of
    ``CHATUI_S3_BACKENDS`` when that list leaves its endpoint out; the yielded
    backend's ``name`` says which endpoint it really got.
    """
    from files import storage

    chosen = _chosen_s3_backends()
    name = request.param if request.param in chosen else chosen[0]
    server: S3Backend = request.getfixturevalue(f"{name}_server")
    settings.S3_ENDPOINT = server.endpoint
    settings.S3_ACCESS_KEY = server.access_key
    settings.S3_SECRET_KEY = server.secret_key
    settings.S3_REGION = "us-east-1"
    settings.S3_BUCKET = f"t-{uuid.uuid4().hex[:16]}"
    settings.S3_AUTO_CREATE_BUCKET = True
    settings.S3_TIMEOUT = 10.0
    storage.ensure_bucket()
    yield S3Backend(
        server.name, server.endpoint, server.access_key, server.secret_key, settings.S3_BUCKET
    )
    _drop_bucket()
    storage.reset_storage()


def _drop_bucket() -> None:
    """Empty and delete this test's bucket, so long sessions do not pile up buckets."""
    from chatui.errors import StorageUnavailable
    from files import storage

    try:
        for key in storage.list_keys():
            storage.delete(key)
        storage.get_storage().bucket.delete()
    except StorageUnavailable:
        pass  # the test pointed the settings at a dead endpoint on purpose


# --- Files ----------------------------------------------------------------------------


@pytest.fixture
def make_stored_file(user: Any) -> Callable[..., Any]:
    """Create files the way the product does (``file_upload``); needs a storage fixture."""
    from files.services import file_upload

    def make(
        owner: Any = None,
        content: bytes = b"hello, world\n",
        filename: str = "notes.txt",
        **kwargs: Any,
    ) -> Any:
        return file_upload(owner=owner or user, content=content, filename=filename, **kwargs)

    return make


@pytest.fixture
def stored_file(make_stored_file: Callable[..., Any]) -> Any:
    return make_stored_file()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None) -> Iterator[None]:
    """pytest-django's, plus: close the connections worker threads keep (CONN_MAX_AGE).

    Channels' database work runs on asgiref's one thread-sensitive thread, and
    in-process ASGI requests on ``chatui.asgi.request_threads``; both outlive the
    tests, and on PostgreSQL their open connections stopped the test database from
    being dropped ("is being accessed by other users").
    """
    yield
    import sys

    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)
    if "chatui.asgi" in sys.modules:
        sys.modules["chatui.asgi"].request_threads.close(wait=True)


def pytest_configure(config: pytest.Config) -> None:
    # botocore looks for credentials in the environment and ~/.aws; keep tests hermetic.
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counts are per user id, and ids repeat from test to test."""
    from chatui.rate_limits import rate_limits_reset

    rate_limits_reset()
    yield


@pytest.fixture(autouse=True)
def _fresh_channel_layer(settings: Any) -> None:
    """Each test its own channel layer instance.

    A server process runs one event loop for its life, but every async test runs on a
    new one. channels_redis keeps per-instance receive state (asyncio locks bound to
    the loop that first used them, cleanup tasks); a receive still pending when a
    test's loop closed would leave the next test's receive on a lock of a dead loop.
    Reassigning the setting makes channels build a fresh layer (``setting_changed``
    clears its cache), and pytest-django restores it afterwards.
    """
    settings.CHANNEL_LAYERS = {**settings.CHANNEL_LAYERS}
