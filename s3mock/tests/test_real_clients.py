"""Real S3 clients against a live s3mock (and SeaweedFS): the aws CLI, rclone and s3cmd.

They are installed by ``make setup`` (``.venv-clients`` from requirements-clients.txt;
rclone from Debian), the way CI installs them, and driven as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import anycrc
import pytest

from s3mock.testing import REPO_ROOT
from s3mock.tests.conftest import LiveS3

CLIENTS_BIN = REPO_ROOT / ".venv-clients" / "bin"


def tool(name: str) -> str:
    found = CLIENTS_BIN / name if (CLIENTS_BIN / name).exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run `make setup` (it installs the S3 clients)")
    return str(found)


def run(args: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    done = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"{args[0]} failed: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def aws(live_s3: LiveS3, tmp_path: Path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": live_s3.access_key,
        "AWS_SECRET_ACCESS_KEY": live_s3.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }

    def call(*args: str) -> str:
        return run([tool("aws"), "--endpoint-url", live_s3.endpoint_url, *args], env)

    return call


def make_tree(root: Path) -> dict[str, bytes]:
    files = {
        "a.txt": b"alpha\n",
        "dir/b c.bin": os.urandom(3000),
        "dir/deeper/日本.txt": b"unicode\n",
        "big.bin": os.urandom(9 * 1024 * 1024),  # the CLI uploads this one in parts
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return files


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_aws_s3_sync_both_ways(aws, live_s3: LiveS3, tmp_path: Path):
    s3_client, s3_bucket = live_s3.client, live_s3.bucket
    source, target = tmp_path / "up", tmp_path / "down"
    source.mkdir()
    files = make_tree(source)

    aws("s3", "sync", str(source), f"s3://{s3_bucket}/tree/")
    (source / "a.txt").write_bytes(b"changed\n")
    (source / "dir" / "b c.bin").unlink()
    aws("s3", "sync", "--delete", str(source), f"s3://{s3_bucket}/tree/")
    aws("s3", "sync", f"s3://{s3_bucket}/tree/", str(target))

    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    expected = {**files, "a.txt": b"changed\n"}
    del expected["dir/b c.bin"]
    assert sorted(keys) == sorted(f"tree/{name}" for name in expected)
    assert read_tree(target) == expected


def test_aws_s3api_list_object_versions(aws, live_s3: LiveS3):
    s3_client, s3_bucket = live_s3.client, live_s3.bucket
    s3_client.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"1")["VersionId"]
    second = s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"2")["VersionId"]
    s3_client.delete_object(Bucket=s3_bucket, Key="k")

    listing = json.loads(aws("s3api", "list-object-versions", "--bucket", s3_bucket))

    assert [v["VersionId"] for v in listing["Versions"]] == [second, first]
    assert [m["IsLatest"] for m in listing["DeleteMarkers"]] == [True]


def test_aws_s3api_put_object_with_crc32c(aws, live_s3: LiveS3, tmp_path: Path):
    s3_client, s3_bucket = live_s3.client, live_s3.bucket
    body = tmp_path / "body.bin"
    body.write_bytes(b"123456789")

    put = json.loads(
        aws(
            "s3api", "put-object", "--bucket", s3_bucket, "--key", "c",
            "--body", str(body), "--checksum-algorithm", "CRC32C",
        )
    )  # fmt: skip
    head = s3_client.head_object(Bucket=s3_bucket, Key="c", ChecksumMode="ENABLED")

    expected = "4waSgw=="  # CRC32C("123456789") = 0xE3069283
    assert anycrc.Model("CRC32-ISCSI").calc(b"123456789") == 0xE3069283
    assert put["ChecksumCRC32C"] == head["ChecksumCRC32C"] == expected


@pytest.fixture
def rclone_env(live_s3: LiveS3, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "RCLONE_CONFIG": str(tmp_path / "rclone.conf"),
        "RCLONE_CONFIG_MOCK_TYPE": "s3",
        "RCLONE_CONFIG_MOCK_PROVIDER": "Other",
        "RCLONE_CONFIG_MOCK_ACCESS_KEY_ID": live_s3.access_key,
        "RCLONE_CONFIG_MOCK_SECRET_ACCESS_KEY": live_s3.secret_key,
        "RCLONE_CONFIG_MOCK_ENDPOINT": live_s3.endpoint_url,
        "RCLONE_CONFIG_MOCK_REGION": "us-east-1",
        "RCLONE_CONFIG_MOCK_FORCE_PATH_STYLE": "true",
    }


def test_rclone_copy_check_and_versions(rclone_env, live_s3: LiveS3, tmp_path: Path):
    s3_client, s3_bucket = live_s3.client, live_s3.bucket
    rclone = tool("rclone")
    source = tmp_path / "src"
    source.mkdir()
    make_tree(source)
    s3_client.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})

    run([rclone, "copy", str(source), f"mock:{s3_bucket}/tree"], rclone_env)
    run([rclone, "check", str(source), f"mock:{s3_bucket}/tree"], rclone_env)
    s3_client.put_object(Bucket=s3_bucket, Key="tree/a.txt", Body=b"newer\n")
    plain = run([rclone, "lsf", "-R", f"mock:{s3_bucket}/tree"], rclone_env).splitlines()
    versions = run(
        [rclone, "lsf", "-R", "--s3-versions", f"mock:{s3_bucket}/tree"], rclone_env
    ).splitlines()

    assert sorted(plain) == [
        "a.txt", "big.bin", "dir/", "dir/b c.bin", "dir/deeper/", "dir/deeper/日本.txt",
    ]  # fmt: skip
    older = [name for name in versions if name.startswith("a-v") and name.endswith(".txt")]
    assert len(older) == 1 and "a.txt" in versions  # the current one and the older version


def test_s3cmd_put_ls_get_del(live_s3: LiveS3, tmp_path: Path):
    s3_bucket = live_s3.bucket
    host = live_s3.endpoint_url.removeprefix("http://")
    config = tmp_path / "s3cfg"
    config.write_text(
        "[default]\n"
        f"access_key = {live_s3.access_key}\n"
        f"secret_key = {live_s3.secret_key}\n"
        f"host_base = {host}\nhost_bucket = {host}\n"
        "use_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    s3cmd = [tool("s3cmd"), "-c", str(config)]
    (tmp_path / "f.txt").write_bytes(b"from s3cmd\n")

    run([*s3cmd, "put", str(tmp_path / "f.txt"), f"s3://{s3_bucket}/dir/f.txt"], env)
    listed = run([*s3cmd, "ls", "-r", f"s3://{s3_bucket}"], env)
    run([*s3cmd, "get", f"s3://{s3_bucket}/dir/f.txt", str(tmp_path / "back.txt")], env)
    run([*s3cmd, "del", f"s3://{s3_bucket}/dir/f.txt"], env)
    after = run([*s3cmd, "ls", "-r", f"s3://{s3_bucket}"], env)

    assert f"s3://{s3_bucket}/dir/f.txt" in listed
    assert (tmp_path / "back.txt").read_bytes() == b"from s3cmd\n"
    assert f"s3://{s3_bucket}/dir/f.txt" not in after
