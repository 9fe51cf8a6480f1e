"""Signed upload URLs: upload without an API key; tampered, expired, reused URLs refused."""

from __future__ import annotations

import hashlib
import io
import os
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from tusclient.client import TusClient

from tests.conftest import Account, LiveServer

from . import resumable_client as rj


def _signed(live: LiveServer, secret: str, **body: object) -> dict:
    r = live.client(secret).post("/api/v1/uploads/signed-urls", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_signed_url_multipart_upload_without_api_key(live: LiveServer, alice: Account) -> None:
    video = live.client(alice.secret).post("/api/v1/videos", json={"title": "signed"}).json()
    s = _signed(live, alice.secret, video=video["id"], filename="ignored.mp4")
    assert s["video"] == video["id"] and set(_params(s["url"])) == {"token", "expires_at", "sign"}
    data = os.urandom(200_000)
    anonymous = httpx.Client(timeout=30)
    # Integros style: token, sign and expires_at as form fields before the file.
    fields = {"token": s["token"], "sign": s["sign"], "expires_at": str(s["expires_at"])}
    r = anonymous.post(live.url + "/api/v1/uploads/signed", data=fields,
                       files={"file": ("GOPR1012.MP4", data, "video/mp4")})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == video["id"] and r.json()["state"] == "uploaded"
    assert r.json()["original"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert r.json()["original_filename"] == "ignored.mp4"  # the name fixed when the URL was made wins
    again = anonymous.post(s["url"], content=b"more")
    assert again.status_code == 403 and "already used" in again.json()["error"]["message"]


def test_signed_url_tampered_expired_missing_refused(live: LiveServer, alice: Account) -> None:
    s = _signed(live, alice.secret)
    p = _params(s["url"])
    base = live.url + "/api/v1/uploads/signed"
    anonymous = httpx.Client(timeout=30)

    def post(params: dict[str, str]) -> httpx.Response:
        return anonymous.post(f"{base}?{urlencode(params)}", content=b"data")

    bad_sign = post({**p, "sign": ("0" if p["sign"][0] != "0" else "1") + p["sign"][1:]})
    assert bad_sign.status_code == 403 and "signature" in bad_sign.json()["error"]["message"]
    later = post({**p, "expires_at": str(int(p["expires_at"]) + 3600)})  # stretching the expiry
    assert later.status_code == 403
    other = post({**p, "token": "0" * 32})
    assert other.status_code == 403
    missing = post({"token": p["token"]})
    assert missing.status_code == 401
    short = _signed(live, alice.secret, expires_in=1)
    time.sleep(1.2)
    expired = anonymous.post(short["url"], content=b"data")
    assert expired.status_code == 403 and "expired" in expired.json()["error"]["message"]
    assert post(p).status_code == 200  # the untouched URL still works


def test_signed_url_size_is_enforced_and_failed_attempt_can_retry(live: LiveServer, alice: Account) -> None:
    s = _signed(live, alice.secret, size=1000)
    anonymous = httpx.Client(timeout=30)
    r = anonymous.post(s["url"], content=os.urandom(1500))
    assert r.status_code == 413
    r = anonymous.post(s["url"], content=os.urandom(999))
    assert r.status_code == 409 and "999 of 1000" in r.json()["error"]["message"]
    r = anonymous.post(s["url"], content=os.urandom(1000))
    assert r.status_code == 200 and r.json()["size"] == 1000


def test_signed_url_with_resumable_chunks(live: LiveServer, alice: Account) -> None:
    s = _signed(live, alice.secret)
    data = os.urandom(500_000)
    chunk = 100_000
    anonymous = httpx.Client(timeout=30)
    for n in reversed(list(rj.numbers(data, chunk))):
        r = rj.send_chunk(anonymous, s["resumable_url"], data, chunk, n)
        assert r is not None and r.status_code == 200, r.text
    assert r.json()["complete"] is True
    video = live.client(alice.secret).get(f"/api/v1/videos/{s['video']}").json()
    assert video["original"]["sha256"] == hashlib.sha256(data).hexdigest()
    # A second file on the same URL is refused, and so is any chunk once it is complete.
    again = rj.send_chunk(anonymous, s["resumable_url"], data, chunk, 1, test_first=False)
    assert again is not None and again.status_code == 403


def test_signed_url_with_tuspy_and_location_keeps_signature(live: LiveServer, alice: Account) -> None:
    s = _signed(live, alice.secret)
    data = os.urandom(300_000)
    client = TusClient(s["tus_url"])
    uploader = client.uploader(file_stream=io.BytesIO(data), chunk_size=100_000, metadata={"filename": "t.mp4"})
    uploader.upload()
    assert set(_params(uploader.url)) == {"token", "expires_at", "sign"}
    video = live.client(alice.secret).get(f"/api/v1/videos/{s['video']}").json()
    assert video["original"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert video["original_filename"] == "t.mp4"


def test_signed_url_grants_only_its_own_upload(live: LiveServer, alice: Account) -> None:
    mine = _signed(live, alice.secret)
    theirs = _signed(live, alice.secret)
    anonymous = httpx.Client(timeout=30)
    p = urlencode(_params(mine["url"]))
    r = anonymous.head(f"{live.url}/api/v1/uploads/{theirs['token']}?{p}", headers={"Tus-Resumable": "1.0.0"})
    assert r.status_code == 404
    status = anonymous.get(f"{live.url}/api/v1/uploads/{mine['token']}?{p}")
    assert status.status_code == 200 and status.json()["state"] == "active"
    assert anonymous.get(f"{live.url}/api/v1/videos/{mine['video']}?{p}").status_code == 401
