"""The one upload-body reader: raw or multipart bodies, form fields merged under the query, the
filename rule, form-only endpoints, and the fields of a form that has no file part."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from reelbase.core.errors import InvalidInput
from reelbase.edge.upload_body import UploadBody
from tests.conftest import start_server


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/read")
    async def read(request: Request) -> JSONResponse:
        body = UploadBody(request)
        keys = tuple(request.headers.get("x-filename-keys", "filename").split(","))
        only = request.headers.get("x-multipart-only") == "1"

        def work() -> dict[str, Any]:
            try:
                body.open(filename_keys=keys, multipart_only=only)
            except InvalidInput as exc:
                return {"refused": exc.message, "fields": body.fields}
            digest, size = hashlib.sha256(), 0
            for chunk in body.chunks:
                digest.update(chunk)
                size += len(chunk)
            return {"sha256": digest.hexdigest(), "size": size, "filename": body.filename,
                    "content_type": body.content_type, "params": body.params, "multipart": body.multipart,
                    "declared_length": body.declared_length}

        return JSONResponse(await run_in_threadpool(work))

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    # A real server on loopback: the body bridge needs a running event loop and worker threads.
    url, server, thread = start_server(_app())
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


DATA = bytes(range(256)) * 5000  # over one read-ahead batch, so the body arrives in several chunks


def test_upload_body_raw_streams_bytes_with_query_filename(client: httpx.Client) -> None:
    got = client.post("/read?filename=raw.mp4&x=1", content=DATA, headers={"content-type": "video/mp4"}).json()
    assert got["sha256"] == hashlib.sha256(DATA).hexdigest() and got["size"] == len(DATA)
    assert got["filename"] == "raw.mp4" and got["content_type"] == "video/mp4" and not got["multipart"]
    assert got["params"] == {"filename": "raw.mp4", "x": "1"} and got["declared_length"] == len(DATA)


def test_upload_body_raw_without_type_has_no_content_type(client: httpx.Client) -> None:
    got = client.post("/read", content=b"abc", headers={"content-type": ""}).json()
    assert got["content_type"] is None and got["filename"] is None and got["size"] == 3


def test_upload_body_multipart_merges_fields_under_query(client: httpx.Client) -> None:
    got = client.post("/read?token=from-query", data={"token": "from-form", "title": "T"},
                      files={"file": ("clip.mov", DATA, "video/quicktime")}).json()
    assert got["sha256"] == hashlib.sha256(DATA).hexdigest() and got["multipart"]
    assert got["filename"] == "clip.mov" and got["content_type"] == "video/quicktime"
    assert got["params"] == {"token": "from-query", "title": "T"}


def test_upload_body_filename_part_then_field_then_query(client: httpx.Client) -> None:
    unnamed = ("", b"xyz", "video/mp4")
    field = client.post("/read?filename=q.mp4", data={"filename": "f.mp4"}, files={"file": unnamed}).json()
    assert field["filename"] == "f.mp4"
    query = client.post("/read?filename=q.mp4", files={"file": unnamed}).json()
    assert query["filename"] == "q.mp4"
    keyed = client.post("/read?filename=q.mp4", data={"file_name": "n.mp4"}, files={"file": unnamed},
                        headers={"x-filename-keys": "file_name,filename"}).json()
    assert keyed["filename"] == "n.mp4"


def test_upload_body_multipart_only_refuses_a_raw_body(client: httpx.Client) -> None:
    got = client.post("/read", content=b"abc", headers={"content-type": "video/mp4", "x-multipart-only": "1"})
    assert "multipart/form-data" in got.json()["refused"]


def test_upload_body_form_without_file_keeps_its_fields(client: httpx.Client) -> None:
    got = client.post("/read", files={"remote_file": (None, "https://example.com/a.mp4")}).json()
    assert "no 'file' part" in got["refused"]
    assert got["fields"] == {"remote_file": "https://example.com/a.mp4"}
