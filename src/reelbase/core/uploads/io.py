"""The byte path of the upload engine: metering, hashing, staging, publishing.

Everything here runs under the upload's lock (``lock.py``), called by ``core/uploads/engine.py``,
``chunks.py`` and ``by_url.py``; nothing here checks who is asking.

SHA-256: hashlib objects cannot be saved, so each process keeps the running hash of the uploads
it is writing in memory, together with the offset it covers (:data:`HASHES`). A chunk that starts
where the cached hash ends extends it; anything else (a restart, another process took a chunk, a
failed write) drops it, and the hash is then computed once, by streaming the published object
back from storage, before the upload is committed. Either way the recorded SHA-256 is that of the
bytes in storage.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import hmac
import logging
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from reelbase.core.errors import Conflict, DomainError, ServiceUnavailable
from reelbase.core.runtime import Runtime
from reelbase.db.models import UploadSession
from reelbase.storage.base import StorageError
from reelbase.storage.resumable import (
    ResumableWrites,
    Staged,
    StagedOffsetMismatch,
    resumable_writes,
    staging_prefix,
)

log = logging.getLogger(__name__)
READ_CHUNK = 1 << 20
CHECKSUM_ALGORITHMS = ("sha1", "md5", "sha256")


class OffsetMismatch(Conflict):
    """A write did not start at the upload's current offset (``offset`` says where it is)."""

    code = "offset_mismatch"

    def __init__(self, message: str, *, offset: int) -> None:
        super().__init__(message, offset=offset)
        self.offset = offset


class ChecksumMismatch(DomainError):
    """tus checksum extension: the chunk's digest differs; the chunk was discarded."""

    code = "checksum_mismatch"
    status = 460


@dataclass(frozen=True)
class Checksum:
    algorithm: str  # one of CHECKSUM_ALGORITHMS
    digest: bytes


class HashCache:
    """Running SHA-256 per upload, with the offset it covers; bounded (oldest dropped first)."""

    def __init__(self, size: int = 512) -> None:
        self._items: collections.OrderedDict[str, tuple[int, hashlib._Hash]] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def take(self, upload_id: str, offset: int) -> hashlib._Hash | None:
        """The hash covering exactly ``[0, offset)``, removed from the cache; None if unknown."""
        if offset == 0:
            self.drop(upload_id)
            return hashlib.sha256()
        with self._lock:
            found = self._items.pop(upload_id, None)
        if found is None or found[0] != offset:
            return None
        return found[1]

    def put(self, upload_id: str, offset: int, hasher: hashlib._Hash) -> None:
        with self._lock:
            self._items[upload_id] = (offset, hasher)
            self._items.move_to_end(upload_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def peek(self, upload_id: str, offset: int) -> str | None:
        with self._lock:
            found = self._items.get(upload_id)
            return found[1].hexdigest() if found and found[0] == offset else None

    def drop(self, upload_id: str) -> None:
        with self._lock:
            self._items.pop(upload_id, None)


HASHES = HashCache()


def staged_of(sess: UploadSession) -> Staged:
    return Staged(name=sess.public_id, key=sess.storage_key, content_type=sess.content_type,
                  state=dict(sess.staging or {}))


def writes_for(runtime: Runtime) -> ResumableWrites:
    with storage_errors("opening the upload store"):
        return resumable_writes(runtime.store)


@contextlib.contextmanager
def storage_errors(doing: str) -> Iterator[None]:
    """Storage failures become 503 (transient: ResumableJS treats 500 as permanent); the upload
    itself stays as it was, resumable from its stored offset."""
    try:
        yield
    except StagedOffsetMismatch as e:
        raise OffsetMismatch(f"the upload is at offset {e.expected}, not {e.given}", offset=e.expected) from e
    except StorageError as e:
        log.warning("storage failure while %s: %s", doing, e)
        raise ServiceUnavailable(
            f"storage failed while {doing}; the bytes stored so far are kept, retry this request"
        ) from e


_HASHER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="upload-hash")


def _update_all(hashers: list[hashlib._Hash], chunk: bytes) -> None:
    for h in hashers:
        h.update(chunk)


def metered(
    chunks: Iterable[bytes], *, start: int, max_end: int, too_big: Callable[[], DomainError],
    hashers: list[hashlib._Hash], on_progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """Pass chunks through, hashing them and refusing (before yielding it) any chunk that would
    carry the upload past ``max_end``."""
    # Hash chunk n on a helper thread while the caller writes it (hashlib releases the GIL on
    # large buffers, so the hash and the write overlap on two cores); chunk n+1 is only handed
    # out after chunk n's hash is done, so the updates keep their order.
    pos = start
    pending: Future[None] | None = None
    try:
        for chunk in chunks:
            if not chunk:
                continue
            if pos + len(chunk) > max_end:
                raise too_big()
            pos += len(chunk)
            if hashers:
                if pending is not None:
                    pending.result()
                pending = _HASHER.submit(_update_all, hashers, chunk)
            yield chunk
            if on_progress is not None:
                on_progress(pos)
    finally:
        if pending is not None:
            pending.result()


def append_stream(
    runtime: Runtime, staged: Staged, *, offset: int, chunks: Iterable[bytes], max_end: int,
    too_big: Callable[[], DomainError], final: bool = False, checksum: Checksum | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Append at ``offset`` (which must be the staged size; the staging begun, see
    ``uploads.begin_staging``); returns the new staged size."""
    writes = writes_for(runtime)
    running = HASHES.take(staged.name, offset)
    before = running
    try:
        if checksum is not None:
            size, running = _append_verified(runtime, writes, staged, offset=offset, chunks=chunks,
                                             max_end=max_end, too_big=too_big, checksum=checksum,
                                             running=running, final=final)
        else:
            body = metered(chunks, start=offset, max_end=max_end, too_big=too_big,
                           hashers=[running] if running is not None else [], on_progress=on_progress)
            with storage_errors("writing the chunk"):
                size = writes.append(staged, offset=offset, chunks=body, final=final)
    except ChecksumMismatch:
        if before is not None:  # nothing was written: the old running hash still holds
            HASHES.put(staged.name, offset, before)
        raise
    # Any other failure leaves the running hash dropped: the final hash is then re-read.
    if running is not None:
        HASHES.put(staged.name, size, running)
    return size


def _append_verified(
    runtime: Runtime, writes: ResumableWrites, staged: Staged, *, offset: int, chunks: Iterable[bytes],
    max_end: int, too_big: Callable[[], DomainError], checksum: Checksum, running: hashlib._Hash | None,
    final: bool,
) -> tuple[int, hashlib._Hash | None]:
    """tus checksum extension: hold the chunk in a scratch file until its digest is checked, so a
    bad chunk never reaches the upload (and never moves its offset). Returns the new size and
    the running SHA-256 advanced over the chunk (a copy: the old one stays valid on failure)."""
    digest = hashlib.new(checksum.algorithm)
    trial = [running.copy()] if running is not None else []
    scratch = runtime.scratch_dir / "uploads"
    scratch.mkdir(exist_ok=True)
    with tempfile.TemporaryFile(dir=scratch) as tmp:
        for chunk in metered(chunks, start=offset, max_end=max_end, too_big=too_big, hashers=[digest, *trial]):
            tmp.write(chunk)
        if not hmac.compare_digest(digest.digest(), checksum.digest):
            raise ChecksumMismatch(f"the chunk's {checksum.algorithm} does not match Upload-Checksum; "
                                   "it was discarded, send it again")
        tmp.seek(0)
        with storage_errors("writing the chunk"):
            size = writes.append(staged, offset=offset, chunks=iter(lambda: tmp.read(READ_CHUNK), b""),
                                 final=final)
    return size, (trial[0] if trial else None)


def staged_size(runtime: Runtime, staged: Staged) -> int:
    with storage_errors("reading the upload's offset"):
        return writes_for(runtime).staged_size(staged)


def publish(runtime: Runtime, staged: Staged) -> tuple[int, str, str]:
    """Make the staged object visible at its key; returns (size, etag, sha256)."""
    with storage_errors("publishing the upload"):
        info = writes_for(runtime).complete(staged)
        digest = HASHES.peek(staged.name, info.size) or rehash(runtime, staged.key)
    HASHES.drop(staged.name)
    return info.size, info.etag, digest


def rehash(runtime: Runtime, key: str) -> str:
    h = hashlib.sha256()
    for chunk in runtime.store.open_range(key, chunk_size=READ_CHUNK):
        h.update(chunk)
    return h.hexdigest()


def discard_staging(runtime: Runtime, staged: Staged, *, keep_object: bool = False) -> None:
    """Best effort: remove the staged bytes and helper objects, and (unless ``keep_object``, for
    a committed upload) an object published at the key but never committed."""
    HASHES.drop(staged.name)
    try:
        writes_for(runtime).abort(staged)
    except (ServiceUnavailable, StorageError):
        log.warning("could not abort staged upload %s", staged.name, exc_info=True)
    with contextlib.suppress(StorageError):
        runtime.store.delete_prefix(staging_prefix(staged.name))
        if not keep_object:
            runtime.store.delete(staged.key)
