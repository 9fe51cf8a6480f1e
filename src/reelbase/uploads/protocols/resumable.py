"""The ResumableJS chunk protocol at ``/api/v1/uploads/resumable``.

``GET`` is resumable.js's test request: 200 when the chunk is stored, 204 when it is not (it then
sends the chunk). ``POST`` carries one chunk, as multipart/form-data (file part ``file``) or as a
raw body (resumable.js ``method: "octet"``); the ``resumable*`` parameters come in the query
string and/or as form fields before the file. Chunks may come in any order and in parallel; the
one that completes the set assembles the file and commits it to the video.

Status codes as resumable.js reads them: its default ``permanentErrors`` are 400, 401, 403, 404,
409, 415, 500 and 501 and it retries anything else, so a bad request is 400 (never 422 or 413,
which it would retry forever), an upload that is gone is 404, and a transient failure (storage,
a busy lock) is 503.

Auth: the API key with ``video=<id>`` naming the video, or a signed upload URL (its parameters in
the query), which names the upload itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from reelbase.edge.deps import get_runtime
from reelbase.edge.errors import error_responses
from reelbase.core.errors import DomainError, InvalidInput
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import Actor, ChunkPlan, UploadGrant, has_chunk, open_chunked_upload, put_chunk
from reelbase.edge.upload_body import UploadBody
from reelbase.edge.uploads import UploadPublic, error_response, upload_json
from reelbase.uploads.protocols.common import resolve_actor_sync
from reelbase.core.numbers import is_decimal

router = APIRouter(prefix="/uploads", tags=["uploads: ResumableJS"])
_STATUS_FOR_RESUMABLE = {422: 400, 413: 400, 410: 404, 423: 503}


# Never 422 or 413 here (see above); FastAPI would document 422 for a route with parameters.
_ERRORS = error_responses(400, 401, 403, 429, 404, 409, 503)


class ChunkPresent(BaseModel):
    present: bool


class ChunkAccepted(UploadPublic):
    complete: bool = Field(description="This chunk completed the file, now committed to the video")


def _error(exc: DomainError) -> Response:
    return error_response(exc, status=_STATUS_FOR_RESUMABLE.get(exc.status))


def _int(params: Mapping[str, str], name: str, *, required: bool = True) -> int | None:
    value = (params.get(name) or "").strip()
    if not value:
        if required:
            raise InvalidInput(f"{name} is missing", field=name)
        return None
    if not is_decimal(value):
        raise InvalidInput(f"{name} must be a non-negative integer, not {value[:40]!r}", field=name)
    return int(value)


def _plan(params: Mapping[str, str]) -> ChunkPlan:
    filename = params.get("resumableFilename") or None
    return ChunkPlan(
        identifier=(params.get("resumableIdentifier") or "").strip(),
        length=_int(params, "resumableTotalSize") or 0,
        chunk_size=_int(params, "resumableChunkSize") or 0,
        total_chunks=_int(params, "resumableTotalChunks") or 0,
        filename=filename,
    )


def _session(runtime: Runtime, request: Request, params: Mapping[str, str]) -> tuple[Actor, str, ChunkPlan]:
    actor = resolve_actor_sync(runtime, request, params)
    plan = _plan(params)
    video = params.get("video") or None
    if not isinstance(actor, UploadGrant) and not video:
        raise InvalidInput("name the video (?video=<id>) or use a signed upload URL", field="video")
    status = open_chunked_upload(runtime, actor, plan, video_ref=video)
    return actor, status.id, plan


@router.get("/resumable", summary="ResumableJS test request: 200 if the chunk is stored, 204 if not",
            response_model=ChunkPresent, responses={204: {"description": "Not stored: send the chunk"}, **_ERRORS})
async def resumable_test(request: Request) -> Response:
    runtime = get_runtime(request)
    params = dict(request.query_params)

    def work() -> bool:
        actor, upload_id, _ = _session(runtime, request, params)
        return has_chunk(runtime, actor, upload_id, _int(params, "resumableChunkNumber") or 0)

    try:
        present = await run_in_threadpool(work)
    except DomainError as exc:
        return _error(exc)
    return JSONResponse({"present": True}) if present else Response(status_code=204)


@router.post("/resumable", summary="ResumableJS chunk (multipart field 'file', or the raw body)",
             response_model=ChunkAccepted, responses=_ERRORS)
async def resumable_chunk(request: Request) -> Response:
    runtime = get_runtime(request)
    body = UploadBody(request)

    def work() -> dict:
        params = body.open().params  # the query, and fields that came before the file part
        actor, upload_id, _ = _session(runtime, request, params)
        status = put_chunk(
            runtime, actor, upload_id, number=_int(params, "resumableChunkNumber") or 0, chunks=body.chunks,
            declared_size=_int(params, "resumableCurrentChunkSize", required=False),
        )
        return {**upload_json(runtime, status), "complete": status.complete}

    try:
        return JSONResponse(await run_in_threadpool(work))
    except DomainError as exc:
        return _error(exc)
