"""Resumable writes for :class:`~reelbase.storage.local.LocalBlobStore`: a part file per upload.

``<root>/.reelbase/uploads/<name>.part`` grows by appends and is renamed onto the key when
complete (after an fsync), on the same filesystem, so the object appears whole or not at all and
is never copied. The part file's size is the offset (see ``append`` on durability).

The store hands this object out (``LocalBlobStore.resumable_writes``), and completing goes
through the store's own ``_install`` (content-type sidecar keyed by the ETag, then the rename
that fsyncs the directory), so a completed upload is indistinguishable from a ``put_stream``;
``tests/uploads/test_resumable_store.py`` checks that. Only the store's type is named here, for
the type checker: at run time ``local.py`` imports this module and nothing imports back.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .base import BlobInfo, BlobNotFound, StorageError
from .resumable import Staged, StagedOffsetMismatch

if TYPE_CHECKING:
    from .local import LocalBlobStore

WRITEBACK_EVERY = 8 << 20


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a range to disk now, without waiting for it (on Linux,
    POSIX_FADV_DONTNEED starts writeback of dirty pages; it also keeps upload bytes from
    crowding the page cache, which serves downloads better)."""
    if length > 0 and hasattr(os, "posix_fadvise"):
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)


def _pwrite_all(fd: int, chunk: bytes, position: int, *, failure: str) -> int:
    """Write the whole chunk at ``position`` (one pwrite may write less); returns where it ends."""
    view = memoryview(chunk)
    while view:
        try:
            n = os.pwrite(fd, view, position)
        except OSError as e:
            raise StorageError(f"{failure}: {e.strerror}") from e
        position += n
        view = view[n:]
    return position


class LocalResumableWrites:
    def __init__(self, store: LocalBlobStore) -> None:
        self.store = store
        self.dir = store.root / ".reelbase" / "uploads"

    def _part(self, staged: Staged) -> Path:
        return self.dir / f"{staged.name}.part"

    def begin(self, staged: Staged) -> None:
        self.store._path(staged.key)  # validate the key now rather than at the end
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                with open(self._part(staged), "xb"):
                    pass
        except OSError as e:
            raise StorageError(f"cannot stage upload {staged.name}: {e.strerror}") from e
        staged.state["part"] = True  # tells the caller the staging exists (nothing to look up)

    def staged_size(self, staged: Staged) -> int:
        try:
            return os.stat(self._part(staged)).st_size
        except FileNotFoundError:
            pass
        except OSError as e:
            raise StorageError(f"cannot read staged upload {staged.name}: {e.strerror}") from e
        # No part file: either completed (renamed onto the key, which is unique to this upload,
        # so its presence alone proves it) or never begun.
        try:
            return self.store.stat(staged.key).size
        except BlobNotFound:
            return 0

    def append(self, staged: Staged, *, offset: int, chunks: Iterable[bytes], final: bool = False) -> int:
        part = self._part(staged)
        try:
            fd = os.open(part, os.O_WRONLY)  # never O_CREAT: a vanished part file is not recreated here
        except FileNotFoundError:
            if offset != 0:
                raise StagedOffsetMismatch(0, offset) from None
            self.begin(staged)
            fd = os.open(part, os.O_WRONLY)
        except OSError as e:
            raise StorageError(f"cannot open staged upload {staged.name}: {e.strerror}") from e
        try:
            size = os.fstat(fd).st_size
            if size != offset:
                raise StagedOffsetMismatch(size, offset)
            # Whatever reaches the file stays, even if the stream then breaks: the client may
            # resume after it. Written bytes are in the kernel's page cache, so a crash of this
            # process loses none of them. There is no fsync per chunk; instead the disk write is
            # started every WRITEBACK_EVERY bytes (asynchronously), so the data reaches the disk
            # while the upload goes on and the fsync in complete() finds little left to do.
            # After a power cut the offset is still the file's size, which a journalling
            # filesystem never lets cover bytes that did not reach the disk: the client re-sends.
            pending = size
            for chunk in chunks:
                size = _pwrite_all(fd, chunk, size, failure=f"writing upload {staged.name} failed")
                if size - pending >= WRITEBACK_EVERY:
                    _start_writeback(fd, pending, size - pending)
                    pending = size
            _start_writeback(fd, pending, size - pending)
            return size
        finally:
            os.close(fd)

    def complete(self, staged: Staged) -> BlobInfo:
        self.store._path(staged.key)  # an invalid key fails before anything is touched
        part = self._part(staged)
        try:
            fd = os.open(part, os.O_RDWR)
        except FileNotFoundError:
            return self.store.stat(staged.key)  # renamed by an earlier call, else BlobNotFound
        try:
            # A fresh nanosecond mtime, as put_stream does, so the ETag changes with every object.
            now = time.time_ns()
            os.utime(fd, ns=(now, now))
            os.fsync(fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        try:
            self.store._install(part, staged.key, st, content_type=staged.content_type or None)
        except OSError as e:
            raise StorageError(f"cannot publish upload {staged.name}: {e.strerror}") from e
        return self.store.stat(staged.key)

    def abort(self, staged: Staged) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._part(staged).unlink()
        shutil.rmtree(self._marks(staged), ignore_errors=True)

    # -- chunks in place (ChunkWrites) ---------------------------------------------------------

    def _marks(self, staged: Staged) -> Path:
        return self.dir / f"{staged.name}.chunks"

    def write_chunk(self, staged: Staged, *, number: int, offset: int, size: int, chunks: Iterable[bytes]) -> None:
        """pwrite at the chunk's offset (chunks of one upload touch disjoint ranges, so parallel
        writers need no lock), fdatasync, and only then the marker file that says "present":
        after any crash a marker always stands for bytes on disk."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._part(staged), os.O_WRONLY | os.O_CREAT, 0o644)
        except OSError as e:
            raise StorageError(f"cannot stage upload {staged.name}: {e.strerror}") from e
        try:
            position = offset
            for chunk in chunks:
                position = _pwrite_all(fd, chunk, position,
                                       failure=f"writing chunk {number} of {staged.name} failed")
            if position - offset != size:
                raise StorageError(f"chunk {number} of {staged.name} got {position - offset} of {size} bytes")
            try:
                os.fdatasync(fd)
                marks = self._marks(staged)
                marks.mkdir(exist_ok=True)
                (marks / str(number)).touch()
            except OSError as e:
                raise StorageError(f"cannot record chunk {number} of {staged.name}: {e.strerror}") from e
        finally:
            os.close(fd)

    def chunks_present(self, staged: Staged) -> set[int]:
        try:
            return {int(p.name) for p in self._marks(staged).iterdir() if p.name.isdigit()}
        except FileNotFoundError:
            return set()
