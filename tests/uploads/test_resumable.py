"""The ResumableJS chunk protocol at /api/v1/uploads/resumable: chunks in any order and in
parallel, test requests, the status codes resumable.js reads, and bad input."""

from __future__ import annotations

import hashlib
import os
import random
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import Account, LiveServer

from . import resumable_client as rj

URL = "/api/v1/uploads/resumable"
KiB = 1024


def _video(c) -> str:  # type: ignore[no-untyped-def]
    return c.post("/api/v1/videos", json={"title": "rj"}).json()["id"]


def test_resumable_chunks_in_random_order_assemble_the_file(any_live: LiveServer, carol: Account) -> None:
    c = any_live.client(carol.secret)
    vid = _video(c)
    data = os.urandom(6 * 1024 * KiB + 777)
    chunk = 1024 * KiB
    order = list(rj.numbers(data, chunk))
    random.Random(4).shuffle(order)
    last = None
    for n in order:
        last = rj.send_chunk(c, URL, data, chunk, n, extra={"video": vid})
        assert last is not None and last.status_code == 200, last.text
    assert last.json()["complete"] is True and last.json()["progress"] == 100
    video = c.get(f"/api/v1/videos/{vid}").json()
    assert video["state"] == "uploaded" and video["original_filename"] == "clip.mp4"
    assert video["original"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert c.get(f"/api/v1/videos/{vid}/original").content == data
    assert list(any_live.runtime.store.list("uploads/")) == []  # chunk objects removed


def test_resumable_parallel_threads_complete_once(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    vid = _video(c)
    data = os.urandom(3 * 1024 * KiB + 5)
    chunk = 128 * KiB

    def send(n: int) -> int:
        with live.client(alice.secret) as own:
            r = rj.send_chunk(own, URL, data, chunk, n, extra={"video": vid})
            return 200 if r is None else r.status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, rj.numbers(data, chunk)))
    assert set(codes) == {200}
    video = c.get(f"/api/v1/videos/{vid}").json()
    assert video["original"]["sha256"] == hashlib.sha256(data).hexdigest()
    from reelbase.db.models import Job, UploadSession

    with live.runtime.session() as db:  # one session, one ingest job: completed exactly once
        assert db.query(UploadSession).filter_by(protocol="resumable").count() == 1
        assert db.query(Job).filter_by(kind="ingest").count() == 1


def test_resumable_test_request_200_present_204_absent(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    vid = _video(c)
    data = os.urandom(300 * KiB)
    chunk = 100 * KiB
    p = rj.params(data, chunk, 2, chunk)
    assert c.get(URL, params={**p, "video": vid}).status_code == 204
    r = rj.send_chunk(c, URL, data, chunk, 2, extra={"video": vid})
    assert r is not None and r.status_code == 200 and r.json()["complete"] is False
    assert c.get(URL, params={**p, "video": vid}).status_code == 200
    assert rj.send_chunk(c, URL, data, chunk, 2, extra={"video": vid}) is None  # resumable skips it


def test_resumable_octet_body_with_query_parameters(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    vid = _video(c)
    data = os.urandom(10_000)
    p = {**rj.params(data, 10_000, 1, 10_000), "video": vid}
    r = c.post(URL, params=p, content=data, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200 and r.json()["complete"] is True


def test_resumable_bad_input_is_400_and_upload_unharmed(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    vid = _video(c)
    data = os.urandom(400 * KiB)
    chunk = 100 * KiB
    assert rj.send_chunk(c, URL, data, chunk, 1, extra={"video": vid}).status_code == 200  # type: ignore[union-attr]
    good = {**rj.params(data, chunk, 2, chunk), "video": vid}
    body = {"file": ("b", data[chunk:2 * chunk], "application/octet-stream")}
    cases = {
        "chunk past the total": {"resumableChunkNumber": "5"},
        "chunk number zero": {"resumableChunkNumber": "0"},
        "identifier with a path": {"resumableIdentifier": "../../etc/passwd"},
        "identifier with a slash": {"resumableIdentifier": "a/b"},
        "total size changed": {"resumableTotalSize": str(len(data) + 1)},
        "total chunks wrong": {"resumableTotalChunks": "9"},
        "current size wrong": {"resumableCurrentChunkSize": "5"},
        "negative number": {"resumableChunkNumber": "-1"},
    }
    for why, change in cases.items():
        p = {**good, **change}
        r = c.post(URL, params=p, files=body)
        assert r.status_code == 400, (why, r.status_code, r.text)
        assert r.json()["error"]["message"], why
    short = c.post(URL, params=good, files={"file": ("b", data[:10], "application/octet-stream")})
    assert short.status_code == 400 and "bytes" in short.json()["error"]["message"]
    assert c.get(URL, params=good).status_code == 204  # nothing half-stored for chunk 2
    for n in (2, 3, 4):
        assert rj.send_chunk(c, URL, data, chunk, n, extra={"video": vid}).status_code == 200  # type: ignore[union-attr]
    assert c.get(f"/api/v1/videos/{vid}").json()["original"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_resumable_needs_video_or_signed_url_and_auth(live: LiveServer, alice: Account, bob: Account) -> None:
    data = os.urandom(1000)
    p = rj.params(data, 1000, 1, 1000)
    assert live.client().get(URL, params=p).status_code == 401
    c = live.client(alice.secret)
    r = c.get(URL, params=p)
    assert r.status_code == 400 and r.json()["error"]["field"] == "video"
    vid = _video(c)
    assert live.client(bob.secret).get(URL, params={**p, "video": vid}).status_code == 404
