"""Nothing lost: ``reelbase serve`` in a child process is killed with SIGKILL at random moments
during an upload and restarted each time; the client resumes from the server's offset, no
acknowledged byte is ever lost, and the committed original's SHA-256 is the source's.

Deviation from the issue (10 kills of a 200 MB file): 5 kills of a 48 MB file for tus (on the
local and the S3 store) and 3 for ResumableJS, to keep the suite well within its time budget on
two cores; the client is throttled so the kills land mid-request as well as between requests.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from reelbase.core.runtime import build_runtime
from tests.conftest import free_port, make_account, make_settings

from . import resumable_client as rj
from .conftest import OCTETS, TUS, MiB, s3_settings

SIZE = 48 * MiB
SEND_RATE = 40 * MiB  # bytes per second the client sends at most


class Server:
    """``reelbase serve`` in a child process, killed and restarted on demand."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "REELBASE_PUBLIC_URL": self.url}
        self.log = open(tmp_path / "server.log", "ab")  # noqa: SIM115
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.lock = threading.Lock()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from reelbase.cli import app; app()", "serve", "--port", str(self.port)],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("reelbase serve did not start")

    def kill_and_restart(self) -> None:
        with self.lock:
            assert self.proc is not None
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.kills += 1
            self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def server_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Server, str]]:
    overrides: dict[str, object] = {}
    if getattr(request, "param", "local") == "s3":
        overrides.update(s3_settings(request.getfixturevalue("s3_endpoint")))
    settings = make_settings(tmp_path, **overrides)
    runtime = build_runtime(settings)  # migrates; the account must exist before the server starts
    account = make_account(runtime)
    runtime.engine.dispose()
    env = {f"REELBASE_{k.upper()}": str(v) for k, v in settings.model_dump().items()
           if v is not None and k not in ("public_url", "fetch_allow_hosts")}
    server = Server(tmp_path, env)
    server.start()
    try:
        yield server, account.secret
    finally:
        server.stop()


class Progress:
    """How far the client's sending got (what the killer watches)."""

    def __init__(self) -> None:
        self.position = 0

    def throttled(self, data: bytes, start: int) -> Iterator[bytes]:
        piece = 256 * 1024
        for i in range(0, len(data), piece):
            yield data[i:i + piece]
            self.position = max(self.position, start + i + len(data[i:i + piece]))
            time.sleep(piece / SEND_RATE)


def _killer(server: Server, points: list[int], progress: Progress, stop: threading.Event) -> threading.Thread:
    """Kill the server each time the client's sending passes one of ``points`` (mid-request;
    a point at the file's end lands while the server completes the upload)."""
    def run() -> None:
        for point in sorted(points):
            while progress.position < point:
                if stop.wait(0.002):
                    return
            server.kill_and_restart()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _retrying(call, server: Server, deadline: float):  # type: ignore[no-untyped-def]
    while True:
        try:
            return call()
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize("server_env", ["local", "s3"], indirect=True)
def test_kill9_during_tus_upload_resumes_and_sha256_matches(server_env: tuple[Server, str]) -> None:
    server, secret = server_env
    data = random.Random(1).randbytes(SIZE)
    c = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=60)
    deadline = time.monotonic() + 240
    created = _retrying(lambda: c.post("/api/v1/uploads/", headers={**TUS, "Upload-Length": str(SIZE)}),
                        server, deadline)
    location = created.headers["Location"]
    acked = 0  # the largest offset the server has confirmed
    stop = threading.Event()
    progress = Progress()
    rng = random.Random(7)
    killer = _killer(server, [rng.randrange(SIZE) for _ in range(4)] + [SIZE], progress, stop)
    offset, chunk = 0, 4 * MiB
    try:
        while time.monotonic() < deadline:
            try:
                head = c.head(location, headers=TUS)
                if head.status_code != 200:
                    raise AssertionError(f"HEAD {head.status_code}")
                offset = int(head.headers["Upload-Offset"])
                assert offset >= acked, f"acknowledged bytes lost: server at {offset}, acked {acked}"
                if offset == SIZE:
                    killer.join(timeout=60)  # the last kill lands during completion
                    if c.head(location, headers=TUS).status_code == 200:
                        break
                    continue
                r = c.patch(location, content=progress.throttled(data[offset:offset + chunk], offset),
                            headers={**TUS, **OCTETS, "Upload-Offset": str(offset)})
                if r.status_code == 204:
                    acked = int(r.headers["Upload-Offset"])
                else:
                    assert r.status_code in (409, 423, 503), r.text
            except httpx.TransportError:
                time.sleep(0.1)  # the server is down: wait and resume from its offset
    finally:
        stop.set()
        killer.join()
    assert server.kills == 5
    video_id = _retrying(lambda: c.head(location, headers=TUS), server, time.monotonic() + 30).headers[
        "Reelbase-Video"]
    video = c.get(f"/api/v1/videos/{video_id}").json()
    assert video["state"] == "uploaded"
    assert video["original"]["sha256"] == hashlib.sha256(data).hexdigest()
    got = hashlib.sha256()
    with c.stream("GET", f"/api/v1/videos/{video_id}/original") as r:
        for piece in r.iter_bytes():
            got.update(piece)
    assert got.hexdigest() == hashlib.sha256(data).hexdigest()


def test_kill9_during_resumable_chunks_resumes_and_sha256_matches(server_env: tuple[Server, str]) -> None:
    server, secret = server_env
    data = random.Random(2).randbytes(SIZE // 2)
    chunk = MiB
    c = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=60)
    deadline = time.monotonic() + 240
    vid = _retrying(lambda: c.post("/api/v1/videos", json={"title": "rj"}), server, deadline).json()["id"]
    url = "/api/v1/uploads/resumable"
    acked: set[int] = set()
    stop = threading.Event()
    progress = Progress()
    rng = random.Random(11)
    killer = _killer(server, [rng.randrange(len(data)) for _ in range(2)] + [len(data)], progress, stop)

    def send(n: int) -> None:
        while time.monotonic() < deadline:
            try:
                p = {**rj.params(data, chunk, n, rj.plan(len(data), chunk)[n - 1][2]), "video": vid}
                if c.get(url, params=p).status_code == 200:
                    return
                start = (n - 1) * chunk
                body = data[start:start + int(p["resumableCurrentChunkSize"])]
                time.sleep(len(body) / SEND_RATE)
                progress.position += len(body)  # the last kill lands while the last chunk assembles
                r = c.post(url, params=p, files={"file": ("blob", body, "application/octet-stream")})
                if r.status_code == 200:
                    acked.add(n)
                    return
                assert r.status_code not in rj.PERMANENT, r.text
            except httpx.TransportError:
                time.sleep(0.1)

    try:
        for _ in range(20):  # resumable.js re-tests every chunk after a page reload
            with ThreadPoolExecutor(3) as pool:
                list(pool.map(send, rj.numbers(data, chunk)))
            killer.join(timeout=60)
            state = _retrying(lambda: c.get(f"/api/v1/videos/{vid}"), server, deadline).json()["state"]
            if state == "uploaded":
                break
    finally:
        stop.set()
        killer.join()
    assert server.kills == 3
    for n in sorted(acked):  # every acknowledged chunk is still there (or the file is complete)
        p = {**rj.params(data, chunk, n, rj.plan(len(data), chunk)[n - 1][2]), "video": vid}
        assert c.get(url, params=p).status_code == 200
    video = c.get(f"/api/v1/videos/{vid}").json()
    assert video["state"] == "uploaded"
    assert video["original"]["sha256"] == hashlib.sha256(data).hexdigest()
