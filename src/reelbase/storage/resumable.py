"""An optional storage ability: one object written by many requests, in many processes.

tusd-style: :class:`~reelbase.storage.base.BlobStore` stays small, and a backend that can stage an
object piece by piece opts into :class:`ResumableWrites` as well. The upload engine
(``core/uploads/engine.py``) is the only user.

Contract, shared by every implementation (checked by ``tests/uploads/test_resumable_store.py``
against the local and the S3 backend):

* A :class:`Staged` names one staging area: ``name`` (ours, unique per upload, ``[A-Za-z0-9_-]``),
  the final ``key``, the content type, and ``state``: a small JSON-able dict the backend keeps
  there (e.g. an S3 multipart upload id). Every method may change ``state``; the caller persists
  it after each call (it is never needed to find the bytes again: :meth:`staged_size` works from
  the storage alone, which is what makes a crash harmless).
* :meth:`staged_size` is the truth about the offset: the number of bytes durably stored, read
  back from storage (tusd takes the offset from the file size for the same reason). Bytes counted
  there are never lost by a crash of the server process.
* :meth:`append` writes at ``offset``, which must equal :meth:`staged_size` (else
  :class:`StagedOffsetMismatch`). If the chunk iterator raises (client gone), the bytes already
  received are kept when the backend can keep them durably, and the exception propagates. A
  storage failure raises :class:`~reelbase.storage.base.StorageError`; what was stored before it
  stays, and :meth:`staged_size` tells how much. ``final=True`` says that the stream ends the
  object (an S3 backend may then send a short last part).
* :meth:`complete` makes the whole staged object visible at ``key`` at once and is idempotent: after
  a crash between the backend's commit and the caller's bookkeeping, calling it again returns the
  same object's :class:`~reelbase.storage.base.BlobInfo`.
* :meth:`abort` removes everything staged (idempotent).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .base import BlobInfo, BlobStore, StorageError

_NAME = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class StagedOffsetMismatch(StorageError):
    """An append did not start where the staged bytes end."""

    def __init__(self, expected: int, given: int) -> None:
        super().__init__(f"staged object ends at {expected}, not at {given}")
        self.expected = expected
        self.given = given


@dataclass
class Staged:
    name: str
    key: str
    content_type: str | None = None
    state: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"bad staging name {self.name!r}")


@runtime_checkable
class ResumableWrites(Protocol):
    def begin(self, staged: Staged) -> None:
        """Prepare the staging area (idempotent)."""

    def staged_size(self, staged: Staged) -> int:
        """Bytes durably staged so far (after :meth:`complete`: the object's size)."""

    def append(self, staged: Staged, *, offset: int, chunks: Iterable[bytes], final: bool = False) -> int:
        """Append the chunks at ``offset``; returns the new staged size."""

    def complete(self, staged: Staged) -> BlobInfo:
        """Publish the staged bytes at ``staged.key`` atomically (idempotent)."""

    def abort(self, staged: Staged) -> None:
        """Drop everything staged (idempotent)."""


@runtime_checkable
class ChunkWrites(Protocol):
    """A second optional ability: numbered chunks written straight into place, in any order and
    concurrently, so that a complete set needs no assembly (:meth:`ResumableWrites.complete`
    publishes it). A chunk counts as present only once all its bytes are durably written; a
    chunk cut short leaves no trace a reader could take for it."""

    def write_chunk(self, staged: Staged, *, number: int, offset: int, size: int, chunks: Iterable[bytes]) -> None:
        """Write chunk ``number`` (exactly ``size`` bytes from ``chunks``) at ``offset``."""

    def chunks_present(self, staged: Staged) -> set[int]:
        """Numbers of the chunks stored whole."""


def chunk_writes(store: BlobStore) -> ChunkWrites | None:
    """The chunk-in-place ability of ``store``, or None (then chunks are stored as objects of
    their own and assembled at the end)."""
    writes = resumable_writes(store)
    return writes if isinstance(writes, ChunkWrites) else None


def staging_prefix(name: str) -> str:
    """Where a backend (or the engine) may keep helper objects of one upload, as store keys."""
    return f"uploads/{name}/"


@runtime_checkable
class OffersResumableWrites(Protocol):
    """How a backend opts into the ability (as a tusd store offers its optional interfaces):
    it hands out its own implementation, so this module names no backend and the backends'
    modules need nothing from here but the types above."""

    def resumable_writes(self) -> ResumableWrites:
        """This store's :class:`ResumableWrites` (and :class:`ChunkWrites`, if it has them)."""


def resumable_writes(store: BlobStore) -> ResumableWrites:
    """The resumable-write ability of ``store``; raises StorageError if the backend has none."""
    if isinstance(store, OffersResumableWrites):
        return store.resumable_writes()
    raise StorageError(f"{store!r} cannot stage resumable uploads")
