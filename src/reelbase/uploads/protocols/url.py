"""Upload by URL, and progress polling for any upload.

``POST /api/v1/uploads/url`` ``{"url": …, "video"?: id, "filename"?, "title"?, "project"?}``
(API key) starts a server-side fetch (SSRF-safe, see ``core/uploads/by_url.py``) and answers 202 with
the upload; ``GET /api/v1/uploads/{id}`` (API key or the signed URL's parameters) returns any
upload's state with ``progress`` 0-100 (an integer) and, when it failed, ``error``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from reelbase.core.errors import DomainError
from reelbase.core.uploads import get_upload, start_url_import
from reelbase.edge.deps import PrincipalDep, RuntimeDep, get_runtime
from reelbase.edge.errors import error_responses
from reelbase.edge.uploads import UploadPublic, error_response, upload_json
from reelbase.uploads.protocols.common import resolve_actor

router = APIRouter(prefix="/uploads", tags=["uploads: by URL"])


class UrlImport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=8192, description="http(s) URL the server fetches the file from")
    video: str | None = Field(default=None, description="Video id; a new video is made when absent")
    filename: str | None = Field(default=None, max_length=255)
    title: str | None = Field(default=None, max_length=500)
    project: str | None = None


@router.post("/url", status_code=202, summary="Upload by URL: the server fetches the file",
             response_model=UploadPublic, responses=error_responses(400, 401, 403, 429, 404, 409, 413, 422))
def import_url(body: UrlImport, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    status = start_url_import(runtime, principal, body.video, url=body.url, filename=body.filename,
                              title=body.title, project=body.project)
    return upload_json(runtime, status)


@router.get("/{upload_id}", summary="An upload's state and progress (0-100)", response_model=UploadPublic,
            responses=error_responses(401, 403, 429, 404, 422))
async def get_upload_state(upload_id: str, request: Request) -> JSONResponse:
    runtime = get_runtime(request)
    try:
        actor = await resolve_actor(request)
        status = await run_in_threadpool(get_upload, runtime, actor, upload_id)
    except DomainError as exc:
        return error_response(exc)
    return JSONResponse(upload_json(runtime, status), headers={"Cache-Control": "no-store"})
