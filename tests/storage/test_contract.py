"""The BlobStore contract (storage/base.py): every backend passes this module unchanged.

The ``store`` fixture (conftest.py) runs each test once on the local filesystem and once on a
real S3-protocol server on loopback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from reelbase.storage import (
    DEFAULT_CONTENT_TYPE,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    InvalidKey,
    LocalBlobStore,
    content_disposition,
)

MiB = 1 << 20
DATA = bytes(range(256)) * 4  # 1024 bytes, every offset distinguishable
LAST = len(DATA) - 1


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def same(a: BlobInfo, b: BlobInfo) -> bool:
    return (a.key, a.size, a.etag, a.content_type) == (b.key, b.size, b.etag, b.content_type)


def test_store_implements_protocol(store: BlobStore) -> None:
    assert isinstance(store, BlobStore)


def test_put_stream_then_stat_roundtrip(store: BlobStore) -> None:
    key = "videos/abc/original"
    info = store.put_stream(key, chunked(DATA, 100), content_type="video/mp4")
    assert (info.key, info.size, info.content_type) == (key, len(DATA), "video/mp4")
    assert info.etag and '"' not in info.etag
    st = store.stat(key)
    assert same(st, info)
    assert st.modified is not None
    assert abs(st.modified - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert store.stat(key).etag == st.etag  # stable while unchanged
    assert store.exists(key)
    assert b"".join(store.open_range(key)) == DATA


def test_put_without_content_type_reports_octet_stream(store: BlobStore) -> None:
    info = store.put_stream("a/blob", [b"xyz"])
    assert info.content_type == DEFAULT_CONTENT_TYPE
    assert store.stat("a/blob").content_type == DEFAULT_CONTENT_TYPE


def test_put_empty_object(store: BlobStore, tmp_path: Path) -> None:
    info = store.put_stream("empty", iter(()), content_type="text/plain")
    assert info.size == 0 and store.stat("empty").size == 0
    assert b"".join(store.open_range("empty")) == b""
    store.get_to_file("empty", tmp_path / "e")
    assert (tmp_path / "e").read_bytes() == b""


def test_put_file_roundtrip(store: BlobStore, tmp_path: Path) -> None:
    src = tmp_path / "in.bin"
    src.write_bytes(DATA * 3)
    info = store.put_file("files/in.bin", src, content_type="application/x-test")
    assert info.size == len(DATA) * 3
    assert same(store.stat("files/in.bin"), info)
    assert b"".join(store.open_range("files/in.bin")) == DATA * 3


def test_overwrite_changes_etag_content_and_type(store: BlobStore) -> None:
    first = store.put_stream("k", [DATA], content_type="video/mp4")
    second = store.put_stream("k", [DATA[::-1]])  # same size, other bytes, no type
    assert second.etag != first.etag
    st = store.stat("k")
    assert st.etag == second.etag
    assert st.content_type == DEFAULT_CONTENT_TYPE  # the old type does not survive
    assert b"".join(store.open_range("k")) == DATA[::-1]


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, None), (7, None), (3, 9), (LAST, LAST), (LAST, None), (0, LAST), (0, 0), (1000, 5000)],
    ids=["whole", "start-only", "start-end", "last-byte", "last-open", "explicit-whole",
         "first-byte", "end-clamped"],
)
def test_open_range_reads_inclusive_range(store: BlobStore, start: int, end: int | None) -> None:
    store.put_stream("r", [DATA])
    chunks = list(store.open_range("r", start, end, chunk_size=100))
    stop = None if end is None else end + 1
    assert b"".join(chunks) == DATA[start:stop]
    assert all(0 < len(c) <= 100 for c in chunks)


@pytest.mark.parametrize("start", [len(DATA), len(DATA) + 10])
def test_open_range_from_past_the_end_yields_nothing(store: BlobStore, start: int) -> None:
    store.put_stream("r", [DATA])
    assert list(store.open_range("r", start)) == []


@pytest.mark.parametrize(("start", "end"), [(-1, None), (5, 4)])
def test_open_range_rejects_bad_ranges(store: BlobStore, start: int, end: int | None) -> None:
    store.put_stream("r", [DATA])
    with pytest.raises(ValueError):
        store.open_range("r", start, end)


def test_open_range_keeps_reading_the_version_it_opened(store: BlobStore) -> None:
    store.put_stream("v", [DATA])
    reader = store.open_range("v", chunk_size=10)
    first = next(reader)
    store.put_stream("v", [b"new"])
    assert first + b"".join(reader) == DATA
    assert b"".join(store.open_range("v")) == b"new"


def test_get_to_file_copies_the_object(store: BlobStore, tmp_path: Path) -> None:
    store.put_stream("videos/1/original", [DATA], content_type="video/mp4")
    dest = tmp_path / "scratch" / "sub" / "input"
    info = store.get_to_file("videos/1/original", dest)
    assert dest.read_bytes() == DATA
    assert same(info, store.stat("videos/1/original"))
    dest.write_bytes(b"worker scribbles")  # the copy is the worker's own
    assert b"".join(store.open_range("videos/1/original")) == DATA


def test_list_by_prefix_in_key_order(store: BlobStore) -> None:
    keys = ["b", "a/c/d", "ab", "a-c", "a/b", "a/c.txt", "z/y/x"]
    for i, key in enumerate(keys):
        store.put_stream(key, [b"x" * (i + 1)])
    assert [i.key for i in store.list()] == sorted(keys)
    assert [i.key for i in store.list("a/")] == ["a/b", "a/c.txt", "a/c/d"]
    assert [i.key for i in store.list("a")] == ["a-c", "a/b", "a/c.txt", "a/c/d", "ab"]
    assert [i.key for i in store.list("a/c")] == ["a/c.txt", "a/c/d"]
    assert list(store.list("nothing/")) == []
    assert list(store.list("b/")) == []  # "b" is an object, not a prefix of one
    for info in store.list():
        st = store.stat(info.key)
        assert (info.size, info.etag) == (st.size, st.etag)


@pytest.mark.parametrize("prefix", ["../", "/x", "a//", "nul\x00"])
def test_list_rejects_invalid_prefix(store: BlobStore, prefix: str) -> None:
    with pytest.raises(InvalidKey):
        list(store.list(prefix))


def test_delete_removes_object_and_tolerates_absent_key(store: BlobStore) -> None:
    store.put_stream("d/x", [DATA])
    store.put_stream("d/y", [DATA])
    store.delete("d/x")
    assert not store.exists("d/x")
    with pytest.raises(BlobNotFound):
        store.stat("d/x")
    assert [i.key for i in store.list()] == ["d/y"]
    store.delete("d/x")  # again: not an error
    store.delete("never/there")
    assert [i.key for i in store.list()] == ["d/y"]


def test_delete_prefix_removes_only_matching_keys(store: BlobStore) -> None:
    for key in ["videos/1/a", "videos/1/b/c", "videos/10/a", "videos/2/a"]:
        store.put_stream(key, [key.encode()])
    assert store.delete_prefix("videos/1/") == 2
    assert [i.key for i in store.list()] == ["videos/10/a", "videos/2/a"]
    assert store.delete_prefix("videos/1") == 1
    assert store.delete_prefix("nothing/") == 0
    assert [i.key for i in store.list()] == ["videos/2/a"]


def test_delete_prefix_refuses_empty_prefix(store: BlobStore) -> None:
    store.put_stream("keep", [DATA])
    with pytest.raises(InvalidKey):
        store.delete_prefix("")
    assert store.exists("keep")


def test_absent_key_raises_blob_not_found(store: BlobStore, tmp_path: Path) -> None:
    store.put_stream("present", [DATA])
    with pytest.raises(BlobNotFound) as e:
        store.stat("absent")
    assert e.value.key == "absent"
    with pytest.raises(BlobNotFound):
        store.open_range("absent")  # raised by the call itself, before any iteration
    with pytest.raises(BlobNotFound):
        store.get_to_file("absent", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not store.exists("absent")


def _touch(tmp_path: Path) -> Path:
    (tmp_path / "f").write_bytes(b"f")
    return tmp_path / "f"


OPERATIONS: dict[str, Callable[[BlobStore, str, Path], object]] = {
    "put_stream": lambda s, k, p: s.put_stream(k, [b"x"]),
    "put_file": lambda s, k, p: s.put_file(k, _touch(p)),
    "open_range": lambda s, k, p: s.open_range(k),
    "get_to_file": lambda s, k, p: s.get_to_file(k, p / "out"),
    "stat": lambda s, k, p: s.stat(k),
    "exists": lambda s, k, p: s.exists(k),
    "delete": lambda s, k, p: s.delete(k),
    "presigned_url": lambda s, k, p: s.presigned_url(k),
}


@pytest.mark.parametrize("key", ["", "../x", "a/../b", "/abs", "a//b", "a/", "./a", "nul\x00",
                                 "back\\slash"])
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_invalid_key_raises(store: BlobStore, tmp_path: Path, operation: str, key: str) -> None:
    with pytest.raises(InvalidKey):
        OPERATIONS[operation](store, key, tmp_path)
    assert list(store.list()) == []


class Boom(Exception):
    pass


def _failing(chunk_count: int, error: Exception) -> Iterator[bytes]:
    for i in range(chunk_count):
        yield bytes([i % 256]) * MiB
    raise error


@pytest.mark.parametrize("chunk_count", [0, 1, 20], ids=["at-once", "small", "multipart"])
def test_failing_iterator_leaves_nothing(
    store: BlobStore, leftovers: Callable[[BlobStore], list[str]], chunk_count: int
) -> None:
    error = Boom("source went away")
    with pytest.raises(Boom) as raised:
        store.put_stream("up/video", _failing(chunk_count, error), content_type="video/mp4")
    assert raised.value is error  # propagated unchanged
    with pytest.raises(BlobNotFound):
        store.stat("up/video")
    assert list(store.list()) == []
    assert leftovers(store) == []


def test_failing_overwrite_keeps_previous_object(
    store: BlobStore, leftovers: Callable[[BlobStore], list[str]]
) -> None:
    before = store.put_stream("up/video", [DATA], content_type="video/mp4")
    with pytest.raises(Boom):
        store.put_stream("up/video", _failing(12, Boom()), content_type="video/webm")
    assert same(store.stat("up/video"), before)
    assert b"".join(store.open_range("up/video")) == DATA
    assert leftovers(store) == []


def test_put_and_read_in_constant_memory(store: BlobStore) -> None:
    total = 64 * MiB
    expected = hashlib.sha256()

    def generate() -> Iterator[bytes]:
        for i in range(total // MiB):
            chunk = bytes([i % 251]) * MiB  # a fresh object each time, like a network read
            expected.update(chunk)
            yield chunk

    tracemalloc.start()
    try:
        info = store.put_stream("big/video", generate())
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        got = hashlib.sha256()
        for chunk in store.open_range("big/video"):
            got.update(chunk)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.size == total and store.stat("big/video").size == total
    assert got.hexdigest() == expected.hexdigest()
    assert put_peak < 24 * MiB, f"put peak {put_peak / MiB:.1f} MiB"
    assert read_peak < 8 * MiB, f"read peak {read_peak / MiB:.1f} MiB"


def test_presigned_url_serves_bytes_with_filename(store: BlobStore) -> None:
    store.put_stream("videos/9/original", [DATA], content_type="video/mp4")
    filename = 'Mon "film" – été.mp4'
    url = store.presigned_url("videos/9/original", expires_in=600, filename=filename)
    if isinstance(store, LocalBlobStore):
        assert url is None  # served through the app instead
        return
    assert url is not None
    with httpx.Client(trust_env=False, timeout=10) as client:
        resp = client.get(url)
        assert resp.status_code == 200
        assert resp.content == DATA
        assert resp.headers["content-disposition"] == content_disposition(filename)
        assert resp.headers["content-type"] == "video/mp4"
        plain = client.get(store.presigned_url("videos/9/original") or "")
        assert plain.content == DATA and "content-disposition" not in plain.headers
        partial = client.get(url, headers={"Range": "bytes=2-5"})  # players seek this way
        assert partial.status_code == 206 and partial.content == DATA[2:6]
