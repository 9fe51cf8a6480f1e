"""What only the S3 backend promises: multipart streaming, prefixes, buckets, batched deletes."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from reelbase.storage import BlobNotFound, S3BlobStore, StorageError

from .conftest import CREDENTIALS

MiB = 1 << 20
MakeStore = Callable[..., S3BlobStore]


def test_s3_part_size_below_the_s3_minimum_is_refused(s3_endpoint: str) -> None:
    with pytest.raises(ValueError, match="part_size"):
        S3BlobStore("b", endpoint_url=s3_endpoint, part_size=4 * MiB, **CREDENTIALS)


def test_s3_half_given_credentials_are_refused(s3_endpoint: str) -> None:
    with pytest.raises(ValueError, match="both"):
        S3BlobStore("b", endpoint_url=s3_endpoint, access_key_id="only-the-id")


def test_s3_small_body_is_one_put_with_md5_etag(make_s3_store: MakeStore) -> None:
    store = make_s3_store()
    info = store.put_stream("k", [b"abc", b"def"])
    assert info.etag == hashlib.md5(b"abcdef").hexdigest()


def test_s3_large_body_goes_up_in_parts(make_s3_store: MakeStore) -> None:
    store = make_s3_store(part_size=5 * MiB)
    chunks = [bytes([i]) * MiB for i in range(11)]
    info = store.put_stream("big", iter(chunks), content_type="video/mp4")
    # A multipart ETag is md5(concatenated part md5s)-<part count>: 5 + 5 + 1 MiB = 3 parts.
    assert info.etag.endswith("-3")
    assert store.stat("big").etag == info.etag
    assert store.stat("big").content_type == "video/mp4"
    assert b"".join(store.open_range("big", 5 * MiB - 2, 5 * MiB + 1)) == b"\x04\x04\x05\x05"
    assert hashlib.sha256(b"".join(store.open_range("big"))).digest() == hashlib.sha256(
        b"".join(chunks)
    ).digest()


def test_s3_multipart_with_checksums_as_on_aws(make_s3_store: MakeStore) -> None:
    store = make_s3_store(part_size=5 * MiB, checksums=True)
    chunks = [bytes([i]) * MiB for i in range(11)]
    info = store.put_stream("crc", iter(chunks))
    assert info.etag.endswith("-3")
    head = store.client.head_object(
        Bucket=store.bucket, Key=f"{store.prefix}crc", ChecksumMode="ENABLED"
    )
    assert head.get("ChecksumCRC32")  # the server kept the CRC32 the parts were sent with
    assert b"".join(store.open_range("crc")) == b"".join(chunks)


def test_s3_one_huge_chunk_is_split_into_parts(make_s3_store: MakeStore) -> None:
    store = make_s3_store(part_size=5 * MiB)
    info = store.put_stream("huge", [b"z" * (12 * MiB)])
    assert info.etag.endswith("-2")  # 5 + 7 MiB (under two parts' worth: sent whole), not 12
    assert store.stat("huge").size == 12 * MiB


def test_s3_keys_live_under_the_prefix(make_s3_store: MakeStore) -> None:
    one = make_s3_store(prefix="/install-a/")
    two = make_s3_store(prefix="install-b")
    one.put_stream("videos/1", [b"from a"])
    two.put_stream("videos/1", [b"from b"])
    raw = one.client.list_objects_v2(Bucket=one.bucket, Prefix="install-")
    assert [o["Key"] for o in raw["Contents"]] == ["install-a/videos/1", "install-b/videos/1"]
    assert [i.key for i in one.list()] == ["videos/1"]
    assert one.delete_prefix("videos/") == 1
    assert b"".join(two.open_range("videos/1")) == b"from b"


def test_s3_store_without_prefix_uses_the_bucket_root(make_s3_store: MakeStore) -> None:
    bucket = f"root-{uuid.uuid4().hex[:8]}"
    store = make_s3_store(bucket=bucket, prefix="")
    store.put_stream("a/b", [b"x"])
    raw = store.client.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in raw["Contents"]] == ["a/b"]


def test_s3_create_bucket_is_idempotent_and_honours_region(make_s3_store: MakeStore) -> None:
    bucket = f"eu-{uuid.uuid4().hex[:8]}"
    first = make_s3_store(bucket=bucket, region="eu-west-1")
    make_s3_store(bucket=bucket, region="eu-west-1")  # already there: no error
    location = first.client.get_bucket_location(Bucket=bucket)["LocationConstraint"]
    assert location == "eu-west-1"


def test_s3_missing_bucket_is_a_storage_error(make_s3_store: MakeStore) -> None:
    store = make_s3_store(bucket=f"absent-{uuid.uuid4().hex[:8]}", create_bucket=False)
    with pytest.raises(StorageError) as raised:
        store.put_stream("k", [b"x"])
    assert not isinstance(raised.value, BlobNotFound)


def test_s3_delete_prefix_deletes_in_batches(make_s3_store: MakeStore) -> None:
    store = make_s3_store()
    # More than the 1,000 keys one DeleteObjects call takes; written in parallel, to be quick.
    def put(i: int) -> None:
        store.client.put_object(Bucket=store.bucket, Key=f"{store.prefix}seg/{i:05d}", Body=b"")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(1003)))
    store.put_stream("keep", [b"k"])
    # moto takes any number of keys per call (S3 refuses more than 1,000): watch the requests.
    batches: list[int] = []
    store.client.meta.events.register(
        "before-call.s3.DeleteObjects",
        lambda params, **_: batches.append(params["body"].count(b"<Key>")),
    )
    assert store.delete_prefix("seg/") == 1003
    assert batches == [1000, 3]
    assert [i.key for i in store.list()] == ["keep"]


@pytest.mark.parametrize("expires_in", [0, 8 * 24 * 3600])
def test_s3_presign_lifetime_is_bounded(make_s3_store: MakeStore, expires_in: int) -> None:
    with pytest.raises(ValueError):
        make_s3_store().presigned_url("k", expires_in=expires_in)


def test_s3_presigned_url_uses_path_style_on_custom_endpoint(
    make_s3_store: MakeStore, s3_endpoint: str
) -> None:
    store = make_s3_store()
    url = store.presigned_url("videos/x")
    assert url is not None
    assert url.startswith(f"{s3_endpoint}/{store.bucket}/{store.prefix}videos/x?")
