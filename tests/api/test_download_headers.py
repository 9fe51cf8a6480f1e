"""A stored file is media, never a page: an original uploaded as HTML is served with nosniff and a
sandbox CSP by every surface that hands it out, so opening it runs nothing on Reelbase's origin."""

from __future__ import annotations

import httpx

from tests.conftest import Account, LiveServer
from tests.dialects import pixop_client, valt_client

PAGE = b"<!doctype html><script>fetch('/api/v1/keys').then(r => r.text()).then(alert)</script>"
SANDBOX = "default-src 'none'; sandbox"


def _is_inert(r: httpx.Response) -> None:
    assert r.status_code == 200, r.text
    assert r.content == PAGE  # the bytes as uploaded, never rewritten
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == SANDBOX
    assert r.headers["content-disposition"].startswith("attachment")


def test_an_html_original_is_inert_on_every_download(live: LiveServer, alice: Account) -> None:
    api = live.client(alice.secret)
    video = api.post("/api/v1/videos", json={"title": "page"}).json()
    stored = api.put(f"/api/v1/videos/{video['id']}/source", params={"filename": "page.html"}, content=PAGE,
                     headers={"Content-Type": "text/html"})
    assert stored.status_code == 200, stored.text
    native = api.get(f"/api/v1/videos/{video['id']}/original")
    _is_inert(native)
    again = api.get(f"/api/v1/videos/{video['id']}/original", headers={"If-None-Match": native.headers["etag"]})
    assert again.status_code == 304 and again.headers["x-content-type-options"] == "nosniff"
    head = api.head(f"/api/v1/videos/{video['id']}/original")
    assert head.headers["content-security-policy"] == SANDBOX
    part = api.get(f"/api/v1/videos/{video['id']}/original", headers={"Range": "bytes=0-4"})
    assert part.status_code == 206 and part.headers["x-content-type-options"] == "nosniff"

    with valt_client.client(live) as c:
        record, valt_video = valt_client.created(c, alice.secret)
        sent = valt_client.send_chunk(c, alice.secret, record, valt_video, PAGE, 0, len(PAGE) - 1)
        assert sent.status_code == 200, sent.text
        _is_inert(c.get(f"/api/v3/records/{record}/videos/{valt_video}/download",
                        params={"access_token": alice.secret}))

    token = pixop_client.login(live, alice)
    with pixop_client.service(live, token) as c:
        created = c.put("/videos/v1/video", json={"name": "page"}).json()
    with pixop_client.service(live, token, media=True) as c:
        up = c.post(created["uploadMediaUrl"], files={"file": ("page.html", PAGE, "text/html")})
        assert up.status_code == 200, up.text
        _is_inert(c.get(f"/media/v1/download/original/{created['videoId']}"))
