"""One lock per upload session, held while a request writes to it, across threads and processes.

Two clients racing on one upload (a retry while the first request is still being read, two
browser tabs) must not interleave their bytes. The lock lives where every process of the
deployment can see it, and dies with the process that holds it (a kill -9 never leaves an upload
locked):

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its own,
  taken from an engine without a pool. No transaction stays open while the body streams (a row
  lock would hold one for minutes, and readers of the row would queue behind it), and the lock
  works across hosts that share the database.
* SQLite: ``flock`` on ``<data dir>/locks/<upload>.lock``. SQLite is single-host by nature, and
  ``BEGIN IMMEDIATE`` would block every other writer of the database for the whole upload.
  ``flock`` belongs to the open file description, so it also separates threads of one process.

A lock that stays busy for ``wait`` seconds raises :class:`UploadLocked` (HTTP 423, as tusd does).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from reelbase.core.errors import DomainError
from reelbase.core.runtime import Runtime

POLL = 0.05


class UploadLocked(DomainError):
    code = "upload_locked"
    status = 423


_lock_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_engines_guard = threading.Lock()


def _lock_engine(engine: Engine) -> Engine:
    with _engines_guard:
        found = _lock_engines.get(engine)
        if found is None:
            found = create_engine(engine.url, poolclass=NullPool)
            _lock_engines[engine] = found
        return found


def _advisory_key(upload_id: str) -> int:
    return int.from_bytes(hashlib.sha256(b"reelbase-upload:" + upload_id.encode()).digest()[:8], "big", signed=True)


_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def lock_path(runtime: Runtime, upload_id: str) -> Path:
    if not _NAME.match(upload_id):  # it names a file: never let it climb out of the lock folder
        raise ValueError(f"bad lock name {upload_id!r}")
    return runtime.settings.data_dir / "locks" / f"{upload_id}.lock"


@contextlib.contextmanager
def upload_lock(runtime: Runtime, upload_id: str, *, wait: float = 10.0) -> Iterator[None]:
    """Hold the upload's lock for the ``with`` block; UploadLocked if it stays busy ``wait`` s.
    ``upload_id`` is 1-64 of ``[A-Za-z0-9_-]`` (else ValueError)."""
    if not _NAME.match(upload_id):
        raise ValueError(f"bad lock name {upload_id!r}")
    if runtime.engine.dialect.name == "postgresql":
        with _pg_lock(runtime.engine, upload_id, wait):
            yield
    else:
        with _file_lock(lock_path(runtime, upload_id), wait):
            yield


def client_lock(runtime: Runtime, kind: str, *names: object) -> contextlib.AbstractContextManager[None]:
    """The lock a client's first requests take while no upload exists yet to lock (two racing
    first chunks must not open two uploads): named after ``kind`` and what the client names,
    hashed, so that any text fits a lock's name."""
    digest = hashlib.sha256(":".join(str(name) for name in names).encode()).hexdigest()[:40]
    return upload_lock(runtime, f"{kind}-{digest}")


def _busy() -> UploadLocked:
    return UploadLocked("another request is writing to this upload right now; retry in a moment")


@contextlib.contextmanager
def _pg_lock(engine: Engine, upload_id: str, wait: float) -> Iterator[None]:
    key = _advisory_key(upload_id)
    deadline = time.monotonic() + wait
    with _lock_engine(engine).connect() as conn:
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            conn.rollback()  # do not sit "idle in transaction" while polling
            if time.monotonic() >= deadline:
                raise _busy()
            time.sleep(POLL)
        conn.commit()  # the lock is session-level: it outlives this transaction
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # a broken connection releases it anyway
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


@contextlib.contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _busy() from None
                time.sleep(POLL)
        yield  # closing the descriptor releases the lock
    finally:
        os.close(fd)


def remove_lock_file(runtime: Runtime, upload_id: str) -> None:
    """Remove a finished upload's lock file. Only safe once no request can write to the upload
    any more (its state is final): a waiter holding the old file would otherwise not exclude a
    newcomer that creates a new one."""
    with contextlib.suppress(FileNotFoundError):
        lock_path(runtime, upload_id).unlink()
