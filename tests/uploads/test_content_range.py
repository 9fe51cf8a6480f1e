"""Content-Range chunked uploads on PUT/POST /api/v1/videos/{id}/source (raw and multipart)."""

from __future__ import annotations

import hashlib
import os

from tests.conftest import Account, LiveServer


def _video(c) -> str:  # type: ignore[no-untyped-def]
    return c.post("/api/v1/videos", json={"title": "cr"}).json()["id"]


def _put(c, vid: str, data: bytes, start: int, end: int, total: int, *, multipart: bool = False):  # type: ignore[no-untyped-def]
    headers = {"Content-Range": f"bytes {start}-{end}/{total}"}
    body = data[start:end + 1]
    if multipart:
        return c.post(f"/api/v1/videos/{vid}/source", headers=headers,
                      files={"file": ("scene.mov", body, "video/quicktime")})
    return c.put(f"/api/v1/videos/{vid}/source", params={"filename": "scene.mov"}, content=body,
                 headers={**headers, "Content-Type": "video/quicktime"})


def test_content_range_raw_chunks_then_video(any_live: LiveServer, carol: Account) -> None:
    c = any_live.client(carol.secret)
    vid = _video(c)
    data = os.urandom(7 * 1024 * 1024 + 3)
    step = 3 * 1024 * 1024
    for start in range(0, len(data), step):
        end = min(start + step, len(data)) - 1
        r = _put(c, vid, data, start, end, len(data))
        if end + 1 < len(data):
            assert r.status_code == 202, r.text
            assert r.headers["Range"] == f"bytes=0-{end}" and r.json()["offset"] == end + 1
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == "uploaded" and body["original_filename"] == "scene.mov"
    assert body["original"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert c.get(f"/api/v1/videos/{vid}/original").headers["content-type"] == "video/quicktime"


def test_content_range_multipart_chunks(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    vid = _video(c)
    data = os.urandom(250_000)
    assert _put(c, vid, data, 0, 99_999, len(data), multipart=True).status_code == 202
    r = _put(c, vid, data, 100_000, 249_999, len(data), multipart=True)
    assert r.status_code == 200 and r.json()["original"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_content_range_repeated_chunk_is_idempotent(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    vid = _video(c)
    data = os.urandom(300)
    assert _put(c, vid, data, 0, 99, 300).status_code == 202
    again = _put(c, vid, data, 0, 99, 300)
    assert again.status_code == 202 and again.json()["offset"] == 100
    overlap = _put(c, vid, data, 50, 199, 300)  # half old, half new: the new half is appended
    assert overlap.status_code == 202 and overlap.json()["offset"] == 200
    done = _put(c, vid, data, 200, 299, 300)
    assert done.status_code == 200 and done.json()["original"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert _put(c, vid, data, 200, 299, 300).status_code == 200  # the last chunk again: still fine


def test_content_range_wrong_offset_409_names_current_offset(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    vid = _video(c)
    data = os.urandom(300)
    r = _put(c, vid, data, 100, 199, 300)  # nothing started yet
    assert r.status_code == 409 and r.json()["error"]["offset"] == 0
    assert _put(c, vid, data, 0, 99, 300).status_code == 202
    r = _put(c, vid, data, 200, 299, 300)
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["offset"] == 100 and "100" in err["message"]
    assert r.headers["Upload-Offset"] == "100" and r.headers["Range"] == "bytes=0-99"


def test_content_range_bad_input_is_4xx_session_unharmed(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    vid = _video(c)
    data = os.urandom(300)
    assert _put(c, vid, data, 0, 99, 300).status_code == 202
    url = f"/api/v1/videos/{vid}/source"
    for header in ("bytes 100-199/400", "bytes 100-199/*", "items 0-1/2", "bytes 199-100/300",
                   "bytes 100-399/300", "bytes -5-10/300", "bytes 1-99999999999999999999/300"):
        r = c.put(url, content=b"x" * 100, headers={"Content-Range": header})
        assert 400 <= r.status_code < 500 and r.status_code != 409, (header, r.status_code)
        assert r.json()["error"]["message"]
    long = c.put(url, content=b"x" * 150, headers={"Content-Range": "bytes 100-199/300"})
    assert long.status_code == 422 and "longer" in long.json()["error"]["message"]
    ok = _put(c, vid, data, 100, 299, 300)
    assert ok.status_code == 200 and ok.json()["original"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_content_range_end_equal_to_total_is_accepted(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    vid = _video(c)
    r = c.put(f"/api/v1/videos/{vid}/source", content=b"0123456789", headers={"Content-Range": "bytes 0-10/10"})
    assert r.status_code == 200 and r.json()["size"] == 10
