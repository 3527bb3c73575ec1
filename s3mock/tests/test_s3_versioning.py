"""Bucket versioning and ListObjectVersions through boto3 over HTTP (s3mock and SeaweedFS)."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from s3mock.testing import S3MockProcess
from s3mock.tests.conftest import LiveS3, make_s3_client


def error_of(call) -> tuple[str, int, dict]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    headers = response["ResponseMetadata"].get("HTTPHeaders", {})
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], headers


def enable(live: LiveS3, status: str = "Enabled") -> None:
    live.client.put_bucket_versioning(
        Bucket=live.bucket, VersioningConfiguration={"Status": status}
    )


def put(live: LiveS3, key: str, body: bytes) -> str:
    return live.client.put_object(Bucket=live.bucket, Key=key, Body=body).get("VersionId", "")


def body_of(live: LiveS3, key: str, **extra) -> bytes:
    return live.client.get_object(Bucket=live.bucket, Key=key, **extra)["Body"].read()


def test_versioning_status_round_trip(live_s3: LiveS3):
    before = live_s3.client.get_bucket_versioning(Bucket=live_s3.bucket)
    enable(live_s3)
    enabled = live_s3.client.get_bucket_versioning(Bucket=live_s3.bucket)
    enable(live_s3, "Suspended")
    suspended = live_s3.client.get_bucket_versioning(Bucket=live_s3.bucket)

    assert "Status" not in before
    assert enabled["Status"] == "Enabled" and suspended["Status"] == "Suspended"


def test_every_put_is_a_version_readable_by_id(live_s3: LiveS3):
    enable(live_s3)
    first, second = put(live_s3, "k", b"one"), put(live_s3, "k", b"two")

    head = live_s3.client.head_object(Bucket=live_s3.bucket, Key="k", VersionId=first)
    listed = live_s3.client.list_object_versions(Bucket=live_s3.bucket)["Versions"]

    assert first and second and first != second and "null" not in (first, second)
    assert body_of(live_s3, "k") == b"two"
    assert body_of(live_s3, "k", VersionId=first) == b"one"
    assert head["VersionId"] == first and head["ContentLength"] == 3
    assert [(v["VersionId"], v["IsLatest"], v["Size"]) for v in listed] == [
        (second, True, 3),
        (first, False, 3),
    ]


def test_delete_makes_a_marker_that_hides_the_key_until_removed(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    enable(live_s3)
    kept = put(live_s3, "k", b"kept")

    deleted = client.delete_object(Bucket=bucket, Key="k")
    marker = deleted["VersionId"]
    hidden = error_of(lambda: client.get_object(Bucket=bucket, Key="k"))
    on_marker = error_of(lambda: client.get_object(Bucket=bucket, Key="k", VersionId=marker))
    listing = client.list_object_versions(Bucket=bucket)
    live_keys = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    client.delete_object(Bucket=bucket, Key="k", VersionId=marker)

    assert deleted["DeleteMarker"] is True and marker not in ("", "null", kept)
    assert hidden[:2] == ("NoSuchKey", 404)
    flagged = hidden[2].get("x-amz-delete-marker")
    assert flagged == live_s3.documented("true", seaweedfs=None)
    assert on_marker[1] == live_s3.documented(405, seaweedfs=404)
    assert on_marker[2].get("x-amz-delete-marker") == live_s3.documented("true", seaweedfs=None)
    assert [(m["VersionId"], m["IsLatest"]) for m in listing["DeleteMarkers"]] == [(marker, True)]
    assert [(v["VersionId"], v["IsLatest"]) for v in listing["Versions"]] == [(kept, False)]
    assert live_keys == []
    assert body_of(live_s3, "k") == b"kept"  # the marker is gone: the version is back


def test_deleting_a_version_for_good_promotes_the_previous_one(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    enable(live_s3)
    first, second = put(live_s3, "k", b"one"), put(live_s3, "k", b"two")

    gone = client.delete_object(Bucket=bucket, Key="k", VersionId=second)
    versions = client.list_object_versions(Bucket=bucket)["Versions"]

    assert gone["VersionId"] == second and "DeleteMarker" not in gone
    assert body_of(live_s3, "k") == b"one"
    assert [(v["VersionId"], v["IsLatest"]) for v in versions] == [(first, True)]
    assert error_of(lambda: body_of(live_s3, "k", VersionId=second))[1] == 404


def test_copy_from_an_older_version(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    enable(live_s3)
    first = put(live_s3, "src", b"old")
    put(live_s3, "src", b"new")

    copied = client.copy_object(
        Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src", "VersionId": first}
    )

    assert copied.get("CopySourceVersionId") == live_s3.documented(first, seaweedfs=None)
    assert copied["VersionId"]
    assert body_of(live_s3, "dst") == b"old"


def test_unversioned_bucket_lists_each_key_once_as_null(live_s3: LiveS3):
    for key in ("a", "b/c"):
        put(live_s3, key, b"x")
    put(live_s3, "a", b"again")

    listing = live_s3.client.list_object_versions(Bucket=live_s3.bucket)
    null_get = body_of(live_s3, "a", VersionId="null")

    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in listing["Versions"]] == [
        ("a", "null", True),
        ("b/c", "null", True),
    ]
    assert "DeleteMarkers" not in listing and null_get == b"again"


def test_suspended_writes_replace_the_null_version_and_keep_the_others(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    put(live_s3, "k", b"from-before")  # the null version
    enable(live_s3)
    versioned = put(live_s3, "k", b"versioned")
    enable(live_s3, "Suspended")
    put(live_s3, "k", b"null-1")
    put(live_s3, "k", b"null-2")

    versions = client.list_object_versions(Bucket=bucket)["Versions"]
    head = client.head_object(Bucket=bucket, Key="k")

    newest_first = ["null", versioned]
    assert [v["VersionId"] for v in versions] == live_s3.documented(
        newest_first, seaweedfs=newest_first[::-1]
    )
    assert body_of(live_s3, "k") == b"null-2" and head["VersionId"] == "null"
    assert body_of(live_s3, "k", VersionId=versioned) == b"versioned"


def test_list_object_versions_pages_with_markers_prefix_and_delimiter(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    enable(live_s3)
    made = [(key, put(live_s3, key, b"v")) for key in ("a/1", "a/2", "b", "b", "b", "c")]
    client.delete_object(Bucket=bucket, Key="c")

    pages = list(
        client.get_paginator("list_object_versions").paginate(
            Bucket=bucket, PaginationConfig={"PageSize": 2}
        )
    )
    rolled = client.list_object_versions(Bucket=bucket, Delimiter="/")
    under_a = client.list_object_versions(Bucket=bucket, Prefix="a/")

    seen = [(v["Key"], v["VersionId"]) for p in pages for v in p.get("Versions", [])]
    markers = [m["Key"] for p in pages for m in p.get("DeleteMarkers", [])]
    assert len(pages) == 4 and all(p["IsTruncated"] for p in pages[:-1])
    assert sorted(seen) == sorted(made) and markers == ["c"]
    assert [k for k, _ in seen] == ["a/1", "a/2", "b", "b", "b", "c"]
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["a/"]
    assert [v["Key"] for v in under_a["Versions"]] == ["a/1", "a/2"]


def test_a_versioned_bucket_empties_through_list_object_versions(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    enable(live_s3)
    put(live_s3, "k", b"1")
    put(live_s3, "k", b"2")
    client.delete_object(Bucket=bucket, Key="k")

    if live_s3.name == "seaweedfs":  # deletes a bucket whose versions remain (README)
        client.delete_bucket(Bucket=bucket)
        client.create_bucket(Bucket=bucket)
        return
    not_empty = error_of(lambda: client.delete_bucket(Bucket=bucket))
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            client.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
    client.delete_bucket(Bucket=bucket)

    assert not_empty[:2] == ("BucketNotEmpty", 409)
    assert error_of(lambda: client.head_bucket(Bucket=bucket))[1] == 404
    client.create_bucket(Bucket=bucket)  # for the fixture's clean-up


def test_complete_multipart_upload_returns_a_version(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    enable(live_s3)
    upload_id = client.create_multipart_upload(Bucket=bucket, Key="m")["UploadId"]
    etag = client.upload_part(
        Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=1, Body=b"part"
    )["ETag"]

    done = client.complete_multipart_upload(
        Bucket=bucket,
        Key="m",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )

    assert done["VersionId"] not in ("", "null")
    assert body_of(live_s3, "m", VersionId=done["VersionId"]) == b"part"


def test_versions_and_markers_survive_a_restart(tmp_path: Path):
    with S3MockProcess(tmp_path) as server:
        client = make_s3_client(server)
        client.create_bucket(Bucket="keep")
        client.put_bucket_versioning(Bucket="keep", VersioningConfiguration={"Status": "Enabled"})
        first = client.put_object(Bucket="keep", Key="k", Body=b"1")["VersionId"]
        client.put_object_tagging(
            Bucket="keep", Key="k", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]}
        )
        second = client.put_object(Bucket="keep", Key="k", Body=b"2")["VersionId"]
        marker = client.delete_object(Bucket="keep", Key="k")["VersionId"]
        before = client.list_object_versions(Bucket="keep")
        server.restart()
        after = client.list_object_versions(Bucket="keep")
        old = client.get_object(Bucket="keep", Key="k", VersionId=first)["Body"].read()
        status = client.get_bucket_versioning(Bucket="keep")["Status"]

    def summary(listing):
        versions = [(v["VersionId"], v["IsLatest"]) for v in listing["Versions"]]
        return versions, [(m["VersionId"], m["IsLatest"]) for m in listing["DeleteMarkers"]]

    assert (
        summary(after) == summary(before) == ([(second, False), (first, False)], [(marker, True)])
    )
    assert old == b"1" and status == "Enabled"
