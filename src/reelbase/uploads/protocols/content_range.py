"""Content-Range chunked uploads (blueimp / VALT style): ``Content-Range: bytes start-end/total``
on a raw or multipart/form-data body, each chunk appended at its offset.

Served on the native ``PUT|POST /api/v1/videos/{id}/source`` (the single-upload route hands a
request with a Content-Range header to :func:`content_range_upload`) and on the signed-URL
endpoint. Answers: 202 with the upload's state plus ``Range: bytes=0-<last>`` and
``Upload-Offset`` while incomplete; 200 with the video once the last chunk is in; 409 with the
current offset (body ``error.offset`` and the same headers) for a chunk that does not start at or
before it; a repeated chunk is accepted again without changing anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from reelbase.core.errors import DomainError
from reelbase.core.uploads import Actor, UploadStatus
from reelbase.core.uploads_single import parse_content_range, receive_range
from reelbase.db.models import Video
from reelbase.uploads.multipart import MultipartFile
from reelbase.uploads.protocols.common import UploadPublic, error_response, request_body, runtime_of, upload_json

Render = Callable[[Session, Video], dict[str, Any]]

_PROGRESS_HEADERS = {
    "Upload-Offset": {"schema": {"type": "integer"}, "description": "Content-Range uploads: bytes stored so far"},
    "Range": {"schema": {"type": "string"}, "description": "Content-Range uploads: bytes=0-<last stored byte>"},
}
# OpenAPI for what answer() sends; the route also names the video model as its response_model.
ANSWER_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The whole file is in: the video", "headers": _PROGRESS_HEADERS},
    202: {"model": UploadPublic, "description": "A Content-Range chunk is stored; the upload goes on",
          "headers": _PROGRESS_HEADERS},
}


def progress_headers(status: UploadStatus) -> dict[str, str]:
    headers = {"Upload-Offset": str(status.offset)}
    if status.offset:
        headers["Range"] = f"bytes=0-{status.offset - 1}"
    return headers


def answer(request: Request, status: UploadStatus, render: Render) -> Response:
    """200 with the video when the upload is complete, else 202 with the upload's state."""
    runtime = runtime_of(request)
    if status.complete:
        with runtime.session() as db:
            return JSONResponse(render(db, db.get_one(Video, status.video_id)), headers=progress_headers(status))
    return JSONResponse(upload_json(runtime, status), status_code=202, headers=progress_headers(status))


async def content_range_upload(
    request: Request, video_ref: str | None, *, render: Render,
    actor: Actor | None = None, resolve: Callable[[dict[str, str]], Actor] | None = None,
) -> Response:
    """Handle one Content-Range chunk for ``video_ref`` (API key) or for a signed URL's upload.
    ``resolve`` (run in the worker thread, given the query and any form fields that precede the
    file part) finds the actor when ``actor`` is not known yet."""
    runtime = runtime_of(request)
    header = request.headers.get("content-range", "")
    content_type = request.headers.get("content-type", "")
    raw = request_body(request)

    def work() -> UploadStatus:
        start, end, total = parse_content_range(header)
        params = dict(request.query_params)
        body: Iterator[bytes] = raw
        name, ctype = params.get("filename"), content_type or None
        if content_type.lower().startswith("multipart/"):
            form = MultipartFile(raw, content_type).open()
            params = {**form.fields, **params}
            name, ctype, body = form.filename or form.fields.get("filename") or name, form.content_type, iter(form)
        who = actor if actor is not None else resolve(params) if resolve else None
        assert who is not None
        return receive_range(runtime, who, video_ref=video_ref, start=start, end=end, total=total, chunks=body,
                             filename=name, content_type=ctype)

    try:
        status = await run_in_threadpool(work)
    except DomainError as exc:
        return error_response(exc)
    return answer(request, status, render)
