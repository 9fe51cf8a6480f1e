"""Pixop media service (``/media/v1/...``): upload a video item's media as multipart/form-data
(full or light ingestion), download the original or the processed file (GET/HEAD, Range,
ETag / If-None-Match, Content-Disposition). ``download/processed`` takes the processed video's id
(the ``downloadMediaUrl`` of process-video) or its source's, which serves the newest processed
video of that source that is ready.

Uploads stream through the core upload engine (``core.uploads.single.receive_source``) in
constant memory; light ingestion is the video option ``ingest=light`` (metadata only: no
thumbnails, web video or quality assessment), chosen before the bytes are received.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from reelbase.core import videos as core_videos
from reelbase.core.context import Principal
from reelbase.core.playback import Download, original_download, processed_download
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import receive_source
from reelbase.dialects.pixop.auth import BearerPrincipal
from reelbase.dialects.pixop.errors import not_found_as
from reelbase.dialects.pixop.videos import video_urls
from reelbase.edge.deps import DbDep, RuntimeDep
from reelbase.edge.files import file_response
from reelbase.edge.upload_body import UploadBody

router = APIRouter(prefix="/media/v1", tags=["media"])

_UPLOAD_DOC: dict[str, Any] = {"openapi_extra": {"requestBody": {"content": {"multipart/form-data": {
    "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}}}}


def _locate(runtime: Runtime, principal: Principal, video_id: str) -> str:
    # Before the body is read, so another team's video is a 404 whatever the body holds.
    with runtime.session() as db:
        with not_found_as("VideoNotFoundException"):
            return core_videos.find_video(db, principal, video_id).uuid


async def _upload(request: Request, principal: Principal, video_id: str, *, mode: str) -> dict[str, Any]:
    runtime: Runtime = request.app.state.runtime
    video_uuid = await run_in_threadpool(_locate, runtime, principal, video_id)
    body = UploadBody(request)

    def work() -> None:
        body.open(multipart_only=True)
        receive_source(runtime, principal, video_uuid, chunks=body.chunks, filename=body.filename,
                       content_type=body.content_type, declared_length=body.declared_length, ingest_mode=mode)

    await run_in_threadpool(work)
    with runtime.session() as db:
        video = core_videos.find_video(db, principal, video_uuid)
        urls = video_urls(runtime, video.uuid)
        return {"projectId": core_videos.video_refs(db, video).project, "videoId": video.uuid,
                "checkIngestProgressUrl": urls["checkIngestProgressUrl"], "processVideoUrl": urls["processVideoUrl"]}


@router.post("/upload/{video_id}", summary="Upload a video item's media (multipart/form-data)", **_UPLOAD_DOC)
async def upload(video_id: str, request: Request, principal: BearerPrincipal) -> dict[str, Any]:
    return await _upload(request, principal, video_id, mode="full")


@router.post("/upload/light/{video_id}", summary="Upload media for light ingestion (metadata only)", **_UPLOAD_DOC)
async def upload_light(video_id: str, request: Request, principal: BearerPrincipal) -> dict[str, Any]:
    return await _upload(request, principal, video_id, mode="light")


def _send(request: Request, runtime: Runtime, find: Callable[[], Download]) -> Response:
    with not_found_as("VideoNotFoundException"):
        download = find()
    return file_response(request, runtime, download)


@router.head("/download/original/{video_id}", include_in_schema=False)
@router.get("/download/original/{video_id}", summary="Download a video item's original media")
def download_original(video_id: str, request: Request, principal: BearerPrincipal, db: DbDep,
                      runtime: RuntimeDep) -> Response:
    return _send(request, runtime, lambda: original_download(db, principal, video_id))


@router.head("/download/processed/{video_id}", include_in_schema=False)
@router.get("/download/processed/{video_id}",
            summary="Download a processed video's media (given a source video: its newest processed one)")
def download_processed(video_id: str, request: Request, principal: BearerPrincipal, db: DbDep,
                       runtime: RuntimeDep) -> Response:
    return _send(request, runtime, lambda: processed_download(db, principal, video_id))
