"""The storage seam: one small interface that every backend implements.

Keys are relative, slash-separated names chosen by Reelbase (never by a user), e.g.
``videos/<uuid>/original``. Nothing outside ``storage/`` may assume that a key maps to a local
path: workers copy an object to a scratch file with :meth:`BlobStore.get_to_file` and put results
back with :meth:`BlobStore.put_file`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import quote

#: What ``stat`` reports for an object stored without a content type (S3 always keeps one, so the
#: local backend reports the same value to keep the two interchangeable).
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class StorageError(Exception):
    """Base class for storage failures."""


class BlobNotFound(StorageError):
    """The key does not name a stored object."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no stored object at {key!r}")
        self.key = key


class InvalidKey(StorageError):
    """The key is empty, absolute, or climbs out of the store (``..``)."""


@dataclass(frozen=True)
class BlobInfo:
    """What a backend knows about one stored object.

    ``content_type`` is what the put gave (:data:`DEFAULT_CONTENT_TYPE` if it gave none) in
    answers from ``stat`` and ``get_to_file``; ``list`` may leave it None (S3 listings do not
    carry it). ``modified`` may be None in the answer of a put (S3 does not return it).
    """

    key: str
    size: int
    etag: str  # quoted-free opaque validator, stable while the object is unchanged
    content_type: str | None = None
    modified: dt.datetime | None = None


@runtime_checkable
class BlobStore(Protocol):
    """Contract shared by every backend (checked by tests/storage/test_contract.py)."""

    def put_stream(
        self, key: str, chunks: Iterable[bytes], *, content_type: str | None = None
    ) -> BlobInfo:
        """Store the concatenated chunks under ``key``, in constant memory.

        Atomic: readers see either the previous object (or none) or the complete new one, never a
        partial one. If iterating ``chunks`` raises, nothing is left behind and the exception
        propagates unchanged.
        """

    def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> BlobInfo:
        """Store a local file under ``key`` (same atomicity as :meth:`put_stream`)."""

    def open_range(
        self, key: str, start: int = 0, end: int | None = None, *, chunk_size: int = 1 << 20
    ) -> Iterator[bytes]:
        """Yield the bytes ``start..end`` (``end`` inclusive, None = to the last byte).

        Raises :class:`BlobNotFound` before yielding anything if the key is absent (the backends
        here raise it from the call itself, before the first ``next``). An ``end`` past the last
        byte is clamped; a ``start`` at or past the end yields nothing (the caller checks ranges
        against :meth:`stat` for a 416). A negative ``start`` or an ``end < start`` raises
        ValueError. Chunks are at most ``chunk_size`` bytes; memory stays constant.
        """

    def get_to_file(self, key: str, path: Path) -> BlobInfo:
        """Copy the object to a local file (for workers that need a path for ffmpeg).

        Creates missing parent directories; the copy is independent of the store (writing to it
        never changes the stored object). Raises :class:`BlobNotFound` without creating ``path``.
        """

    def stat(self, key: str) -> BlobInfo:
        """Size, ETag, content type, modification time. Raises :class:`BlobNotFound`."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting an absent key is not an error."""

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix``; returns how many.

        An empty prefix raises :class:`InvalidKey`: wiping a whole store takes an explicit loop.
        """

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every object whose key starts with ``prefix``, in key order."""

    def presigned_url(
        self, key: str, *, expires_in: int = 3600, filename: str | None = None,
        cache_control: str | None = None,
    ) -> str | None:
        """A URL a client can GET directly, or None when the backend can only be proxied. The
        answer to it names ``filename`` as an attachment and carries ``cache_control``, if given.

        Optional abilities a backend may add, each a method looked up with ``getattr``:
        ``resumable_writes()`` (``storage/resumable.py``) and ``local_file(key) -> Path`` (a store
        whose objects are plain files names the file, so it can be sent by the OS).
        """


def exists_by_stat(store: BlobStore, key: str) -> bool:
    """:meth:`BlobStore.exists` for a backend whose :meth:`~BlobStore.stat` is cheap: both built-in
    backends bind it as their method (``exists = exists_by_stat``)."""
    try:
        store.stat(key)
    except BlobNotFound:
        return False
    return True


def check_key(key: str) -> str:
    """Validate a storage key; returns it unchanged or raises :class:`InvalidKey`."""
    if not key or key.startswith("/") or "\x00" in key or "\\" in key:
        raise InvalidKey(f"invalid storage key {key!r}")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidKey(f"invalid storage key {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """Validate a listing prefix: empty, or a key (or the start of one, e.g. ``videos/``)."""
    if prefix:
        check_key(prefix + "x")  # "videos/" and "videos/ab" are valid starts of keys
    return prefix


# RFC 5987 attr-char: the characters that may stand unescaped in ``filename*``.
_ATTR_CHARS = "!#$&+-.^_`|~"


def content_disposition(filename: str, *, disposition: str = "attachment") -> str:
    """A Content-Disposition value naming ``filename`` (RFC 6266, ``filename*`` per RFC 5987).

    Path separators and control characters become ``_`` (a name, never a path). The plain
    ``filename`` parameter is an ASCII fallback for old clients (accents dropped, other
    characters and quotes as ``_``, ``download`` when nothing readable is left); ``filename*``
    carries the exact UTF-8 name and is added whenever it differs. Shared by S3 presigned URLs
    and proxied downloads so both name files the same way.
    """
    name = "".join(
        "_" if c in "/\\" or ord(c) < 0x20 or ord(c) == 0x7F else c for c in filename
    )
    fallback = _ascii_fallback(name)
    encoded = quote(name, safe=_ATTR_CHARS)
    if encoded == fallback or not name:
        return f'{disposition}; filename="{fallback}"'
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _ascii_fallback(name: str) -> str:
    chars = (c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    fallback = "".join(c if c.isascii() and c != '"' else "_" for c in chars).strip()
    stem, dot, ext = fallback.rpartition(".")
    if not any(c.isalnum() for c in (stem if dot else fallback)):
        return "download" + (dot + ext if dot and ext.isalnum() else "")
    return fallback
