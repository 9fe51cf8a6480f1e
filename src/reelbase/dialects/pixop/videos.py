"""Pixop videos service, videos (``/videos/v1/...``): get, list (filters ``project-id`` and
``parent-id``), create (PUT), process-video, progress of processing and of ingestion, delete
(with every processed video made from it).

process-video takes the document's own example as printed (``body.py``), ignores fields it does
not know like every other Pixop body, and may be sent while the source is still uploading or
being ingested: the request is recorded and starts when the ingest ends. Its answer carries, beside
the document's keys, the ``processingParameters`` of the video it will make (null while the source
is being ingested), where options that did not apply are listed with the reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from reelbase.core import videos as core_videos
from reelbase.core.runtime import Runtime
from reelbase.dialects.pixop.auth import BearerPrincipal
from reelbase.dialects.pixop.body import LenientJson
from reelbase.dialects.pixop.errors import not_found_as
from reelbase.dialects.pixop.schemas import PageSize, VideoCreateBody, hal_page, url
from reelbase.dialects.pixop.video_schema import (
    ingestion_state,
    parameters_json,
    processing_state,
    video_item,
    video_json,
)
from reelbase.edge.deps import DbDep, RuntimeDep

router = APIRouter(prefix="/videos/v1", tags=["videos"])
# Every answer names the video's project, parent, user and team: reads load them with it.
SHOWN = core_videos.Show.REFS | core_videos.Show.OWNERS


def find_video(db: Session, principal: Any, video_id: str, *, show: core_videos.Show | None = None) -> Any:
    with not_found_as("VideoNotFoundException"):
        return core_videos.find_video(db, principal, video_id, show=show)


def render(db: Session, video: Any) -> dict[str, Any]:
    stages = core_videos.video_stages(db, video)
    return video_json(video, refs=stages.refs, upload=stages.upload, ingest=stages.ingest,
                      processing=stages.processing, spec=stages.spec)


def video_urls(runtime: Runtime, video_uuid: str) -> dict[str, str]:
    return {
        "uploadMediaUrl": url(runtime, f"/media/v1/upload/{video_uuid}"),
        "uploadLightMediaUrl": url(runtime, f"/media/v1/upload/light/{video_uuid}"),
        "processVideoUrl": url(runtime, f"/videos/v1/process-video/{video_uuid}"),
        "checkIngestProgressUrl": url(runtime, f"/videos/v1/check-ingest-video-progress/{video_uuid}"),
    }


@router.get("/video/{video_id}", summary="Video item details")
def get_video(video_id: str, principal: BearerPrincipal, db: DbDep) -> dict[str, Any]:
    return {"video": render(db, find_video(db, principal, video_id, show=SHOWN | core_videos.Show.FILES))}


@router.get("/videos", summary="The team's videos, newest first (HAL pages)")
def list_videos(
    principal: BearerPrincipal, db: DbDep, runtime: RuntimeDep, page_size: PageSize,
    project_id: str | None = Query(None, alias="project-id", max_length=64),
    parent_id: str | None = Query(None, alias="parent-id", max_length=64),
    page: int = Query(1, ge=1),
) -> dict[str, Any]:
    parent = find_video(db, principal, parent_id) if parent_id else None
    with not_found_as("ProjectNotFoundException"):
        result = core_videos.list_videos(db, principal, page=page, per_page=page_size, project_ref=project_id,
                                         parent=parent, show=SHOWN)
    items = [video_item(runtime, v, core_videos.video_refs(db, v)) for v in result.items]
    return hal_page(runtime, "/videos/v1/videos", page=page, page_size=page_size, total=result.total,
                    embedded="videos", items=items, query={"project-id": project_id, "parent-id": parent_id})


@router.put("/video", summary="Create a video item (then upload its media)")
def create_video(principal: BearerPrincipal, db: DbDep, runtime: RuntimeDep,
                 body: VideoCreateBody | None = None) -> dict[str, Any]:
    body = body or VideoCreateBody()
    with not_found_as("ProjectNotFoundException"):
        video = core_videos.create_video(db, principal, settings=runtime.settings, title=body.name,
                                         project_ref=body.projectId)
    urls = video_urls(runtime, video.uuid)
    return {"projectId": core_videos.video_refs(db, video).project, "videoId": video.uuid,
            "uploadMediaUrl": urls["uploadMediaUrl"], "uploadLightMediaUrl": urls["uploadLightMediaUrl"],
            "processVideoUrl": urls["processVideoUrl"]}


@router.post("/process-video/{video_id}", summary="Process a video into a new processed video",
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}})
def process_video(video_id: str, principal: BearerPrincipal, db: DbDep, runtime: RuntimeDep,
                  body: LenientJson) -> dict[str, Any]:
    source = find_video(db, principal, video_id)
    derived, _job = core_videos.request_processing(
        db, principal, source, {} if body is None else body, settings=runtime.settings, unknown="ignore",
        wait_for_ingest=True)
    return {
        "sourceVideoId": source.uuid,
        "processedVideoId": derived.uuid,
        "projectId": core_videos.video_refs(db, derived).project,
        "checkProgressUrl": url(runtime, f"/videos/v1/check-process-video-progress/{derived.uuid}"),
        "downloadMediaUrl": url(runtime, f"/media/v1/download/processed/{derived.uuid}"),
        "processingParameters": parameters_json(core_videos.processing_spec(db, derived)),
    }


@router.get("/check-process-video-progress/{video_id}", summary="Progress of a processed video")
def check_process_progress(video_id: str, principal: BearerPrincipal, db: DbDep) -> dict[str, Any]:
    video = find_video(db, principal, video_id, show=SHOWN)
    return {"videoId": video.uuid, "projectId": core_videos.video_refs(db, video).project,
            "processingState": processing_state(core_videos.processing_stage(db, video))}


@router.get("/check-ingest-video-progress/{video_id}", summary="Progress of a video's ingestion")
def check_ingest_progress(video_id: str, principal: BearerPrincipal, db: DbDep) -> dict[str, Any]:
    video = find_video(db, principal, video_id, show=SHOWN)
    return {"videoId": video.uuid, "projectId": core_videos.video_refs(db, video).project,
            "ingestionState": ingestion_state(core_videos.ingest_stage(db, video))}


@router.delete("/video/{video_id}", summary="Delete a video and every processed video made from it")
def delete_video(video_id: str, principal: BearerPrincipal, db: DbDep, runtime: RuntimeDep) -> dict[str, Any]:
    video = find_video(db, principal, video_id)
    deleted = [{"videoId": v.uuid} for v in core_videos.video_family(db, video)]
    core_videos.delete_video(db, principal, video, store=runtime.store)
    return {"deletedVideos": deleted}
