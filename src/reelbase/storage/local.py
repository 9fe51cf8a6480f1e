"""A :class:`~reelbase.storage.base.BlobStore` on a local (or mounted) filesystem.

Layout under ``root``::

    <key>                         the object's bytes, a plain file (so a web server can send it)
    .reelbase/tmp/<uuid>          writes in progress; os.replace()d onto <key> when complete
    .reelbase/meta/<hh>/<sha>.json  content type of the key whose SHA-256 is <sha>

Keys whose first segment is ``.reelbase`` are refused (InvalidKey): that name is the store's own.

ETag: a digest of (device, inode, size, mtime_ns) of the data file. Every put writes a new file
(new inode, mtime set from a nanosecond clock) and renames it into place, so the ETag changes
with every overwrite, stays the same while the file is untouched, and, being derived from the
file itself, can never describe other bytes than the ones stored, even after a crash.

Content type: a sidecar that records the ETag of the file it describes. It is written *before*
the data file is renamed into place and only trusted when the ETags match, so a crash between the
two renames degrades to :data:`DEFAULT_CONTENT_TYPE`, never to another object's type.

Limitation of a filesystem: a key cannot be both an object and a "directory" of other keys
(``a`` and ``a/b``); such a put raises :class:`StorageError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import stat as stat_mod
import time
import uuid
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path

from .base import (
    DEFAULT_CONTENT_TYPE,
    BlobInfo,
    BlobNotFound,
    InvalidKey,
    StorageError,
    check_key,
    check_prefix,
    exists_by_stat,
)
from .resumable_local import LocalResumableWrites

_INTERNAL = ".reelbase"
_COPY_CHUNK = 1 << 20
# Errors that mean "no regular file at this key": absent, or a path through/onto a directory.
_ABSENT = (FileNotFoundError, NotADirectoryError, IsADirectoryError)


class LocalBlobStore:
    """Objects as plain files under ``root`` (created if missing)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().resolve()
        self._tmp = self.root / _INTERNAL / "tmp"
        self._meta = self.root / _INTERNAL / "meta"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._meta.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    # -- writing -------------------------------------------------------------------------------

    def put_stream(
        self, key: str, chunks: Iterable[bytes], *, content_type: str | None = None
    ) -> BlobInfo:
        self._path(key)  # validate the key before writing anything
        tmp = self._tmp / uuid.uuid4().hex
        try:
            with open(tmp, "xb") as f:
                for chunk in chunks:
                    f.write(chunk)
                f.flush()
                # A fine-grained mtime: the kernel's file clock ticks every few ms, and the ETag
                # must differ between two same-sized writes that reuse a freed inode.
                now = time.time_ns()
                os.utime(f.fileno(), ns=(now, now))
                os.fsync(f.fileno())
                st = os.fstat(f.fileno())
            self._install(tmp, key, st, content_type=content_type)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        if content_type is None:
            # A leftover sidecar would not match the new ETag anyway; this just tidies up.
            with contextlib.suppress(FileNotFoundError):
                self._meta_path(key).unlink()
        return _info(key, st, content_type or DEFAULT_CONTENT_TYPE)

    def put_file(self, key: str, path: Path, *, content_type: str | None = None) -> BlobInfo:
        self._path(key)  # validate the key before touching the source file
        with open(path, "rb") as src:
            return self.put_stream(key, iter(lambda: src.read(_COPY_CHUNK), b""),
                                   content_type=content_type)

    def resumable_writes(self) -> LocalResumableWrites:
        """The optional ability of ``storage/resumable.py``: uploads staged in part files."""
        return LocalResumableWrites(self)

    def _install(self, tmp: Path, key: str, st: os.stat_result, *, content_type: str | None) -> None:
        """Make the finished, fsynced file ``tmp`` (whose stat is ``st``) the object at ``key``:
        the content-type sidecar first, then the rename (see the module docstring for why in
        that order). Shared by puts and completed resumable uploads, so both store alike."""
        if content_type is not None:
            self._write_meta(key, _etag(st), content_type)
        self._rename_into_place(tmp, self._path(key))

    def _rename_into_place(self, tmp: Path, path: Path) -> None:
        # A concurrent delete may prune the parent directory between mkdir and replace: retry.
        for attempt in range(5):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, path)
                break
            except FileNotFoundError:
                if attempt == 4:
                    raise
            except (NotADirectoryError, FileExistsError, IsADirectoryError) as e:
                raise StorageError(
                    f"cannot store {path.relative_to(self.root).as_posix()!r}: a key is both an "
                    f"object and a prefix of other keys ({e.strerror})"
                ) from e
        _fsync_dir(path.parent)

    def _write_meta(self, key: str, etag: str, content_type: str) -> None:
        meta = self._meta_path(key)
        meta.parent.mkdir(exist_ok=True)
        tmp = self._tmp / f"{uuid.uuid4().hex}.meta"
        try:
            tmp.write_text(json.dumps({"key": key, "etag": etag, "content_type": content_type}))
            os.replace(tmp, meta)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise

    # -- reading -------------------------------------------------------------------------------

    def open_range(
        self, key: str, start: int = 0, end: int | None = None, *, chunk_size: int = 1 << 20
    ) -> Iterator[bytes]:
        if start < 0 or (end is not None and end < start) or chunk_size <= 0:
            raise ValueError(f"bad range {start}-{end} (chunk_size {chunk_size})")
        path = self._path(key)
        gen = self._read_range(key, path, start, end, chunk_size)
        next(gen)  # runs up to "file is open": BlobNotFound is raised here, by open_range itself
        return gen  # type: ignore[return-value]

    def _read_range(
        self, key: str, path: Path, start: int, end: int | None, chunk_size: int
    ) -> Generator[bytes | None, None, None]:
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed in the finally below
        except _ABSENT:
            raise BlobNotFound(key) from None
        try:
            yield None  # primed by open_range; a started generator closes the file when dropped
            # The open file keeps its bytes even if the key is overwritten or deleted meanwhile.
            size = os.fstat(f.fileno()).st_size
            last = size - 1 if end is None else min(end, size - 1)
            f.seek(start)
            remaining = last - start + 1
            while remaining > 0:
                data = f.read(min(chunk_size, remaining))
                if not data:
                    break
                remaining -= len(data)
                yield data
        finally:
            f.close()

    def get_to_file(self, key: str, path: Path) -> BlobInfo:
        src_path = self._path(key)
        try:
            src = open(src_path, "rb")  # noqa: SIM115
        except _ABSENT:
            raise BlobNotFound(key) from None
        with src:
            st = os.fstat(src.fileno())
            info = _info(key, st, self._content_type(key, _etag(st)))
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            # A real copy, not a hard link: a worker writing to its scratch file in place must
            # never change the stored object. copy_file_range lets the kernel copy (or reflink on
            # filesystems that share extents) without the bytes passing through Python.
            with open(path, "wb") as dst:
                try:
                    _copy_fd(src.fileno(), dst.fileno(), st.st_size)
                except BaseException:
                    dst.close()
                    path.unlink(missing_ok=True)
                    raise
        return info

    def stat(self, key: str) -> BlobInfo:
        path = self._path(key)
        try:
            st = os.stat(path)
        except _ABSENT:
            raise BlobNotFound(key) from None
        if not stat_mod.S_ISREG(st.st_mode):
            raise BlobNotFound(key)
        return _info(key, st, self._content_type(key, _etag(st)))

    exists = exists_by_stat

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        check_prefix(prefix)
        base, _, first = prefix.rpartition("/")
        start = self.root / base if base else self.root
        if not start.resolve().is_relative_to(self.root):
            raise InvalidKey(f"prefix {prefix!r} leads outside the store")
        yield from self._walk(start, base + "/" if base else "", first)

    def _walk(self, directory: Path, key_prefix: str, name_prefix: str) -> Iterator[BlobInfo]:
        try:
            with os.scandir(directory) as it:
                entries = [e for e in it if e.name.startswith(name_prefix)]
        except _ABSENT:
            return
        if not key_prefix:
            entries = [e for e in entries if e.name != _INTERNAL]
        # Key order: every key under directory "a" starts with "a/", so sorting a directory's
        # name as "a/" puts it exactly where its keys belong among its sibling files.
        entries.sort(key=lambda e: e.name + "/" if e.is_dir(follow_symlinks=False) else e.name)
        for entry in entries:
            key = key_prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                yield from self._walk(Path(entry.path), key + "/", "")
            elif entry.is_file(follow_symlinks=False):
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # deleted while we walked
                    continue
                yield _info(key, st, None)

    def presigned_url(
        self, key: str, *, expires_in: int = 3600, filename: str | None = None,
        cache_control: str | None = None,
    ) -> str | None:
        self._path(key)
        return None  # files are served through the app (or a web server in front of it)

    def local_file(self, key: str) -> Path:
        """The optional ability of a store whose objects are plain files: the file of ``key``, so
        the server can hand it to the OS to send (see ``edge/files.py``). The file at that path is
        replaced by renaming, never rewritten in place, so an open or mapped copy stays intact."""
        return self._path(key)

    def _content_type(self, key: str, etag: str) -> str:
        try:
            meta = json.loads(self._meta_path(key).read_text())
        except (FileNotFoundError, ValueError):
            return DEFAULT_CONTENT_TYPE
        if meta.get("etag") != etag or meta.get("key") != key:
            return DEFAULT_CONTENT_TYPE  # the sidecar describes another version of the file
        return str(meta.get("content_type") or DEFAULT_CONTENT_TYPE)

    # -- deleting ------------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except _ABSENT:
            return
        except PermissionError:
            if path.is_dir():  # Linux answers EISDIR, macOS EPERM: a directory is not an object
                return
            raise
        with contextlib.suppress(FileNotFoundError):
            self._meta_path(key).unlink()
        self._prune(path.parent)

    def delete_prefix(self, prefix: str) -> int:
        if not prefix:
            raise InvalidKey("delete_prefix needs a non-empty prefix")
        # Materialise first: deleting while walking a directory would disturb the walk.
        keys = [info.key for info in self.list(prefix)]
        for key in keys:
            self.delete(key)
        return len(keys)

    def _prune(self, directory: Path) -> None:
        """Remove empty directories from ``directory`` up to (not including) the root."""
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:  # not empty (or already gone): stop climbing
                return
            directory = directory.parent

    # -- paths ---------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        check_key(key)
        if key.split("/", 1)[0] == _INTERNAL:
            raise InvalidKey(f"storage key {key!r} uses the reserved name {_INTERNAL!r}")
        path = self.root / key
        # A symlink inside the root must not lead a key outside of it.
        if not path.resolve().is_relative_to(self.root):
            raise InvalidKey(f"storage key {key!r} leads outside the store")
        return path

    def _meta_path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self._meta / digest[:2] / f"{digest}.json"


def _etag(st: os.stat_result) -> str:
    ident = f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"
    return hashlib.blake2b(ident.encode(), digest_size=16).hexdigest()


def _info(key: str, st: os.stat_result, content_type: str | None) -> BlobInfo:
    return BlobInfo(
        key=key,
        size=st.st_size,
        etag=_etag(st),
        content_type=content_type,
        modified=dt.datetime.fromtimestamp(st.st_mtime_ns / 1e9, tz=dt.UTC),
    )


def _copy_fd(src: int, dst: int, size: int) -> None:
    copied = 0
    try:
        while copied < size:
            n = os.copy_file_range(src, dst, size - copied, copied, copied)
            if n == 0:
                break
            copied += n
        return
    except OSError:
        if copied:  # failed half way: let the generic copy redo it from the start
            os.lseek(dst, 0, os.SEEK_SET)
            os.ftruncate(dst, 0)
    with open(src, "rb", closefd=False) as s, open(dst, "wb", closefd=False) as d:
        s.seek(0)
        shutil.copyfileobj(s, d, _COPY_CHUNK)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; some filesystems refuse to open a directory: skip there.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
