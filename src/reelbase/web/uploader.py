"""The uploader page (``/embed/uploader/{token}``): what a one-time upload token opens, alone or
inside an iframe on another site.

- The full page is Uppy's Dashboard with its tus plugin (``static/uploader.js``): several files,
  drag and drop, per-file progress, pause and resume, resumable over tus across a reload. The
  first file goes to the token's own upload, each further one to a sibling token of the same
  series, handed out by ``POST /embed/uploader/{token}/slots`` as a signed tus creation URL.
- ``?uploaderType=basic`` is a plain multipart form (no script needed) posted back to the page's
  URL and streamed into the token's upload.

A token whose uploads are all done, or that expired, gets a page saying so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reelbase.core import uploads as core_uploads
from reelbase.core.errors import DomainError
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import UploadSlot, UploadToken
from reelbase.edge.deps import get_runtime
from reelbase.edge.links import API_PREFIX
from reelbase.edge.upload_body import UploadBody
from reelbase.web.render import json_error, message, render
from reelbase.core.numbers import is_decimal

router = APIRouter(include_in_schema=False)

DEFAULT_CHUNK = 5 * 1024 * 1024
MIN_CHUNK, MAX_CHUNK = 64 * 1024, 64 * 1024 * 1024
ERROR_TITLES = {"upload_url_used": "Link already used", "upload_url_expired": "Link expired",
                "unauthenticated": "Unknown link", "upload_series_full": "Too many files"}


def token_error(request: Request, exc: DomainError) -> Response:
    """A page saying why the token cannot be used (embeddable, like the pages themselves)."""
    return message(request, ERROR_TITLES.get(exc.code, "Upload failed"), exc.message, status=exc.status, error=True,
                   embed=True)


def chunk_size(request: Request) -> int:
    """tus chunk size: 5 MiB, or ``?chunkSize=<bytes>`` kept within 64 KiB–64 MiB."""
    given = request.query_params.get("chunkSize", "")
    if not is_decimal(given) or len(given) > 12:
        return DEFAULT_CHUNK
    return min(MAX_CHUNK, max(MIN_CHUNK, int(given)))


def slot_json(slot: UploadSlot) -> dict[str, Any]:
    return {"endpoint": f"{API_PREFIX}/uploads/?{slot.query()}", "token": slot.token, "video": slot.video_uuid,
            "code": slot.video_token, "view_url": view_url(slot.video_token)}


def view_url(code: str) -> str:
    return f"/view/{code}"


def done_page(request: Request, found: UploadToken, *, another: str | None = None) -> Response:
    """After the basic form's upload: the video is processing, and where it will play (a record
    token with ``auto_open_video`` goes straight to the video's page, as the recorder does;
    ``another`` is the recorder of the series' next token, when the recorder stays open)."""
    view = get_runtime(request).settings.public_url.rstrip("/") + view_url(found.video_token)
    if found.kind == "record" and found.options.get("auto_open_video"):
        return RedirectResponse(view, status_code=303)
    return render(request, "uploader_basic.html", embed=True, title="Uploaded — processing", token=found,
                  done=True, view=view, another=another)


def next_recorder(runtime: Runtime, found: UploadToken) -> str | None:
    """The page recording the next video of a record token's series, unless it asked to close."""
    if found.kind != "record":
        return None
    try:
        following = core_uploads.next_recording_token(runtime, found.token)
    except DomainError:
        return None
    return f"/embed/recorder/{following.token}"


async def small_json(request: Request, model: type[BaseModel]) -> Any:
    """A page's small JSON request body (at most 4 KiB; anything unreadable means defaults)."""
    raw = bytearray()
    async for part in request.stream():
        raw.extend(part)
        if len(raw) > 4096:
            return model()
    try:
        return model.model_validate_json(bytes(raw) or b"{}")
    except ValidationError:
        return model()


@router.get("/embed/uploader/{token}")
async def uploader_page(token: str, request: Request) -> Response:
    runtime = get_runtime(request)
    basic = request.query_params.get("uploaderType") == "basic"
    check = core_uploads.verify_upload_token if basic else core_uploads.verify_series_token
    try:
        found = await run_in_threadpool(check, runtime, token)
    except DomainError as exc:
        return token_error(request, exc)
    if basic:
        when = dt.datetime.fromtimestamp(found.expires, dt.UTC)
        return render(request, "uploader_basic.html", embed=True, title="Upload a video", token=found, done=False,
                      action=f"/embed/uploader/{found.token}", full_url=f"/embed/uploader/{found.token}",
                      expires_iso=when.isoformat(), expires_text=f"{when:%Y-%m-%d %H:%M} UTC")
    return render(request, "uploader.html", embed=True, title="Upload videos", token=found,
                  chunk_size=chunk_size(request), max_files=core_uploads.MAX_SERIES + 1,
                  max_size=runtime.settings.max_upload_bytes, basic_url=f"/embed/uploader/{found.token}"
                  "?uploaderType=basic")


@router.post("/embed/uploader/{token}")
async def uploader_submit(token: str, request: Request) -> Response:
    """The basic form: one file, streamed into the token's own upload."""
    runtime = get_runtime(request)
    body = UploadBody(request)

    def work() -> UploadToken:
        body.open(multipart_only=True)
        return core_uploads.upload_with_token(runtime, token, chunks=body.chunks, filename=body.filename,
                                               content_type=body.content_type, title=body.fields.get("title"))

    try:
        await run_in_threadpool(core_uploads.verify_upload_token, runtime, token)
        done = await run_in_threadpool(work)
    except DomainError as exc:
        return token_error(request, exc)
    another = await run_in_threadpool(next_recorder, runtime, done)
    return done_page(request, done, another=another)


class SlotRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = Field(default=None, max_length=255)


@router.post("/embed/uploader/{token}/slots")
async def uploader_slot(token: str, request: Request) -> Response:
    """Where the page's next file goes: ``{endpoint}`` is a tus creation URL (signed), plus the
    video it makes (``video``, ``code``, ``view_url``). The token in the path is the only
    credential, as for the page itself."""
    wanted = await small_json(request, SlotRequest)
    try:
        slot = await run_in_threadpool(core_uploads.reserve_upload_slot, get_runtime(request), token,
                                       filename=wanted.name)
    except DomainError as exc:
        return json_error(exc)
    return JSONResponse(slot_json(slot), status_code=201, headers={"Cache-Control": "no-store"})
