"""The engines a server runs on: SQLite tuned for many threads, PostgreSQL pooled and recovering."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from reelbase.db.session import PG_POOL_KEPT, POOL_SIZE, make_engine
from tests.conftest import PG_URL


def test_sqlite_connections_run_in_wal_with_normal_sync_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'reelbase.db'}")
    try:
        # two connections at once: each new connection gets the pragmas, not only the first
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
                assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == 256 << 20
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_pool_holds_a_connection_for_every_request_thread(kind: str, tmp_path: Path,
                                                              request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path / 'reelbase.db'}" if kind == "sqlite" else request.getfixturevalue("pg_schema")
    engine = make_engine(url)
    try:
        # as many connections at once as the thread pool has threads (and the job threads): none waits
        held = [engine.connect() for _ in range(POOL_SIZE)]
        try:
            assert all(c.execute(text("SELECT 1")).scalar() == 1 for c in held)
        finally:
            for c in held:
                c.close()
        # SQLite keeps them all (a connection costs a file handle); PostgreSQL keeps fewer open between
        # bursts, but enough for the usual concurrency
        kept = engine.pool.checkedin()  # type: ignore[attr-defined]
        assert kept == POOL_SIZE if kind == "sqlite" else PG_POOL_KEPT <= kept < POOL_SIZE
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_an_idle_postgres_connection_that_died_is_replaced_before_use(pg_schema: str) -> None:
    engine = make_engine(pg_schema, ping_after_idle_s=0)
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as other:  # the server drops the pooled connection while it is idle
            assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        engine.dispose()
        admin.dispose()
