"""ListObjects v1/v2 through boto3 (and its paginators) against a live runs3mock."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote_plus

import pytest
from botocore import handlers
from botocore.exceptions import ClientError

from s3mock.tests.conftest import make_s3_client

MANY = 1500
ODD_KEYS = ["a b/1", "a+b/2", "c%d/3", "é/4", "日本/5", "plain/6", "top level", "cr\rtab\tkey"]


@pytest.fixture(scope="module")
def many_bucket(s3mock_server) -> str:
    """1,500 objects under ``many/`` plus a few with odd names, written once per module."""
    client = make_s3_client(s3mock_server)
    bucket = f"list-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    keys = [f"many/{i:05d}" for i in range(MANY)] + ODD_KEYS

    def put(chunk: list[str]) -> None:
        own = make_s3_client(s3mock_server)
        for key in chunk:
            own.put_object(Bucket=bucket, Key=key, Body=key.encode())

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(put, [keys[i::4] for i in range(4)]))
    return bucket


@pytest.fixture(scope="module")
def raw_client(s3mock_server):
    """A client that does NOT ask for encoding-type=url unless told to (boto3 always does)."""
    client = make_s3_client(s3mock_server)
    for operation in ("ListObjects", "ListObjectsV2"):
        client.meta.events.unregister(
            f"before-parameter-build.s3.{operation}", handlers.set_list_objects_encoding_type_url
        )
    return client


def all_keys() -> list[str]:
    keys = [f"many/{i:05d}" for i in range(MANY)] + ODD_KEYS
    return sorted(keys, key=lambda k: k.encode("utf-8"))


@pytest.mark.parametrize("operation", ["list_objects", "list_objects_v2"])
def test_paginators_walk_every_key_in_utf8_order(s3_client, many_bucket, operation):
    pages = list(s3_client.get_paginator(operation).paginate(Bucket=many_bucket))

    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]

    assert keys == all_keys()
    assert len(pages) == 2  # 1000 + 507


@pytest.mark.parametrize("operation", ["list_objects", "list_objects_v2"])
def test_paginators_with_prefix_and_small_pages(s3_client, many_bucket, operation):
    paginator = s3_client.get_paginator(operation)

    pages = list(
        paginator.paginate(Bucket=many_bucket, Prefix="many/", PaginationConfig={"PageSize": 400})
    )

    keys = [o["Key"] for page in pages for o in page["Contents"]]
    assert keys == [f"many/{i:05d}" for i in range(MANY)]
    assert [len(p["Contents"]) for p in pages] == [400, 400, 400, 300]


@pytest.mark.parametrize("operation", ["list_objects", "list_objects_v2"])
def test_delimiter_rolls_up_common_prefixes(s3_client, many_bucket, operation):
    pages = list(s3_client.get_paginator(operation).paginate(Bucket=many_bucket, Delimiter="/"))

    prefixes = [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])]
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]

    assert prefixes == ["a b/", "a+b/", "c%d/", "many/", "plain/", "é/", "日本/"]
    assert keys == ["cr\rtab\tkey", "top level"]


def test_delimiter_pages_count_prefixes_and_give_next_marker(s3_client, many_bucket):
    first = s3_client.list_objects(Bucket=many_bucket, Delimiter="/", MaxKeys=3)
    second = s3_client.list_objects(
        Bucket=many_bucket, Delimiter="/", MaxKeys=3, Marker=first["NextMarker"]
    )

    assert [p["Prefix"] for p in first["CommonPrefixes"]] == ["a b/", "a+b/", "c%d/"]
    assert first["IsTruncated"] and first["NextMarker"] == "c%d/"
    assert [p["Prefix"] for p in second["CommonPrefixes"]] == ["many/", "plain/"]
    assert [o["Key"] for o in second["Contents"]] == ["cr\rtab\tkey"]


def test_v1_without_delimiter_has_no_next_marker(s3_client, many_bucket):
    page = s3_client.list_objects(Bucket=many_bucket, Prefix="many/", MaxKeys=5)

    assert page["IsTruncated"] and "NextMarker" not in page
    assert [o["Key"] for o in page["Contents"]][-1] == "many/00004"
    assert page["Contents"][0]["Owner"]["ID"] == "s3mock-test"


def test_v2_key_count_start_after_and_fetch_owner(s3_client, many_bucket):
    page = s3_client.list_objects_v2(
        Bucket=many_bucket, Prefix="many/", StartAfter="many/01497", FetchOwner=True
    )
    no_owner = s3_client.list_objects_v2(Bucket=many_bucket, Prefix="many/", MaxKeys=1)

    assert [o["Key"] for o in page["Contents"]] == ["many/01498", "many/01499"]
    assert page["KeyCount"] == 2 and not page["IsTruncated"]
    assert page["StartAfter"] == "many/01497"
    assert page["Contents"][0]["Owner"]["ID"] == "s3mock-test"
    assert "Owner" not in no_owner["Contents"][0]
    assert no_owner["KeyCount"] == 1 and no_owner["IsTruncated"]
    assert no_owner["NextContinuationToken"]


def test_max_keys_is_capped_at_1000(s3_client, many_bucket):
    page = s3_client.list_objects_v2(Bucket=many_bucket, MaxKeys=5000)

    assert page["KeyCount"] == 1000 and page["MaxKeys"] == 1000 and page["IsTruncated"]


def test_bad_continuation_token_is_invalid_argument(s3_client, many_bucket):
    with pytest.raises(ClientError) as caught:
        s3_client.list_objects_v2(Bucket=many_bucket, ContinuationToken="%%%not-a-token")
    assert caught.value.response["Error"]["Code"] == "InvalidArgument"


@pytest.mark.parametrize("operation", ["list_objects", "list_objects_v2"])
def test_without_encoding_type_keys_come_back_raw(raw_client, many_bucket, operation):
    pages = list(raw_client.get_paginator(operation).paginate(Bucket=many_bucket))

    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]

    assert keys == all_keys()
    assert all("EncodingType" not in page for page in pages)


def test_encoding_type_url_encodes_keys_prefixes_and_markers(raw_client, many_bucket):
    v1 = raw_client.list_objects(
        Bucket=many_bucket, Delimiter="/", Prefix="", Marker="a b/", EncodingType="url", MaxKeys=2
    )
    v2 = raw_client.list_objects_v2(
        Bucket=many_bucket, Prefix="日", StartAfter="é", EncodingType="url"
    )

    assert v1["EncodingType"] == "url" and v1["Marker"] == "a%20b/"
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["a%2Bb/", "c%25d/"]
    assert v1["NextMarker"] == "c%25d/"
    assert v2["Prefix"] == "%E6%97%A5" and v2["StartAfter"] == "%C3%A9"
    assert [unquote_plus(o["Key"]) for o in v2["Contents"]] == ["日本/5"]
    assert v2["Contents"][0]["Key"] == "%E6%97%A5%E6%9C%AC/5"


def test_listing_an_empty_prefix_and_a_missing_bucket(s3_client, many_bucket):
    empty = s3_client.list_objects_v2(Bucket=many_bucket, Prefix="nothing-here/")

    with pytest.raises(ClientError) as caught:
        s3_client.list_objects_v2(Bucket=f"missing-{uuid.uuid4().hex[:8]}")

    assert empty["KeyCount"] == 0 and "Contents" not in empty and not empty["IsTruncated"]
    assert caught.value.response["Error"]["Code"] == "NoSuchBucket"
