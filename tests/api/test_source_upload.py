from __future__ import annotations

import hashlib
import os
import socket
import time
from urllib.parse import urlsplit

from reelbase.core.auth import accounts
from reelbase.db.models import Team
from tests.conftest import Account, LiveServer


def _new_video(c, **fields) -> dict:  # type: ignore[no-untyped-def]
    return c.post("/api/v1/videos", json=fields).json()


def test_upload_raw_body_then_download_roundtrip(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    v = _new_video(c, title="raw")
    data = os.urandom(3 * 1024 * 1024 + 17)
    r = c.put(f"/api/v1/videos/{v['id']}/source", params={"filename": "clip.mp4"}, content=data,
              headers={"Content-Type": "video/mp4"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "uploaded"
    assert body["original_filename"] == "clip.mp4"
    assert body["original"]["size"] == len(data)
    assert body["original"]["sha256"] == hashlib.sha256(data).hexdigest()
    d = c.get(f"/api/v1/videos/{v['id']}/original")
    assert d.status_code == 200 and d.content == data
    assert d.headers["content-type"] == "video/mp4"
    assert d.headers["accept-ranges"] == "bytes"
    assert 'filename="clip.mp4"' in d.headers["content-disposition"]


def test_upload_multipart_streams_file_part(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    v = _new_video(c)
    data = os.urandom(2_500_000)
    r = c.post(f"/api/v1/videos/{v['id']}/source", data={"note": "x"},
               files={"file": ("Fête été.mov", data, "video/quicktime")})
    assert r.status_code == 200, r.text
    assert r.json()["original_filename"] == "Fête été.mov"
    d = c.get(f"/api/v1/videos/{v['id']}/original")
    assert hashlib.sha256(d.content).hexdigest() == hashlib.sha256(data).hexdigest()
    assert "filename*=UTF-8''F%C3%AAte%20%C3%A9t%C3%A9.mov" in d.headers["content-disposition"]


def test_upload_multipart_without_file_part_is_clear_error(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    v = _new_video(c)
    r = c.post(f"/api/v1/videos/{v['id']}/source", files={"title": (None, "just a field")})
    assert r.status_code == 422
    assert "file" in r.json()["error"]["message"]
    assert c.get(f"/api/v1/videos/{v['id']}").json()["state"] == "created"


def test_upload_bad_filenames_refused_nothing_stored(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    v = _new_video(c)
    for name in ("../../etc/passwd", "a\x00b.mp4", "x" * 1000 + ".mp4"):
        r = c.put(f"/api/v1/videos/{v['id']}/source", params={"filename": name}, content=b"abc")
        assert r.status_code == 422, name
        assert r.json()["error"]["field"] == "filename"
    assert c.get(f"/api/v1/videos/{v['id']}/original").status_code == 409
    assert list(live.runtime.store.list("videos/")) == []


def test_upload_over_size_limit_413_and_partial_removed(live: LiveServer, alice: Account) -> None:
    with live.runtime.session() as db:
        accounts.set_team_limits(db, team=db.get_one(Team, alice.team_id), max_upload_bytes=1_000_000)
        db.commit()
    c = live.client(alice.secret)
    v = _new_video(c)

    def body():  # chunked: no Content-Length, so the limit must hold while streaming
        for _ in range(40):
            yield os.urandom(64 * 1024)

    r = c.put(f"/api/v1/videos/{v['id']}/source", content=body())
    assert r.status_code == 413
    err = r.json()["error"]
    assert err["limit"] == "max_upload_bytes" and "1000000" in err["message"]
    assert list(live.runtime.store.list("videos/")) == []
    assert c.get(f"/api/v1/videos/{v['id']}").json()["state"] == "created"
    # Declared too large: refused before reading.
    r2 = c.put(f"/api/v1/videos/{v['id']}/source", content=os.urandom(1_000_001))
    assert r2.status_code == 413
    # A file within the limit still works afterwards.
    ok = c.put(f"/api/v1/videos/{v['id']}/source", content=os.urandom(999_999))
    assert ok.status_code == 200 and ok.json()["size"] == 999_999


def test_upload_quota_bytes_counts_stored_files(live: LiveServer, alice: Account) -> None:
    with live.runtime.session() as db:
        accounts.set_team_limits(db, team=db.get_one(Team, alice.team_id), quota_bytes=150_000)
        db.commit()
    c = live.client(alice.secret)
    a, b = _new_video(c), _new_video(c)
    assert c.put(f"/api/v1/videos/{a['id']}/source", content=os.urandom(100_000)).status_code == 200
    r = c.put(f"/api/v1/videos/{b['id']}/source", content=os.urandom(100_000))
    assert r.status_code == 413
    assert r.json()["error"]["limit"] == "quota_bytes"
    assert c.get("/api/v1/me").json()["team"]["usage"]["stored_bytes"] == 100_000


def test_upload_twice_when_already_uploaded_is_409_original_intact(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    v = _new_video(c)
    first = os.urandom(50_000)
    assert c.put(f"/api/v1/videos/{v['id']}/source", content=first).status_code == 200
    r = c.put(f"/api/v1/videos/{v['id']}/source", content=b"other")
    assert r.status_code == 409
    assert c.get(f"/api/v1/videos/{v['id']}/original").content == first


def test_upload_empty_body_refused(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    v = _new_video(c)
    r = c.put(f"/api/v1/videos/{v['id']}/source", content=b"")
    assert r.status_code == 422
    assert c.get(f"/api/v1/videos/{v['id']}").json()["state"] == "created"


def test_upload_connection_dropped_midway_leaves_no_object(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    v = _new_video(c)
    u = urlsplit(live.url)
    with socket.create_connection((u.hostname, u.port)) as s:
        head = (
            f"PUT /api/v1/videos/{v['id']}/source HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {alice.secret}\r\nContent-Length: 10000000\r\n\r\n"
        )
        s.sendall(head.encode() + os.urandom(3_000_000))
        time.sleep(0.3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if c.get(f"/api/v1/videos/{v['id']}").json()["state"] == "created":
            break
        time.sleep(0.1)
    assert c.get(f"/api/v1/videos/{v['id']}").json()["state"] == "created"
    assert c.get(f"/api/v1/videos/{v['id']}/original").status_code == 409
    assert list(live.runtime.store.list("videos/")) == []
    # And the service is still up and the upload can be retried.
    assert c.put(f"/api/v1/videos/{v['id']}/source", content=b"fine").status_code == 200
