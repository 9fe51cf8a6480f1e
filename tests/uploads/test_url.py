"""Upload by URL: a local http.server as the remote site, the allow list, progress polling."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from reelbase.core.auth import accounts
from reelbase.core.uploads.by_url import import_from_url
from reelbase.db.models import Team
from tests.conftest import Account, LiveServer

DATA = os.urandom(2 * 1024 * 1024 + 11)
pytestmark = pytest.mark.workers(1)  # the fetch runs as a job on the server's worker


class Remote:
    def __init__(self) -> None:
        self.hits: list[str] = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                remote.hits.append(self.path)
                if self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", f"http://localhost:{remote.port}/video.mp4")
                    self.end_headers()
                    return
                if self.path.startswith("/missing"):
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(DATA)))
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Disposition", "attachment; filename*=UTF-8''remote%20name.mp4")
                self.end_headers()
                slow = self.path.startswith("/slow")
                for i in range(0, len(DATA), 128 * 1024):
                    self.wfile.write(DATA[i:i + 128 * 1024])
                    if slow:
                        time.sleep(0.15)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def remote() -> Iterator[Remote]:
    r = Remote()
    yield r
    r.server.shutdown()
    r.server.server_close()


def _wait(c, upload_id: str, seen: list[int] | None = None) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = c.get(f"/api/v1/uploads/{upload_id}").json()
        if seen is not None:
            seen.append(body["progress"])
        if body["state"] != "active":
            return body
        time.sleep(0.05)
    raise AssertionError("the URL import did not finish")


def test_url_import_allowed_host_fetches_with_progress(live: LiveServer, alice: Account, remote: Remote) -> None:
    live.runtime.settings.fetch_allow_hosts = f"127.0.0.1:{remote.port}"
    c = live.client(alice.secret)
    r = c.post("/api/v1/uploads/url", json={"url": remote.url("/slow/video"), "title": "From afar"})
    assert r.status_code == 202, r.text
    seen: list[int] = []
    body = _wait(c, r.json()["id"], seen)
    assert body["state"] == "completed" and body["progress"] == 100
    assert all(isinstance(p, int) and 0 <= p <= 100 for p in seen)
    assert seen == sorted(seen) and any(0 < p < 100 for p in seen)
    video = c.get(f"/api/v1/videos/{body['video']}").json()
    assert video["title"] == "From afar" and video["original_filename"] == "remote name.mp4"
    assert video["original"]["sha256"] == hashlib.sha256(DATA).hexdigest()
    assert video["original"]["content_type"] == "video/mp4"
    # the fetch ran as a job on the worker: it is in the video's processing history
    deadline = time.monotonic() + 10
    while True:  # the job is marked done just after the upload it committed
        jobs = c.get(f"/api/v1/videos/{body['video']}/jobs").json()["items"]
        fetch = [j for j in jobs if j["kind"] == "fetch_url"]
        if fetch and fetch[0]["state"] != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(fetch) == 1 and fetch[0]["state"] == "succeeded" and fetch[0]["attempts"] == 1
    assert fetch[0]["result"]["state"] == "completed" and fetch[0]["result"]["bytes"] == len(DATA)


def test_url_import_refused_without_allow_list(live: LiveServer, alice: Account, remote: Remote) -> None:
    c = live.client(alice.secret)
    r = c.post("/api/v1/uploads/url", json={"url": remote.url("/video")})
    assert r.status_code == 422 and "loopback" in r.json()["error"]["message"]
    # A name that resolves to loopback is refused by the fetch itself, which reports it.
    r = c.post("/api/v1/uploads/url", json={"url": remote.url("/video", host="localhost")})
    assert r.status_code == 202
    body = _wait(c, r.json()["id"])
    assert body["state"] == "failed" and body["error_code"] == "forbidden_address"
    video = c.get(f"/api/v1/videos/{body['video']}").json()
    assert video["state"] == "failed" and "refusing" in video["state_message"]
    assert remote.hits == []


def test_url_import_redirect_to_other_host_is_checked_again(live: LiveServer, alice: Account,
                                                            remote: Remote) -> None:
    live.runtime.settings.fetch_allow_hosts = f"127.0.0.1:{remote.port}"
    c = live.client(alice.secret)
    r = c.post("/api/v1/uploads/url", json={"url": remote.url("/redirect")})
    body = _wait(c, r.json()["id"])
    assert body["state"] == "failed" and body["error_code"] == "forbidden_address"
    assert remote.hits == ["/redirect"]


def test_url_import_size_limit_and_http_errors(live: LiveServer, alice: Account, remote: Remote) -> None:
    live.runtime.settings.fetch_allow_hosts = f"127.0.0.1:{remote.port}"
    with live.runtime.session() as db:
        accounts.set_team_limits(db, team=db.get_one(Team, alice.team_id), max_upload_bytes=1_000_000)
        db.commit()
    c = live.client(alice.secret)
    big = _wait(c, c.post("/api/v1/uploads/url", json={"url": remote.url("/video")}).json()["id"])
    assert big["state"] == "failed" and big["error_code"] == "too_large"
    gone = _wait(c, c.post("/api/v1/uploads/url", json={"url": remote.url("/missing")}).json()["id"])
    assert gone["state"] == "failed" and "404" in gone["error"]
    assert [i.key for i in live.runtime.store.list("videos/")] == []


def test_url_import_bad_urls_are_422(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    for url in ("ftp://example.com/a.mp4", "http://user:pw@example.com/a.mp4", "not a url", "http://10.0.0.1/x",
                "http://[::1]/x", "http://169.254.169.254/latest/meta-data"):
        r = c.post("/api/v1/uploads/url", json={"url": url})
        assert r.status_code == 422, url
        assert r.json()["error"]["field"] == "url"


def test_import_from_url_is_idempotent_once_complete(live: LiveServer, alice: Account, remote: Remote) -> None:
    live.runtime.settings.fetch_allow_hosts = f"127.0.0.1:{remote.port}"
    c = live.client(alice.secret)
    upload_id = c.post("/api/v1/uploads/url", json={"url": remote.url("/video")}).json()["id"]
    assert _wait(c, upload_id)["state"] == "completed"
    again = import_from_url(live.runtime, upload_id)
    assert again.complete and remote.hits == ["/video"]
