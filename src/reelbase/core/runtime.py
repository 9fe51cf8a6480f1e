"""The assembled ports one process works with: settings, database, storage and job queue.

Built once at start-up (``build_runtime``) and handed to every surface; nothing reads globals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker

from reelbase.core.auth.cache_broadcast import open_broadcast
from reelbase.core.auth.key_use import KeyUse
from reelbase.core.auth.principal_cache import PrincipalCache, watch_sessions
from reelbase.core.auth.throttle import Throttle, open_throttle
from reelbase.core.errors import InvalidInput
from reelbase.core.jobs import install_dispatch_hook
from reelbase.db.migrate import upgrade_database
from reelbase.db.session import make_engine, make_sessionmaker
from reelbase.settings import Settings
from reelbase.storage.base import BlobStore
from reelbase.storage.factory import open_store


log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: BlobStore
    secret_key: str
    # The brake on password, API key and signature guessing: one per process, its counts shared
    # through Redis when the queue is Redis.
    throttle: Throttle
    # Who is asking, remembered for a short while (core/auth/principal_cache.py): invalidated
    # after every commit of these sessions that changes a user, team, key or membership, and
    # through Redis or the data directory's stamp file in the other processes.
    auth_cache: PrincipalCache
    # API keys' last-used times, recorded at most once an interval per key (core/auth/key_use.py).
    key_use: KeyUse
    # Sends a job id to the queue; set by the job system (jobs/queue.py). Called for every job
    # after the commit that created it (core/jobs.py), and by the reaper.
    dispatch: Callable[..., None] = field(default=lambda job_id, delay=None: None)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction the caller commits once; rolled back on error."""
        db = self.sessions()
        try:
            yield db
        except (DataError, OverflowError) as exc:
            db.rollback()
            raise unstorable(exc) from exc
        except BaseException:
            db.rollback()
            raise
        finally:
            db.close()

    @property
    def scratch_dir(self) -> Path:
        path = self.settings.data_dir / "scratch"
        path.mkdir(parents=True, exist_ok=True)
        return path


def unstorable(exc: DataError | OverflowError) -> InvalidInput:
    """A value the database refuses to hold (SQLSTATE class 22: a number beyond its column, a NUL
    in text; SQLite's driver raises OverflowError for the first) came from the request: the
    client's fault, whichever field carried it. Logged, since it also marks a check missing."""
    log.info("the database refused a value: %s", exc)
    if "NUL" in str(exc):
        return InvalidInput("text may not contain NUL characters")
    return InvalidInput("a number in the request is out of range")


def build_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url())
    if migrate:
        upgrade_database(engine)
    store = open_store(
        settings.resolved_storage_url(),
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        create_bucket=settings.s3_create_bucket,
    )
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=make_sessionmaker(engine),
        store=store,
        secret_key=settings.resolved_secret_key(),
        throttle=open_throttle(settings),
        auth_cache=PrincipalCache(ttl=settings.auth_cache_seconds, max_entries=settings.auth_cache_entries,
                                  broadcast=open_broadcast(settings)),
        key_use=KeyUse(engine, interval=settings.key_last_used_seconds),
    )
    watch_sessions(runtime.sessions, runtime.auth_cache)
    # Jobs created in a transaction go to the queue once it commits (late-bound: the queue of
    # this process sets runtime.dispatch when it starts).
    install_dispatch_hook(runtime.sessions, lambda job_id: runtime.dispatch(job_id))
    return runtime
