"""Webhooks end to end: a receiver on loopback, Standard Webhooks signatures, retries with
backoff persisted as deliveries, and the SSRF guard on targets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import LiveServer, make_account
from tests.jobs.conftest import upload_file, wait_for_state


class Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = 500 if len(receiver.requests) <= receiver.fail_first else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def wait(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return f"v1,{expected}" in headers["webhook-signature"].split()


def test_webhook_video_ready_is_delivered_signed(pipeline: LiveServer, clips: dict[str, Path], receiver: Receiver) -> None:
    pipeline.runtime.settings.fetch_allow_hosts = f"127.0.0.1:{receiver.port}"
    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    hook = c.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["video.ready", "video.failed"]}).json()
    assert hook["secret"].startswith("whsec_")
    v = upload_file(c, clips["portrait"], title="hooked", options={"ingest": "light"})
    assert wait_for_state(c, v["id"], {"ready", "failed"})["state"] == "ready"
    receiver.wait(1)
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert _verify(hook["secret"], headers, body)
    assert not _verify("whsec_" + base64.b64encode(b"x" * 32).decode(), headers, body)
    event = json.loads(body)
    assert event["type"] == "video.ready"
    assert event["data"]["id"] == v["id"] and event["data"]["title"] == "hooked"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 120
    # The delivery row is updated right after the receiver answered: poll briefly for it.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log = c.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
        if log and log[0]["state"] != "pending":
            break
        time.sleep(0.05)
    assert [(d["event"], d["state"], d["last_status"], d["attempts"]) for d in log] == [("video.ready", "succeeded", 204, 1)]
    assert log[0]["id"] == headers["webhook-id"]


def test_webhook_failed_delivery_is_retried_with_backoff(pipeline: LiveServer, clips: dict[str, Path]) -> None:
    receiver = Receiver(fail_first=2)
    try:
        pipeline.runtime.settings.fetch_allow_hosts = f"127.0.0.1:{receiver.port}"
        pipeline.runtime.settings.webhook_retry_base_seconds = 0.3
        acct = make_account(pipeline.runtime)
        c = pipeline.client(acct.secret)
        hook = c.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["video.failed"]}).json()
        v = upload_file(c, clips["text"])
        assert wait_for_state(c, v["id"], {"ready", "failed"})["state"] == "failed"
        receiver.wait(3, timeout=30)
        assert len(receiver.requests) == 3
        ids = {h["webhook-id"] for h, _ in receiver.requests}
        assert len(ids) == 1, "a retried message keeps its webhook-id"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log = c.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
            if log and log[0]["state"] == "succeeded":
                break
            time.sleep(0.1)
        assert log[0]["state"] == "succeeded" and log[0]["attempts"] == 3 and log[0]["last_status"] == 204
        assert json.loads(receiver.requests[-1][1])["data"]["state"] == "failed"
    finally:
        receiver.close()


def test_webhook_to_private_address_is_refused_without_allow_list(
    pipeline: LiveServer, clips: dict[str, Path], receiver: Receiver
) -> None:
    pipeline.runtime.settings.fetch_allow_hosts = ""
    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    hook = c.post("/api/v1/webhooks", json={"url": receiver.url}).json()
    v = upload_file(c, clips["portrait"], options={"ingest": "light"})
    wait_for_state(c, v["id"], {"ready"})
    deadline = time.monotonic() + 15
    log: list[dict] = []
    while time.monotonic() < deadline:
        log = [d for d in c.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"] if d["event"] == "video.ready"]
        if log and log[0]["state"] == "failed":
            break
        time.sleep(0.1)
    assert log and log[0]["state"] == "failed"
    assert "loopback" in log[0]["last_error"]
    assert receiver.requests == [] or all(json.loads(b)["type"] != "video.ready" for _, b in receiver.requests)


def test_webhook_subscription_validation(pipeline: LiveServer) -> None:
    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    bad = c.post("/api/v1/webhooks", json={"url": "ftp://example.com/x"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "url"
    bad = c.post("/api/v1/webhooks", json={"url": "https://example.com/x", "events": ["video.exploded"]})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "events"
    ok = c.post("/api/v1/webhooks", json={"url": "https://example.com/x"}).json()
    other = make_account(pipeline.runtime)
    assert pipeline.client(other.secret).get(f"/api/v1/webhooks/{ok['id']}").status_code == 404
    assert c.delete(f"/api/v1/webhooks/{ok['id']}").status_code == 204
    assert c.get("/api/v1/webhooks").json()["items"] == []
