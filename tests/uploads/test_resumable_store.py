"""The resumable-write ability (storage/resumable.py) on both backends: offsets read back from
storage, appends, a client gone mid-stream, completion (idempotent), abort."""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelbase.storage import BlobStore, LocalBlobStore, S3BlobStore, StorageError
from reelbase.storage.resumable import (
    OffersResumableWrites,
    ResumableWrites,
    Staged,
    StagedOffsetMismatch,
    chunk_writes,
    resumable_writes,
)

MiB = 1 << 20


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "store")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3BlobStore("reelbase-uploads", prefix=f"rs-{uuid.uuid4().hex[:8]}", endpoint_url=endpoint,
                       access_key_id="testing", secret_access_key="testing", create_bucket=True)


def _staged(content_type: str | None = "video/mp4") -> Staged:
    return Staged(name=secrets.token_hex(16), key=f"videos/{uuid.uuid4()}/original/x", content_type=content_type)


def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def _reopened(store: BlobStore, staged: Staged) -> tuple[ResumableWrites, Staged]:
    """What a restarted server has: a new adapter and the state saved in the database."""
    return resumable_writes(store), Staged(staged.name, staged.key, staged.content_type, dict(staged.state))


def test_resumable_appends_survive_a_new_process_and_publish_whole(store: BlobStore) -> None:
    writes, staged = resumable_writes(store), _staged()
    writes.begin(staged)
    data = os.urandom(13 * MiB + 7)
    offset = 0
    for cut in (700_000, 6 * MiB, 1, 5 * MiB):  # small ones end up in tails, big ones in parts
        offset = writes.append(staged, offset=offset, chunks=_pieces(data[offset:offset + cut], 256 * 1024))
        w2, s2 = _reopened(store, staged)
        assert w2.staged_size(s2) == offset
    writes.append(staged, offset=offset, chunks=[data[offset:]], final=True)
    assert not store.exists(staged.key)  # nothing visible before completion
    info = writes.complete(staged)
    assert info.size == len(data) and store.stat(staged.key).content_type == "video/mp4"
    assert hashlib.sha256(b"".join(store.open_range(staged.key))).digest() == hashlib.sha256(data).digest()
    again = resumable_writes(store).complete(staged)  # a retry after a crash in the caller
    assert (again.size, again.etag) == (info.size, store.stat(staged.key).etag)
    assert resumable_writes(store).staged_size(staged) == len(data)
    assert [i.key for i in store.list("uploads/")] == []


def test_resumable_append_at_wrong_offset_raises(store: BlobStore) -> None:
    writes, staged = resumable_writes(store), _staged()
    writes.begin(staged)
    writes.append(staged, offset=0, chunks=[b"abc"])
    with pytest.raises(StagedOffsetMismatch) as info:
        writes.append(staged, offset=1, chunks=[b"x"])
    assert info.value.expected == 3
    assert writes.staged_size(staged) == 3


def test_resumable_client_gone_midstream_keeps_received_bytes(store: BlobStore) -> None:
    writes, staged = resumable_writes(store), _staged()
    writes.begin(staged)

    def dying() -> Iterator[bytes]:
        yield b"a" * 1000
        yield b"b" * 500
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        writes.append(staged, offset=0, chunks=dying())
    assert resumable_writes(store).staged_size(staged) == 1500
    writes.append(staged, offset=1500, chunks=[b"c" * 10], final=True)
    writes.complete(staged)
    assert b"".join(store.open_range(staged.key)) == b"a" * 1000 + b"b" * 500 + b"c" * 10


def test_resumable_abort_removes_everything(store: BlobStore) -> None:
    writes, staged = resumable_writes(store), _staged()
    writes.begin(staged)
    writes.append(staged, offset=0, chunks=[os.urandom(1000)])
    writes.abort(staged)
    writes.abort(staged)  # idempotent
    assert not store.exists(staged.key)
    assert [i.key for i in store.list("uploads/")] == []
    if isinstance(store, LocalBlobStore):
        assert list((store.root / ".reelbase" / "uploads").glob("*")) == []
    else:
        assert isinstance(store, S3BlobStore)
        uploads = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix).get("Uploads", [])
        assert uploads == []


def test_resumable_local_completion_is_a_rename_not_a_copy(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "store")
    writes, staged = resumable_writes(store), _staged()
    writes.begin(staged)
    writes.append(staged, offset=0, chunks=[b"x" * 4096])
    part = store.root / ".reelbase" / "uploads" / f"{staged.name}.part"
    inode = part.stat().st_ino
    writes.complete(staged)
    assert (store.root / staged.key).stat().st_ino == inode and not part.exists()


def test_resumable_staging_name_is_validated() -> None:
    for bad in ("../x", "a/b", "short", ""):
        with pytest.raises(ValueError):
            Staged(name=bad, key="videos/x")


def test_local_chunks_in_place_any_order_marker_only_when_whole(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "store")
    in_place = chunk_writes(store)
    assert in_place is not None
    staged = _staged()
    data = os.urandom(3000)
    for number in (3, 1):
        start = (number - 1) * 1000
        in_place.write_chunk(staged, number=number, offset=start, size=1000, chunks=[data[start:start + 1000]])

    def cut_short() -> Iterator[bytes]:
        yield data[1000:1500]
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        in_place.write_chunk(staged, number=2, offset=1000, size=1000, chunks=cut_short())
    assert in_place.chunks_present(staged) == {1, 3}  # the broken chunk does not count
    in_place.write_chunk(staged, number=2, offset=1000, size=1000, chunks=[data[1000:2000]])
    assert in_place.chunks_present(staged) == {1, 2, 3}
    resumable_writes(store).complete(staged)
    assert b"".join(store.open_range(staged.key)) == data
    resumable_writes(store).abort(staged)  # tidies the markers; the published object stays
    assert in_place.chunks_present(staged) == set() and store.exists(staged.key)


def test_s3_has_no_chunks_in_place() -> None:
    store = S3BlobStore("b", endpoint_url="http://127.0.0.1:9", access_key_id="x", secret_access_key="y")
    assert chunk_writes(store) is None


def test_resumable_writes_come_from_the_backend_that_offers_them(store: BlobStore) -> None:
    # The ability is the backend's own (it opts in with a method), not picked by its class.
    assert isinstance(store, OffersResumableWrites)
    assert type(resumable_writes(store)) is type(store.resumable_writes())


def test_resumable_writes_refused_for_a_store_without_the_ability() -> None:
    class ReadOnlyShelf:  # a store of someone else's that never opted in
        def stat(self, key: str) -> None:
            raise NotImplementedError

    with pytest.raises(StorageError, match="cannot stage resumable uploads"):
        resumable_writes(ReadOnlyShelf())  # type: ignore[arg-type]
