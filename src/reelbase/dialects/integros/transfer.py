"""The Integros upload server: where the signed URLs of ``get_resumable_url`` (``/upload_chunk``)
and ``get_url`` (``/upload``) point. Both paths take either protocol:

* ResumableJS: ``GET`` is its test request (200 when the chunk is stored, 204 when not), ``POST``
  one chunk, as multipart (file part ``file``) or a raw body, with the ``resumable*`` parameters
  in the query and/or the form;
* a whole file in one ``POST`` (or ``PUT``): multipart as the document's
  ``curl -F token= -F sign= -F expires_at= -F file=@…`` sends it (signed fields before the file),
  or a raw body with the signed parameters in the query.

The signed parameters (``token`` is the video's token) are checked by the core
(``core.uploads.video_urls``); chunks and files go through the upload engine. Chunk failures use
the statuses ResumableJS understands (``errors.RESUMABLE_STATUS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from reelbase.core.errors import DomainError
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import (
    ChunkPlan,
    UploadGrant,
    UploadStatus,
    has_chunk,
    open_chunked_upload,
    put_chunk,
    receive_signed_source,
    verify_video_upload_url,
)
from reelbase.dialects.integros.errors import domain_failure
from reelbase.dialects.integros.formats import int_param
from reelbase.edge.deps import get_runtime
from reelbase.edge.upload_body import UploadBody

router = APIRouter(tags=["upload server"])
PATHS = ("/upload_chunk", "/upload")


def _grant(runtime: Runtime, params: Mapping[str, str]) -> UploadGrant:
    return verify_video_upload_url(runtime, token=params.get("token"), expires_at=params.get("expires_at"),
                                   sign=params.get("sign"))


def _number(params: Mapping[str, str], name: str) -> int:
    value = int_param(params.get(name), name)
    return 0 if value is None else value


def _plan(params: Mapping[str, str]) -> ChunkPlan:
    return ChunkPlan(
        identifier=(params.get("resumableIdentifier") or "").strip(),
        length=_number(params, "resumableTotalSize"),
        chunk_size=_number(params, "resumableChunkSize"),
        total_chunks=_number(params, "resumableTotalChunks"),
        filename=params.get("resumableFilename") or None,
    )


def _answer(params: Mapping[str, str], status: UploadStatus) -> dict[str, Any]:
    return {"token": params.get("token"), "state": "uploaded" if status.complete else "uploading",
            "progress": status.progress, "complete": status.complete}


async def chunk_test(request: Request) -> Response:
    """ResumableJS test request: 200 if the chunk is stored, 204 if it is not."""
    runtime = get_runtime(request)
    params = dict(request.query_params)

    def work() -> bool:
        grant = _grant(runtime, params)
        upload = open_chunked_upload(runtime, grant, _plan(params), video_ref=None)
        return has_chunk(runtime, grant, upload.id, _number(params, "resumableChunkNumber"))

    try:
        present = await run_in_threadpool(work)
    except DomainError as exc:
        return domain_failure(exc, resumable=True)
    return JSONResponse({"present": True}) if present else Response(status_code=204)


async def receive(request: Request) -> Response:
    """One ResumableJS chunk, or the whole file."""
    runtime = get_runtime(request)
    body = UploadBody(request)
    chunked = [False]

    def work() -> dict[str, Any]:
        params = body.open(filename_keys=("file_name", "filename")).params  # query, and fields before the file
        chunked[0] = "resumableChunkNumber" in params
        grant = _grant(runtime, params)
        if chunked[0]:
            upload = open_chunked_upload(runtime, grant, _plan(params), video_ref=None)
            status = put_chunk(runtime, grant, upload.id, number=_number(params, "resumableChunkNumber"),
                               chunks=body.chunks,
                               declared_size=int_param(params.get("resumableCurrentChunkSize"),
                                                       "resumableCurrentChunkSize"))
        else:
            status = receive_signed_source(runtime, grant, chunks=body.chunks, filename=body.filename,
                                           content_type=body.content_type)
        return _answer(params, status)

    try:
        return JSONResponse(await run_in_threadpool(work))
    except DomainError as exc:
        return domain_failure(exc, resumable=chunked[0])


for _path in PATHS:
    router.add_api_route(_path, chunk_test, methods=["GET"], operation_id=f"test{_path.replace('/', '_')}",
                         summary="ResumableJS test request (200 stored, 204 not)")
    for _method in ("POST", "PUT"):  # one route per method: an operation id names one operation
        router.add_api_route(_path, receive, methods=[_method],
                             operation_id=f"{_method.lower()}_send{_path.replace('/', '_')}",
                             summary="A ResumableJS chunk, or the whole file (multipart field `file` or raw body)")
