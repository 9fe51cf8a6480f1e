"""open_store: from a storage URL in the settings to a backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelbase.storage import LocalBlobStore, S3BlobStore, open_store

from .conftest import CREDENTIALS


def test_open_store_file_url(tmp_path: Path) -> None:
    store = open_store(f"file://{tmp_path}/media%20dir")
    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "media dir"
    store.put_stream("k", [b"x"])
    assert (tmp_path / "media dir" / "k").read_bytes() == b"x"


def test_open_store_file_url_with_localhost(tmp_path: Path) -> None:
    store = open_store(f"file://localhost{tmp_path}")
    assert isinstance(store, LocalBlobStore) and store.root == tmp_path


def test_open_store_plain_path_ignores_s3_options(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "m"), region="eu-west-1", endpoint_url="http://x")
    assert isinstance(store, LocalBlobStore) and store.root == tmp_path / "m"


def test_open_store_s3_url_with_prefix(s3_endpoint: str) -> None:
    store = open_store(
        "s3://factory-bucket/reel/base/", endpoint_url=s3_endpoint, create_bucket=True,
        **CREDENTIALS,
    )
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("factory-bucket", "reel/base/")
    store.put_stream("k", [b"via factory"])
    raw = store.client.get_object(Bucket="factory-bucket", Key="reel/base/k")
    assert raw["Body"].read() == b"via factory"


@pytest.mark.parametrize(
    "url",
    ["", "ftp://host/x", "file://remote-host/x", "file:relative", "s3://", "s3:///prefix",
     "s3://key:secret@bucket/x", "s3://bucket/x?region=eu"],
)
def test_open_store_refuses_unusable_urls(url: str) -> None:
    with pytest.raises(ValueError):
        open_store(url)
