"""Fixtures for the storage tests: both backends, the S3 one against a real server on loopback."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reelbase.storage import BlobStore, LocalBlobStore, S3BlobStore, StorageError

from .s3server import start_s3_server

BUCKET = "reelbase-test"
CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """URL of a moto_server running for the whole session (stopped at its end)."""
    endpoint_url, stop = start_s3_server()
    try:
        yield endpoint_url
    finally:
        stop()


@pytest.fixture
def make_s3_store(s3_endpoint: str) -> Iterator[Callable[..., S3BlobStore]]:
    """Factory of S3 stores in a shared bucket, each under its own fresh prefix by default.

    A fresh prefix per test isolates the tests and exercises the prefix mapping everywhere.
    """
    made: list[S3BlobStore] = []

    def make(**kwargs: object) -> S3BlobStore:
        options: dict[str, object] = {
            "prefix": f"t-{uuid.uuid4().hex[:12]}",
            "endpoint_url": s3_endpoint,
            "region": "us-east-1",
            "create_bucket": True,
            **CREDENTIALS,
        }
        options.update(kwargs)
        bucket = str(options.pop("bucket", BUCKET))
        store = S3BlobStore(bucket, **options)  # type: ignore[arg-type]
        made.append(store)
        return store

    yield make
    for store in made:  # keep moto's memory small over the session
        with contextlib.suppress(StorageError):  # e.g. a test about a missing bucket
            for info in list(store.list()):
                store.delete(info.key)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """Each contract test runs once per backend."""
    if request.param == "local":
        return LocalBlobStore(tmp_path / "store")
    return request.getfixturevalue("make_s3_store")()


@pytest.fixture
def leftovers() -> Callable[[BlobStore], list[str]]:
    """What an unfinished write may leave: temp files (local) or multipart uploads (S3)."""

    def find(store: BlobStore) -> list[str]:
        if isinstance(store, LocalBlobStore):
            tmp = store.root / ".reelbase" / "tmp"
            return sorted(str(p) for p in tmp.rglob("*"))
        assert isinstance(store, S3BlobStore)
        resp = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix)
        return sorted(u["Key"] for u in resp.get("Uploads", []))

    return find
