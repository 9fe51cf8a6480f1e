"""Engine and session factory. Services own the transaction (one commit per unit of work)."""

from __future__ import annotations

import time

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

# The threads that may each hold a connection at once: anyio's thread pool runs the sync
# endpoints and dependencies (40 threads unless changed), and the embedded job workers, their
# lease heartbeats and the reaper have threads of their own. A pool smaller than that closes a
# connection whenever one beyond its size is returned and opens a new one for the next request,
# which under load costs more than the query (and, for SQLite, re-runs the pragmas below).
REQUEST_THREADS = 40
JOB_THREADS = 10
POOL_SIZE = REQUEST_THREADS + JOB_THREADS
# PostgreSQL keeps fewer connections open between bursts (each one is a server process, and
# `serve --processes N` has N pools): up to POOL_SIZE in a burst, PG_POOL_KEPT kept idle.
PG_POOL_KEPT = 20
# A PostgreSQL connection that sat idle this long is pinged before use (a restarted or
# restarting server, a dropped idle connection); one in steady use is not, which saves a round
# trip on every request that SQLAlchemy's pool_pre_ping would spend.
PING_AFTER_IDLE_S = 10.0

# SQLite as a server's database: WAL lets the API read while a worker writes; synchronous=NORMAL
# is the setting WAL is designed for (a commit no longer waits for fsync; the database stays
# consistent after a power cut, which may only undo the last commits); a busy timeout makes a
# writer wait for another instead of failing; foreign keys make CASCADE real; a memory map lets
# every connection read the same cached pages instead of copying them into its own cache.
SQLITE_PRAGMAS = (
    ("journal_mode", "WAL"),
    ("synchronous", "NORMAL"),
    ("busy_timeout", "30000"),
    ("foreign_keys", "ON"),
    ("mmap_size", str(256 << 20)),
    ("temp_store", "MEMORY"),
)


def make_engine(url: str, *, ping_after_idle_s: float = PING_AFTER_IDLE_S) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=POOL_SIZE, max_overflow=REQUEST_THREADS)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            for name, value in SQLITE_PRAGMAS:
                cur.execute(f"PRAGMA {name}={value}")
            cur.close()

        return engine
    engine = create_engine(url, pool_size=PG_POOL_KEPT, max_overflow=POOL_SIZE - PG_POOL_KEPT)

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_conn, record) -> None:  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_after_idle(dbapi_conn, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < ping_after_idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # The documented way to tell the pool: it drops this connection and checks out another.
            raise DisconnectionError("an idle connection no longer answers") from exc

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
