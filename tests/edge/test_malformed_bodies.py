"""A multipart body the parser cannot read is the client's fault: every surface that takes multipart
answers 400 in its own error shape, and the video it was aimed at keeps waiting for a good body."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import Account, LiveServer
from tests.dialects import pixop_client, sparevideos_client, valt_client

BOUNDARY = "xx"
# Headers that are not headers, a part without a name, and bodies that stop or start wrong.
BROKEN = [
    b"--xx\r\n[{'a': 1}]\r\n\r\nbody\r\n--xx--\r\n",
    b"garbage that is no multipart at all",
    b"--yy\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nbody\r\n--yy--\r\n",
    b"--xx\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\x00\x01: \r\n\r\nz\r\n--xx--\r\n",
]
HEADERS = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _native(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "malformed_body" and error["status"] == 400
    assert error["message"].startswith("malformed multipart body"), error


def _video_state(live: LiveServer, secret: str, video_id: Any) -> str:
    return live.client(secret).get(f"/api/v1/videos/{video_id}").json()["state"]


@pytest.mark.parametrize("body", BROKEN)
def test_native_surfaces_answer_400_in_the_native_shape(live: LiveServer, alice: Account, body: bytes) -> None:
    api = live.client(alice.secret)
    video = api.post("/api/v1/videos", json={"title": "target"}).json()
    _native(api.post(f"/api/v1/videos/{video['id']}/source", content=body, headers=HEADERS))
    assert _video_state(live, alice.secret, video["id"]) == "created"  # nothing was stored
    _native(api.post("/api/v1/uploads/resumable", content=body, headers=HEADERS,
                     params={"resumableChunkNumber": "1", "resumableChunkSize": "10", "resumableTotalSize": "10",
                             "resumableIdentifier": "x", "resumableFilename": "x.mp4", "video": video["id"]}))
    signed = api.post("/api/v1/uploads/signed-urls", json={"video": video["id"]}).json()
    with httpx.Client(timeout=30) as anonymous:
        _native(anonymous.post(live.url + "/api/v1/uploads/signed", params=_query(signed["url"]), content=body,
                               headers=HEADERS))
    assert _video_state(live, alice.secret, video["id"]) != "uploaded"
    ok = api.post(f"/api/v1/videos/{video['id']}/source", files={"file": ("fine.mp4", b"fine", "video/mp4")})
    assert ok.status_code == 200 and ok.json()["state"] == "uploaded", ok.text


def test_integros_answers_400_with_its_error_body(live: LiveServer, alice: Account) -> None:
    with httpx.Client(base_url=live.url + "/compat/integros", timeout=30) as c:
        single = c.get("/v1/uploads/get_url.json", params={"access_key": alice.secret}).json()
        chunked = c.get("/v1/uploads/get_resumable_url.json", params={
            "access_key": alice.secret, "files[0][id]": "f", "files[0][name]": "f.mp4", "files[0][size]": "10"}).json()
        for target in (single["url"], chunked["f"]["url"]):
            path = urlsplit(target).path.removeprefix("/compat/integros")
            r = c.post(path, params=_query(target), content=BROKEN[0], headers=HEADERS)
            assert r.status_code == 400, (path, r.text)
            assert "malformed multipart body" in r.json()["error"], r.text


def test_valt_answers_400_with_its_error_body(live: LiveServer, alice: Account) -> None:
    with valt_client.client(live) as c:
        record, video = valt_client.created(c, alice.secret)
        r = c.post(f"/api/v3/records/{record}/videos/{video}", params={"access_token": alice.secret},
                   content=BROKEN[0], headers={**HEADERS, "Content-Range": "bytes 0-9/10"})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == 400 and error["message"].startswith("malformed multipart body"), r.text


def test_pixop_media_answers_400_with_its_exception_body(live: LiveServer, alice: Account) -> None:
    token = pixop_client.login(live, alice)
    with pixop_client.service(live, token) as c:
        created = c.put("/videos/v1/video", json={"name": "raw"}).json()
    with pixop_client.service(live, token, media=True) as c:
        r = c.post(created["uploadMediaUrl"], content=BROKEN[0], headers=HEADERS)
        assert r.status_code == 400, r.text
        assert pixop_client.failure_of(r) == "BadRequestException"
        assert r.json()["errorMessage"].startswith("malformed multipart body")
        fine = c.post(created["uploadMediaUrl"], files={"file": ("reel.mov", b"data", "video/quicktime")})
        assert fine.status_code == 200, fine.text  # the refused body left the upload open


def test_sparevideos_upload_server_answers_400_with_its_number(live: LiveServer, alice: Account) -> None:
    with sparevideos_client.client(live) as c:
        init = sparevideos_client.initiate(c, alice)
        r = c.post(init["server"], params={"token": init["token"]}, content=BROKEN[0], headers=HEADERS)
    body = sparevideos_client.expect_error(r, 10002, 400)  # "upload not valid", the upload server's number
    assert body["message"].startswith("malformed multipart body"), body
