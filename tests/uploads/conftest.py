"""Fixtures for the upload tests: a live server on local or S3 storage, helpers for raw tus
requests, and an S3 server (moto, in a subprocess) with a switchable TCP proxy in front of it."""

from __future__ import annotations

import base64
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reelbase.app import create_app
from reelbase.core.runtime import Runtime, build_runtime
from tests.conftest import Account, LiveServer, make_account, make_settings, start_server
from tests.storage.s3server import start_s3_server

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {"Content-Type": "application/offset+octet-stream"}
MiB = 1 << 20


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    endpoint_url, stop = start_s3_server()
    try:
        yield endpoint_url
    finally:
        stop()


class FlakyProxy:
    """A TCP forwarder to the S3 server that can be switched to drop every connection: an
    honest network failure between Reelbase and its object store."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.down = False
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while not self.down:
                data = src.recv(1 << 16)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()


@pytest.fixture
def s3_proxy(s3_endpoint: str) -> Iterator[FlakyProxy]:
    host, port = s3_endpoint.removeprefix("http://").split(":")
    proxy = FlakyProxy((host, int(port)))
    yield proxy
    proxy.close()


def s3_settings(endpoint: str) -> dict[str, object]:
    return {
        "storage_url": f"s3://reelbase-uploads/t-{uuid.uuid4().hex[:10]}",
        "s3_endpoint_url": endpoint,
        "s3_access_key_id": "testing",
        "s3_secret_access_key": "testing",
        "s3_region": "us-east-1",
        "s3_create_bucket": True,
    }


@pytest.fixture(params=["local", "s3"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def any_live(store_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A live server on SQLite with local or S3 storage (the storage-dependent tests)."""
    overrides: dict[str, object] = {}
    if store_kind == "s3":
        overrides.update(s3_settings(request.getfixturevalue("s3_endpoint")))
    runtime = build_runtime(make_settings(tmp_path, **overrides))
    url, server, thread = start_server(create_app(runtime))
    runtime.settings.public_url = url
    try:
        yield LiveServer(url=url, runtime=runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.engine.dispose()


@pytest.fixture
def carol(any_live: LiveServer) -> Account:
    return make_account(any_live.runtime)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def tus_create(c: httpx.Client, length: int | None, *, meta: dict[str, str] | None = None,
               headers: dict[str, str] | None = None, path: str = "/api/v1/uploads/") -> httpx.Response:
    h = dict(TUS)
    if length is None:
        h["Upload-Defer-Length"] = "1"
    else:
        h["Upload-Length"] = str(length)
    if meta:
        h["Upload-Metadata"] = ",".join(f"{k} {b64(v)}" for k, v in meta.items())
    h.update(headers or {})
    return c.post(path, headers=h)


def tus_patch(c: httpx.Client, location: str, offset: int, data: bytes, **headers: str) -> httpx.Response:
    return c.patch(location, content=data, headers={**TUS, **OCTETS, "Upload-Offset": str(offset), **headers})


def video_of(c: httpx.Client, location: str) -> dict:
    r = c.head(location, headers=TUS)
    return c.get(f"/api/v1/videos/{r.headers['Reelbase-Video']}").json()


def staged_part_files(runtime: Runtime) -> list[Path]:
    root = Path(str(runtime.settings.data_dir)) / "storage" / ".reelbase" / "uploads"
    return sorted(root.glob("*.part")) if root.exists() else []
