"""An upload as every upload surface answers it: its JSON, its progress headers, error bodies that
add what a resuming client needs (the current offset), and the Content-Range chunk handler.

Content-Range chunked uploads (blueimp / VALT style): ``Content-Range: bytes start-end/total``
on a raw or multipart/form-data body, each chunk appended at its offset. Served on the native
``PUT|POST /api/v1/videos/{id}/source`` (the single-upload route hands a request with a
Content-Range header to :func:`content_range_upload`) and on the signed-URL endpoint. Answers:
202 with the upload's state plus ``Range: bytes=0-<last>`` and ``Upload-Offset`` while
incomplete; 200 with the video once the last chunk is in; 409 with the current offset (body
``error.offset`` and the same headers) for a chunk that does not start at or before it; a
repeated chunk is accepted again without changing anything.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from reelbase.core.errors import DomainError
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import (
    Actor,
    OffsetMismatch,
    UploadState,
    UploadStatus,
    parse_content_range,
    receive_range,
)
from reelbase.db.models import Video
from reelbase.edge.deps import get_runtime
from reelbase.edge.errors import domain_error_response
from reelbase.edge.links import API_PREFIX
from reelbase.edge.representations import iso, video_json
from reelbase.edge.upload_body import UploadBody


def upload_url(runtime: Runtime, upload_id: str, query: str = "") -> str:
    base = f"{runtime.settings.public_url}{API_PREFIX}/uploads/{upload_id}"
    return f"{base}?{query}" if query else base


class UploadPublic(BaseModel):
    """What :func:`upload_json` answers, for /openapi.json (extra="allow": a key missing here is
    still sent, never dropped)."""

    model_config = ConfigDict(extra="allow")
    id: str
    protocol: str = Field(description="single, content_range, resumable, tus, url or signed")
    state: UploadState
    offset: int = Field(description="Bytes stored so far")
    length: int | None = Field(description="The file's size, when known")
    progress: int = Field(description="0-100; 100 only once the file is committed to its video")
    expires_at: Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
    video: str = Field(description="The video's id")
    video_url: str
    filename: str | None
    error: str | None
    error_code: str | None
    url: str = Field(description="This upload's state (GET)")


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


def upload_json(runtime: Runtime, status: UploadStatus) -> dict[str, Any]:
    return {
        "id": status.id,
        "protocol": status.protocol,
        "state": status.state,
        "offset": status.offset,
        "length": status.length,
        "progress": status.progress,
        "expires_at": iso(status.expires_at),
        "video": status.video_uuid,
        "video_url": f"{runtime.settings.public_url}{API_PREFIX}/videos/{status.video_uuid}",
        "filename": status.filename,
        "error": status.error,
        "error_code": status.metadata.get("error_code"),
        "url": upload_url(runtime, status.id),
    }


def progress_headers(offset: int) -> dict[str, str]:
    """What a resuming client reads to know how much is stored: ``Upload-Offset`` and, once there
    is a byte, ``Range: bytes=0-<last stored byte>``."""
    headers = {"Upload-Offset": str(offset)}
    if offset:
        headers["Range"] = f"bytes=0-{offset - 1}"
    return headers


def error_response(
    exc: DomainError, *, status: int | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The native error body for ``exc``; an offset mismatch also carries the stored offset (in
    ``error.offset`` and the progress headers) so the client can resume from it."""
    if not isinstance(exc, OffsetMismatch):
        return domain_error_response(exc, status=status, headers=headers)
    return domain_error_response(exc, status=status, headers={**progress_headers(exc.offset), **(headers or {})},
                                 offset=exc.offset)


def answer(request: Request, status: UploadStatus) -> Response:
    """200 with the video when the upload is complete, else 202 with the upload's state."""
    runtime = get_runtime(request)
    headers = progress_headers(status.offset)
    if status.complete:
        with runtime.session() as db:
            return JSONResponse(video_json(db, runtime, db.get_one(Video, status.video_id)), headers=headers)
    return JSONResponse(upload_json(runtime, status), status_code=202, headers=headers)


async def content_range_upload(request: Request, video_ref: str, *, actor: Actor) -> Response:
    """Handle one Content-Range chunk of ``actor``'s upload to ``video_ref``."""
    runtime = get_runtime(request)
    header = request.headers.get("content-range", "")
    body = UploadBody(request)

    def work() -> UploadStatus:
        start, end, total = parse_content_range(header)
        body.open()
        return receive_range(runtime, actor, video_ref=video_ref, start=start, end=end, total=total,
                             chunks=body.chunks, filename=body.filename, content_type=body.content_type)

    try:
        status = await run_in_threadpool(work)
    except DomainError as exc:
        return error_response(exc)
    return answer(request, status)
