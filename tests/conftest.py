"""Shared fixtures: a runtime on SQLite or on the local PostgreSQL, a live HTTP server, keys."""

from __future__ import annotations

import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text

from reelbase.app import create_app
from reelbase.core.auth import accounts
from reelbase.core.runtime import Runtime, build_runtime
from reelbase.settings import Settings

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fresh_pg_schema() -> Iterator[str]:
    """A new PostgreSQL schema (as a database URL that selects it), dropped afterwards."""
    name = "t_" + secrets.token_hex(6)
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{name}"
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
        engine.dispose()


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test."""
    with fresh_pg_schema() as url:
        yield url


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "var",
        "secret_key": "test-secret-" + "x" * 40,
        "public_url": "http://testserver.invalid",
        "workers": 0,
        "queue_url": "memory",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    overrides: dict[str, object] = {}
    if request.param == "postgres":
        overrides["database_url"] = request.getfixturevalue("pg_schema")
    rt = build_runtime(make_settings(tmp_path, **overrides))
    try:
        yield rt
    finally:
        rt.engine.dispose()


@dataclass
class LiveServer:
    url: str
    runtime: Runtime

    def client(self, secret: str | None = None, *, headers: dict[str, str] | None = None) -> httpx.Client:
        all_headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        all_headers.update(headers or {})
        return httpx.Client(base_url=self.url, headers=all_headers, timeout=60)


def start_server(app: object, **config_options: object) -> tuple[str, uvicorn.Server, threading.Thread]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                            **config_options)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


@pytest.fixture
def live(runtime: Runtime, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """The app on a real port. ``@pytest.mark.workers(n)`` runs n job workers inside it (for jobs
    such as upload by URL); by default none, so nothing is processed behind the test's back."""
    marker = request.node.get_closest_marker("workers")
    if marker is not None:
        runtime.settings.workers = int(marker.args[0])
    runtime.settings.public_url = "will be replaced"
    url, server, thread = start_server(create_app(runtime))
    runtime.settings.public_url = url
    try:
        yield LiveServer(url=url, runtime=runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Account:
    email: str
    password: str
    secret: str
    public_id: str
    team_id: int


def make_account(runtime: Runtime, *, team: str | None = None, key_type: str = "user") -> Account:
    email = f"u{secrets.token_hex(4)}@example.com"
    password = "pw-" + secrets.token_hex(8)
    with runtime.session() as db:
        user = accounts.create_user(db, email=email, password=password, team_name=team)
        issued = accounts.create_api_key(db, user=user, server_secret=runtime.secret_key, key_type=key_type)
        db.commit()
        return Account(email, password, issued.secret, issued.api_key.public_id, issued.api_key.team_id)


def login_csrf(client: httpx.Client) -> str:
    """The sign-in form's CSRF token, as a browser gets it: GET /login (which also sets the nonce
    cookie the token is bound to, kept in ``client``)."""
    page = client.get("/login")
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text)
    assert found, page.text[:500]
    return found[1]


@pytest.fixture
def alice(runtime: Runtime) -> Account:
    return make_account(runtime)


@pytest.fixture
def bob(runtime: Runtime) -> Account:
    return make_account(runtime)
