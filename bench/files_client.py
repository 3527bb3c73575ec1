"""The files benchmark's client: the API over urllib3 (what boto3 runs on) and boto3
straight to the same S3 endpoint, so a ratio measures the server, not two clients."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from bench.harness import ACCESS, BUCKET, MIB, SECRET


class FilesClient:
    def __init__(self, base_url: str, token: str, endpoint: str, workdir: Path) -> None:
        import boto3
        import httpx
        import urllib3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Token {token}"}, timeout=300
        )
        self.base_url = base_url
        self.auth = {"Authorization": f"Token {token}"}
        self.pool = urllib3.PoolManager(maxsize=2, timeout=300, retries=False)
        self.s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS,
            aws_secret_access_key=SECRET,
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        self.transfer = TransferConfig(max_concurrency=3)
        self.workdir = workdir
        self.last_id = ""

    def api_upload(self, path: Path) -> None:
        """A browser-like multipart/form-data POST, streamed from the file."""
        boundary = "----chatui-bench-boundary"
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = len(head) + path.stat().st_size + len(tail)
        headers = {
            **self.auth,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
        }
        body = _form_body(head, path, tail)
        url = f"{self.base_url}/api/files"
        response = self.pool.request("POST", url, body=body, headers=headers)
        if response.status != 201:
            raise SystemExit(f"upload failed: {response.status} {response.data[:300]!r}")
        self.last_id = response.json()["id"]

    def api_download(self, base_url: str = "") -> None:
        """GET the download (following a 302 to S3 when the server redirects)."""
        url = f"{base_url or self.base_url}/api/files/{self.last_id}/download"
        response = self.pool.request("GET", url, headers=self.auth, preload_content=False,
                                     redirect=False)  # fmt: skip
        if response.status == 302:
            location = response.headers["Location"]
            response.release_conn()
            response = self.pool.request("GET", location, preload_content=False)
        if response.status != 200:
            raise SystemExit(f"download failed: {response.status}")
        for _ in response.stream(MIB):
            pass
        response.release_conn()

    def api_link(self, base_url: str = "") -> str:
        """A share link to the last upload; returns its download URL (anonymous)."""
        url = f"{base_url or self.base_url}/api/files/{self.last_id}/links"
        response = self.pool.request(
            "POST", url, json={"expires_in": None}, headers=self.auth, redirect=False
        )
        if response.status != 201:
            raise SystemExit(f"link failed: {response.status} {response.data[:300]!r}")
        page = response.json()["url"]
        return f"{base_url or self.base_url}{page[page.index('/s/') :]}/download"

    def link_download(self, url: str) -> None:
        """GET a share link's download with no credentials (following a 302 to S3)."""
        response = self.pool.request("GET", url, preload_content=False, redirect=False)
        if response.status == 302:
            location = response.headers["Location"]
            response.release_conn()
            response = self.pool.request("GET", location, preload_content=False)
        if response.status != 200:
            raise SystemExit(f"link download failed: {response.status}")
        for _ in response.stream(MIB):
            pass
        response.release_conn()

    def direct_upload(self, path: Path) -> None:
        with path.open("rb") as body:
            self.s3.upload_fileobj(body, BUCKET, f"direct/{path.name}", Config=self.transfer)

    def direct_download(self, path: Path) -> None:
        response = self.s3.get_object(Bucket=BUCKET, Key=f"direct/{path.name}")
        for _ in response["Body"].iter_chunks(1024 * 1024):
            pass

    def list_latencies(self, queries: list[str], rounds: int) -> list[float]:
        timings = []
        for _ in range(rounds):
            for query in queries:
                started = time.perf_counter()
                response = self.http.get(f"/api/files?{query}")
                timings.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
        return timings


def _form_body(head: bytes, path: Path, tail: bytes) -> Iterator[bytes]:
    yield head
    with path.open("rb") as source:
        while block := source.read(MIB):
            yield block
    yield tail
