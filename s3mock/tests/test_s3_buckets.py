"""Bucket operations and account isolation, through boto3 against a live runs3mock."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


def error_code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return caught.value.response["Error"]["Code"]


def status(caught: pytest.ExceptionInfo[ClientError]) -> int:
    return caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def new_name() -> str:
    return f"b-{uuid.uuid4().hex[:12]}"


def test_create_head_list_delete(s3_client):
    name = new_name()

    s3_client.create_bucket(Bucket=name)
    head = s3_client.head_bucket(Bucket=name)
    listed = [b["Name"] for b in s3_client.list_buckets()["Buckets"]]
    s3_client.delete_bucket(Bucket=name)

    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert name in listed
    assert name not in [b["Name"] for b in s3_client.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as caught:
        s3_client.head_bucket(Bucket=name)
    assert status(caught) == 404


def test_create_bucket_configuration_is_accepted(s3_client):
    name = new_name()

    s3_client.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )

    assert s3_client.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize("name", ["ab", "Upper-case", "bad_underscore", "10.1.2.3", "a..b"])
def test_invalid_bucket_name(s3_client, name):
    with pytest.raises(ClientError) as caught:
        s3_client.create_bucket(Bucket=name)
    assert error_code(caught) == "InvalidBucketName"


def test_recreating_your_bucket_in_us_east_1_is_ok_another_account_gets_already_exists(
    s3_client, s3_client_other, s3_bucket
):
    s3_client.put_object(Bucket=s3_bucket, Key="kept", Body=b"x")

    again = s3_client.create_bucket(Bucket=s3_bucket)
    with pytest.raises(ClientError) as other:
        s3_client_other.create_bucket(Bucket=s3_bucket)

    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3_client.get_object(Bucket=s3_bucket, Key="kept")["Body"].read() == b"x"
    assert (error_code(other), status(other)) == ("BucketAlreadyExists", 409)


def test_list_buckets_shows_only_the_callers_own(s3_client, s3_client_other, s3_bucket):
    theirs = new_name()
    s3_client_other.create_bucket(Bucket=theirs)

    mine = [b["Name"] for b in s3_client.list_buckets()["Buckets"]]
    other = s3_client_other.list_buckets()

    assert s3_bucket in mine and theirs not in mine
    assert theirs in [b["Name"] for b in other["Buckets"]]
    assert s3_bucket not in [b["Name"] for b in other["Buckets"]]
    assert other["Owner"]["ID"] == "s3mock-other"


@pytest.mark.parametrize(
    "call",
    [
        lambda c, b: c.head_bucket(Bucket=b),
        lambda c, b: c.list_objects_v2(Bucket=b),
        lambda c, b: c.put_object(Bucket=b, Key="k", Body=b"x"),
        lambda c, b: c.get_object(Bucket=b, Key="k"),
        lambda c, b: c.delete_object(Bucket=b, Key="k"),
        lambda c, b: c.create_multipart_upload(Bucket=b, Key="k"),
        lambda c, b: c.delete_bucket(Bucket=b),
    ],
)
def test_another_account_is_denied_every_operation(s3_client, s3_client_other, s3_bucket, call):
    s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"secret")

    with pytest.raises(ClientError) as caught:
        call(s3_client_other, s3_bucket)

    assert status(caught) == 403
    assert s3_client.get_object(Bucket=s3_bucket, Key="k")["Body"].read() == b"secret"


def test_copy_from_another_accounts_bucket_is_denied(s3_client, s3_client_other, s3_bucket):
    s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"secret")
    theirs = new_name()
    s3_client_other.create_bucket(Bucket=theirs)

    with pytest.raises(ClientError) as caught:
        s3_client_other.copy_object(
            Bucket=theirs, Key="stolen", CopySource={"Bucket": s3_bucket, "Key": "k"}
        )

    assert error_code(caught) == "AccessDenied"


def test_delete_bucket_not_empty_and_no_such_bucket(s3_client, s3_bucket):
    s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"x")

    with pytest.raises(ClientError) as not_empty:
        s3_client.delete_bucket(Bucket=s3_bucket)
    with pytest.raises(ClientError) as missing:
        s3_client.delete_bucket(Bucket=new_name())

    assert (error_code(not_empty), status(not_empty)) == ("BucketNotEmpty", 409)
    assert (error_code(missing), status(missing)) == ("NoSuchBucket", 404)


def test_get_bucket_location(s3_client, s3_bucket):
    assert s3_client.get_bucket_location(Bucket=s3_bucket)["LocationConstraint"] is None


def test_unsupported_subresources_answer_not_implemented(s3_client, s3_bucket):
    with pytest.raises(ClientError) as lifecycle:
        s3_client.get_bucket_lifecycle_configuration(Bucket=s3_bucket)
    with pytest.raises(ClientError) as policy:
        s3_client.put_bucket_policy(Bucket=s3_bucket, Policy="{}")

    assert (error_code(lifecycle), status(lifecycle)) == ("NotImplemented", 501)
    assert error_code(policy) == "NotImplemented"
    assert "not implemented by s3mock" in policy.value.response["Error"]["Message"]


def test_the_configured_bucket_exists_from_the_start(s3_client, s3mock_server):
    assert s3_client.head_bucket(Bucket=s3mock_server.bucket)


def test_unsigned_requests_are_denied(s3mock_server):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", s3mock_server.port, timeout=5)
    connection.request("GET", f"/{s3mock_server.bucket}")
    response = connection.getresponse()
    body = response.read()

    assert response.status == 403
    assert b"<Code>AccessDenied</Code>" in body and b"<RequestId>" in body
    assert response.getheader("x-amz-request-id")
