"""Signed upload URLs: ``POST /api/v1/uploads/signed-urls`` (API key) hands out a URL that lets a
browser upload one file to one video without an API key; ``POST|PUT /api/v1/uploads/signed``
is where that file goes (the same URL's parameters also work for ResumableJS chunks at
``/uploads/resumable`` and for tus at ``/uploads/``).

The upload request may be multipart/form-data (file part ``file``; ``token``, ``expires_at`` and
``sign`` may also be form fields placed before the file, as Integros clients send them), or a
raw body; with a ``Content-Range`` header it is one chunk of the file. Refusals: 401 without the
parameters, 403 for a changed signature, an expired URL or one already used to complete an
upload; each with a message.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from reelbase.core.errors import DomainError
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import (
    DEFAULT_EXPIRES_IN,
    UploadGrant,
    UploadStatus,
    create_signed_upload,
    parse_content_range,
    receive_range,
    receive_signed_source,
    verify_signed_upload,
)
from reelbase.edge.deps import PrincipalDep, RuntimeDep, get_runtime
from reelbase.edge.errors import error_responses
from reelbase.edge.links import API_PREFIX
from reelbase.edge.representations import VideoPublic
from reelbase.edge.upload_body import UploadBody
from reelbase.edge.uploads import ANSWER_RESPONSES, UploadPublic, answer, error_response, upload_json
from reelbase.uploads.protocols.common import SIGNED_PARAMS

router = APIRouter(prefix="/uploads", tags=["uploads: signed URLs"])


class SignedUrlCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    video: str | None = Field(default=None, description="Video id; a new video is made when absent")
    expires_in: int = Field(default=DEFAULT_EXPIRES_IN, description="Seconds the URL stays valid")
    filename: str | None = Field(default=None, max_length=255)
    size: int | None = Field(default=None, description="The file's size, if known (enforced)")
    title: str | None = Field(default=None, max_length=500)
    project: str | None = None


class SignedUrlPublic(BaseModel):
    model_config = ConfigDict(extra="allow")
    token: str
    expires_at: int = Field(description="Unix time (seconds) the URL stops working")
    sign: str
    video: str = Field(description="The video's id")
    upload: UploadPublic
    url: str = Field(description="PUT or POST the file here (raw, multipart, or Content-Range chunks)")
    resumable_url: str = Field(description="The same grant for ResumableJS chunks")
    tus_url: str = Field(description="The same grant for a tus client")


def _grant(runtime: Runtime, params: dict[str, str]) -> UploadGrant:
    return verify_signed_upload(runtime, **{k: params.get(k) for k in SIGNED_PARAMS})  # type: ignore[arg-type]


@router.post("/signed-urls", status_code=201, summary="A signed URL to upload one file without an API key",
             response_model=SignedUrlPublic, responses=error_responses(400, 401, 403, 429, 404, 409, 413, 422))
def create_signed_url(body: SignedUrlCreate, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    signed = create_signed_upload(runtime, principal, body.video, expires_in=body.expires_in, filename=body.filename,
                                  length=body.size, title=body.title, project=body.project)
    base = f"{runtime.settings.public_url}{API_PREFIX}/uploads"
    query = signed.query()
    return {
        "token": signed.token,
        "expires_at": signed.expires_at,
        "sign": signed.sign,
        "video": signed.upload.video_uuid,
        "upload": upload_json(runtime, signed.upload),
        "url": f"{base}/signed?{query}",
        "resumable_url": f"{base}/resumable?{query}",
        "tus_url": f"{base}/?{query}",
    }


_SIGNED_DOC = dict(
    summary="Upload the file to a signed URL",
    response_model=VideoPublic,
    responses={**ANSWER_RESPONSES, **error_responses(400, 401, 403, 429, 404, 409, 413, 422)},
)


@router.put("/signed", operation_id="put_signed_upload", **_SIGNED_DOC)  # type: ignore[arg-type]
@router.post("/signed", operation_id="post_signed_upload", **_SIGNED_DOC)  # type: ignore[arg-type]
async def signed_upload(request: Request) -> Response:
    runtime = get_runtime(request)
    content_range = request.headers.get("content-range")
    body = UploadBody(request)

    def work() -> UploadStatus:
        body.open()
        grant = _grant(runtime, body.params)
        if content_range:
            start, end, total = parse_content_range(content_range)
            return receive_range(runtime, grant, video_ref=None, start=start, end=end, total=total,
                                 chunks=body.chunks, filename=body.filename, content_type=body.content_type)
        return receive_signed_source(runtime, grant, chunks=body.chunks, filename=body.filename,
                                     content_type=body.content_type)

    try:
        status = await run_in_threadpool(work)
    except DomainError as exc:
        return error_response(exc)
    return answer(request, status)



