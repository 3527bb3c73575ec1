"""Canned ACLs and the anonymous access they allow, and bucket tagging, through boto3 and
unsigned HTTP against s3mock and SeaweedFS (differences recorded, see README)."""

from __future__ import annotations

import httpx
import pytest
from botocore.exceptions import ClientError

from s3mock.tests.conftest import LiveS3

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def error_of(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def anonymous(live: LiveS3, method: str, path: str, body: bytes = b"") -> httpx.Response:
    return httpx.request(method, f"{live.endpoint_url}/{live.bucket}{path}", content=body)


def grants(policy: dict) -> list[tuple[str, str]]:
    found = []
    for grant in policy["Grants"]:
        grantee = grant["Grantee"]
        found.append((grantee.get("URI") or grantee["Type"], grant["Permission"]))
    return sorted(found)


def test_default_acls_are_private_to_the_owner(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    client.put_object(Bucket=bucket, Key="k", Body=b"v")

    bucket_acl = client.get_bucket_acl(Bucket=bucket)
    object_acl = client.get_object_acl(Bucket=bucket, Key="k")

    assert grants(bucket_acl) == grants(object_acl) == [("CanonicalUser", "FULL_CONTROL")]
    assert anonymous(live_s3, "GET", "/k").status_code == 403
    assert anonymous(live_s3, "GET", "?list-type=2").status_code == 403


def test_public_read_object_is_readable_anonymously(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    client.put_object(Bucket=bucket, Key="open", Body=b"hello", ACL="public-read")
    client.put_object(Bucket=bucket, Key="closed", Body=b"secret")

    opened = anonymous(live_s3, "GET", "/open")
    closed = anonymous(live_s3, "GET", "/closed")
    client.put_object_acl(Bucket=bucket, Key="closed", ACL="public-read")
    later = anonymous(live_s3, "GET", "/closed")

    assert opened.status_code == live_s3.documented(200, seaweedfs=403)
    assert closed.status_code == 403
    assert later.status_code == live_s3.documented(200, seaweedfs=403)
    if live_s3.name == "s3mock":  # SeaweedFS ignores object ACLs for access (README)
        assert opened.content == b"hello"
        assert (ALL_USERS, "READ") in grants(client.get_object_acl(Bucket=bucket, Key="open"))


def test_public_read_bucket_can_be_listed_but_not_written(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    client.put_object(Bucket=bucket, Key="private-object", Body=b"x")
    client.put_bucket_acl(Bucket=bucket, ACL="public-read")

    listed = anonymous(live_s3, "GET", "?list-type=2")
    object_read = anonymous(live_s3, "GET", "/private-object")
    write = anonymous(live_s3, "PUT", "/new", b"data")

    assert listed.status_code == 200 and "private-object" in listed.text
    # the object's own ACL decides; SeaweedFS lets the bucket's decide (README)
    assert object_read.status_code == live_s3.documented(403, seaweedfs=200)
    assert write.status_code == 403
    assert (ALL_USERS, "READ") in grants(client.get_bucket_acl(Bucket=bucket))


def test_public_read_write_bucket_takes_anonymous_writes(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    client.put_bucket_acl(Bucket=bucket, ACL="public-read-write")

    written = anonymous(live_s3, "PUT", "/dropped", b"anonymous data")
    deleted = anonymous(live_s3, "DELETE", "/nothing-here")

    assert written.status_code == live_s3.documented(200, seaweedfs=403)
    if live_s3.name == "s3mock":
        got = client.get_object(Bucket=bucket, Key="dropped")["Body"].read()
        assert got == b"anonymous data" and deleted.status_code == 204


def test_authenticated_read_needs_a_signature(live_s3: LiveS3, s3_client_other):
    client, bucket = live_s3.client, live_s3.bucket
    client.put_object(Bucket=bucket, Key="k", Body=b"members", ACL="authenticated-read")

    anon = anonymous(live_s3, "GET", "/k")

    assert anon.status_code == 403
    if live_s3.name == "s3mock":  # SeaweedFS: one identity, and no object ACL kept (README)
        assert (AUTHENTICATED, "READ") in grants(client.get_object_acl(Bucket=bucket, Key="k"))
        got = s3_client_other.get_object(Bucket=bucket, Key="k")["Body"].read()
        assert got == b"members"
        listing = error_of(lambda: s3_client_other.list_objects_v2(Bucket=bucket))
        assert listing == ("AccessDenied", 403)


def test_create_bucket_with_a_canned_acl(live_s3: LiveS3):
    client = live_s3.client
    name = f"{live_s3.bucket}-pub"
    client.create_bucket(Bucket=name, ACL="public-read")
    try:
        acl = client.get_bucket_acl(Bucket=name)
        listed = httpx.get(f"{live_s3.endpoint_url}/{name}?list-type=2")
    finally:
        client.delete_bucket(Bucket=name)

    assert (ALL_USERS, "READ") in grants(acl)
    assert listed.status_code == 200


def test_grants_by_id_are_not_implemented(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    client.put_object(Bucket=bucket, Key="k", Body=b"v")

    def grant():
        return client.put_object_acl(Bucket=bucket, Key="k", GrantRead='id="someone-else"')

    if live_s3.name == "seaweedfs":  # accepted (README)
        assert grant()["ResponseMetadata"]["HTTPStatusCode"] == 200
        return
    assert error_of(grant) == ("NotImplemented", 501)


def test_bucket_tagging_put_get_delete(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    missing = error_of(lambda: client.get_bucket_tagging(Bucket=bucket))
    tag_set = [{"Key": "team", "Value": "chat"}, {"Key": "env", "Value": "dev"}]

    client.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tag_set})
    got = client.get_bucket_tagging(Bucket=bucket)["TagSet"]
    client.delete_bucket_tagging(Bucket=bucket)
    gone = error_of(lambda: client.get_bucket_tagging(Bucket=bucket))

    assert missing == gone == ("NoSuchTagSet", 404)
    assert sorted((t["Key"], t["Value"]) for t in got) == [("env", "dev"), ("team", "chat")]
