"""Helpers for the VALT golden tests: the document's example requests, verbatim."""

from __future__ import annotations

import re
import httpx

from tests.conftest import LiveServer

BASE = "/compat/valt"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# The document's request bodies, byte for byte (Example 2 has a trailing comma).
EXAMPLE_1 = '{\n"name": "Upload Recording"\n}'
EXAMPLE_2 = (
    '{\n"name": "Upload Recording",\n"template": {\n"1": "Field Value 1",\n"2": "Field Value 2",\n},\n'
    '"share": {\n"users": [1, 2, 3],\n"groups": [4, 5, 6]\n}\n}'
)
NO_TOKEN = {"error": {"code": 401, "message": "No API token provided"}}
BAD_CREDENTIALS = {"error": {"code": 401, "message": "Bad credentials."}}


def client(live: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=live.url + BASE, timeout=60)


def create_upload(c: httpx.Client, token: str, body: str = EXAMPLE_1) -> httpx.Response:
    return c.post("/api/v3/records/create-upload", params={"access_token": token}, content=body,
                  headers={"Content-Type": "application/json"})


def created(c: httpx.Client, token: str, body: str = EXAMPLE_1) -> tuple[str, str]:
    r = create_upload(c, token, body)
    assert r.status_code == 200, r.text
    return r.json()["id"], r.json()["videos"][0]


def send_chunk(c: httpx.Client, token: str, record: str, video: str, data: bytes, start: int, end: int,
               *, multipart: bool = True, header_end: int | None = None,
               form: dict[str, str] | None = None, form_after: dict[str, str] | None = None) -> httpx.Response:
    """One chunk ``data[start:end+1]`` with ``Content-Range: bytes start-end/total``, as a
    multipart ``file`` part (the document's form; ``form`` fields before it, ``form_after``
    fields after it) or as the raw body."""
    shown_end = end if header_end is None else header_end
    headers = {"Content-Range": f"bytes {start}-{shown_end}/{len(data)}"}
    path = f"/api/v3/records/{record}/videos/{video}"
    chunk = data[start:end + 1]
    if multipart:
        parts = [("file", ("clip.mp4", chunk, "video/mp4")),
                 *((name, (None, value)) for name, value in (form_after or {}).items())]
        return c.post(path, params={"access_token": token}, headers=headers, data=form, files=parts)
    return c.post(path, params={"access_token": token, "filename": "clip.mp4"}, content=chunk,
                  headers={**headers, "Content-Type": "video/mp4"})
