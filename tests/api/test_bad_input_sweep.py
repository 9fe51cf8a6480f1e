"""A sweep of bad inputs, each once an answer 500 somewhere (and more of the same kinds): every one
is now a 4xx in its surface's own shape, and the service answers normally afterwards."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Account, LiveServer
from tests.dialects import pixop_client, valt_client

ONE = "\u00b9"  # '¹': str.isdigit() says yes, int() says no


def _native(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"error"} and isinstance(body["error"].get("code"), str)


def _valt(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("error", {}).get("code"), int)


def _integros(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("error"), str)


def _spare(body: Any) -> bool:
    return isinstance(body, dict) and body.get("status") == "error" and isinstance(body.get("error"), int)


def _pixop(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"exception", "errorMessage"}


def _ilos(body: Any) -> bool:
    return isinstance(body, dict) and body.get("worked") is False


@pytest.fixture
def sweep(live: LiveServer, alice: Account) -> list[tuple[str, str, dict[str, Any], Any]]:
    """(method, url, request keywords, the surface's error shape)."""
    api = live.client(alice.secret)
    video = api.post("/api/v1/videos", json={"title": "sweep"}).json()
    with valt_client.client(live) as c:
        record, valt_video = valt_client.created(c, alice.secret)
    jwt = pixop_client.login(live, alice)
    key = {"Authorization": f"Bearer {alice.secret}"}
    multipart = {"content": b"--xx\r\n[{'a': 1}]\r\n\r\nbody\r\n--xx--\r\n",
                 "headers": {**key, "Content-Type": "multipart/form-data; boundary=xx"}}
    vid = video["id"]
    return [
        ("GET", f"/api/v1/videos?page=1000000000000000001&per_page={ONE}", {"headers": key}, _native),
        ("GET", f"/api/v1/videos?page={ONE}", {"headers": key}, _native),
        ("GET", "/api/v1/videos?per_page=99999999999999999999", {"headers": key}, _native),
        ("GET", f"/api/v1/projects?page={ONE}", {"headers": key}, _native),
        ("GET", f"/api/v1/videos/{vid}/thumbnails/{ONE}.jpg", {"headers": key}, _native),
        ("GET", f"/api/v1/videos/{vid}/thumbnails/1.jpg?height={ONE}", {"headers": key}, _native),
        ("PUT", f"/api/v1/videos/{vid}/thumbnails/default", {"headers": key, "json": {"index": 10**30}}, _native),
        ("POST", "/api/v1/videos", {"headers": key, "json": {"title": "t", "project": 10**30}}, _native),
        ("POST", "/api/v1/videos", {"headers": key, "content": b'{"title": "t"', "json": None}, _native),
        ("POST", f"/api/v1/videos/{vid}/source", multipart, _native),
        ("POST", f"/api/v1/uploads/signed?token=x&sign=y&expires_at={ONE}", {"content": b"x"}, _native),
        ("PATCH", "/api/v1/uploads/" + "a" * 32, {"headers": {**key, "Tus-Resumable": "1.0.0", "Upload-Offset": "1e3",
                                                              "Content-Type": "application/offset+octet-stream"}},
         _native),
        ("POST", "/api/v1/uploads/", {"headers": {**key, "Tus-Resumable": "1.0.0", "Upload-Length": ONE.encode("latin-1")}}, _native),
        ("GET", f"/compat/valt/api/v3/records/{ONE}/videos/{ONE}/download?access_token={alice.secret}", {}, _valt),
        ("POST", f"/compat/valt/api/v3/records/{record}/videos/{valt_video}?access_token={alice.secret}",
         {"headers": {"Content-Range": f"bytes {ONE}-9/10".encode("latin-1")}, "content": b"0123456789"}, _valt),
        ("POST", f"/compat/valt/api/v3/records/{record}/videos/{valt_video}?access_token={alice.secret}",
         {**multipart, "headers": {**multipart["headers"], "Content-Range": "bytes 0-9/10"}}, _valt),
        ("GET", f"/compat/integros/v1/videos.json?access_key={alice.secret}&page={ONE}", {}, _integros),
        ("GET", f"/compat/integros/v1/videos.json?access_key={alice.secret}&per_page=1{'0' * 30}", {}, _integros),
        ("GET", f"/compat/integros/v1/uploads/get_url.json?access_key={alice.secret}&file_size={ONE}", {}, _integros),
        ("GET", f"/compat/sparevideos/thumbnail/{video['token']}/{ONE}/default.jpg", {}, _spare),
        ("GET", f"/compat/sparevideos/thumbnail/{video['token']}/99999999999999999999/default.jpg", {}, _spare),
        ("GET", f"/compat/pixop/videos/v1/videos?page={ONE}&page-size=100000",
         {"headers": {"Authorization": f"Bearer {jwt}"}}, _pixop),
        ("GET", f"/compat/pixop/videos/v1/video/{ONE}", {"headers": {"Authorization": f"Bearer {jwt}"}}, _pixop),
        ("GET", f"/compat/ilos/opensearch/?api_key={alice.secret}&count={ONE}", {}, _ilos),
        ("POST", "/compat/ilos/v1/token/upload", {"content": b'{"api_key": "k", "x": NaN}',
                                                  "headers": {"Content-Type": "application/json"}}, _ilos),
        ("POST", "/compat/ilos/v1/token/upload", {"content": b"[" * 5000, "headers": {"Content-Type": "application/json"}},
         _ilos),
    ]


def test_every_bad_input_is_a_4xx_in_its_surfaces_shape(live: LiveServer, alice: Account,
                                                        sweep: list[tuple[str, str, dict[str, Any], Any]]) -> None:
    answers = []
    with httpx.Client(base_url=live.url, timeout=30) as c:
        for method, url, keywords, shape in sweep:
            r = c.request(method, url, **{k: v for k, v in keywords.items() if v is not None})
            answers.append((method, url[:90], r.status_code))
            assert 400 <= r.status_code < 500, (method, url, r.status_code, r.text[:300])
            assert shape(r.json()), (method, url, r.text[:300])
        assert c.get("/healthz").json() == {"status": "ok"}
    # the video the sweep aimed at is unchanged
    assert live.client(alice.secret).get("/api/v1/videos?per_page=100").json()["items"][-1]["state"] == "created"
    print("\n".join(f"{status} {method} {url}" for method, url, status in answers))
