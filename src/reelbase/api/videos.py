"""Native API: videos (CRUD, source upload, downloads)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from reelbase.api.schemas import (
    ConversionAccepted,
    ConversionRequest,
    JobAndVideo,
    JobsPublic,
    ThumbnailSelect,
    ThumbnailsPublic,
    VideoCreate,
    VideoPublic,
    VideosPublic,
    VideoUpdate,
    file_responses,
    job_public,
)
from reelbase.core import videos as core_videos
from reelbase.core.jobs import jobs_for_video
from reelbase.core.playback import asset_download, original_download, stream_file_download
from reelbase.core.errors import InvalidInput
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import receive_source
from reelbase.db.models import Video
from reelbase.edge.deps import DbDep, PrincipalDep, RuntimeDep, authenticate_request
from reelbase.edge.errors import error_responses
from reelbase.edge.files import add_playback_routes, file_response, playback_origin
from reelbase.edge.links import ListPageDep, api_base
from reelbase.edge.representations import video_json as render
from reelbase.edge.upload_body import UploadBody
from reelbase.edge.uploads import ANSWER_RESPONSES, content_range_upload

router = APIRouter(prefix="/videos", tags=["videos"], responses=error_responses(401, 403, 429))
# What the representation shows: reads load it with the videos (writes that answer with the
# video load it on first use, as they change it).
SHOWN = core_videos.Show.REFS | core_videos.Show.FILES


@router.post("", status_code=201, summary="Create a video (then upload its source to upload_url)",
             response_model=VideoPublic, responses=error_responses(400, 404, 413, 422))
def create_video(body: VideoCreate, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    video = core_videos.create_video(
        db,
        principal,
        settings=runtime.settings,
        title=body.title,
        description=body.description,
        project_ref=body.project,
        template_fields=body.template_fields,
        public=body.public,
        shared_user_ids=body.shared_user_ids,
        shared_group_ids=body.shared_group_ids,
        options=body.options.model_dump() if body.options else None,
    )
    return render(db, runtime, video)


@router.get("", summary="List videos, newest first", response_model=VideosPublic,
            responses=error_responses(404, 422))
def list_videos(
    listing: ListPageDep,
    db: DbDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    page: int = Query(1, ge=1),
    per_page: int = Query(core_videos.DEFAULT_PER_PAGE, ge=1, le=core_videos.MAX_PER_PAGE),
    project: str | None = None,
    state: str | None = None,
    q: str | None = Query(None, max_length=500),
    parent: str | None = Query(None, description="only videos derived from this one"),
) -> dict:
    parent_video = core_videos.find_video(db, principal, parent) if parent else None
    result = core_videos.list_videos(
        db, principal, page=page, per_page=per_page, project_ref=project, state=state, q=q, parent=parent_video,
        show=SHOWN,
    )
    return listing.answer([render(db, runtime, v) for v in result.items], page=result.page,
                          per_page=result.per_page, total=result.total, pages=result.pages)


@router.get("/{video_id}", summary="One video, by id (UUID), numeric id or token", response_model=VideoPublic,
            responses=error_responses(404, 422))
def get_video(video_id: str, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    return render(db, runtime, core_videos.find_video(db, principal, video_id, show=SHOWN))


@router.patch("/{video_id}", summary="Change a video's fields", response_model=VideoPublic,
              responses=error_responses(400, 404, 422))
def update_video(
    video_id: str, body: VideoUpdate, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep
) -> dict:
    video = core_videos.find_video(db, principal, video_id)
    changes = body.model_dump(exclude_unset=True)
    core_videos.update_video(db, principal, video, changes)
    return render(db, runtime, video)


@router.delete("/{video_id}", status_code=204, summary="Delete a video, its files and derived videos",
               responses=error_responses(404, 422))
def delete_video(video_id: str, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> Response:
    video = core_videos.find_video(db, principal, video_id)
    core_videos.delete_video(db, principal, video, store=runtime.store)
    return Response(status_code=204)


_SOURCE_DOC = dict(
    summary="Upload the source file (multipart/form-data field 'file', or the raw body)",
    response_model=VideoPublic,
    responses={**ANSWER_RESPONSES, **error_responses(400, 404, 409, 413, 422)},
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
                },
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)


@router.put("/{video_id}/source", operation_id="put_video_source", **_SOURCE_DOC)  # type: ignore[arg-type]
@router.post("/{video_id}/source", operation_id="post_video_source", **_SOURCE_DOC)  # type: ignore[arg-type]
async def upload_source(video_id: str, request: Request, filename: str | None = None) -> dict:
    # ``filename`` is declared so the OpenAPI document shows it; UploadBody reads it from the query.
    runtime: Runtime = request.app.state.runtime
    principal = await run_in_threadpool(authenticate_request, runtime, request)
    if request.headers.get("content-range"):  # one chunk of a Content-Range upload
        return await content_range_upload(request, video_id, actor=principal)  # type: ignore[return-value]
    body = UploadBody(request)

    def work() -> Video:
        body.open()
        if not body.multipart and body.declared_length == 0:
            raise InvalidInput("the request body is empty", field="file")
        return receive_source(
            runtime, principal, video_id, chunks=body.chunks, filename=body.filename,
            content_type=body.content_type, declared_length=body.declared_length,
        )

    video = await run_in_threadpool(work)
    with runtime.session() as db:
        return render(db, runtime, db.get_one(Video, video.id))


@router.head("/{video_id}/original", operation_id="head_video_original", include_in_schema=False)
@router.get("/{video_id}/original", summary="Download the original file (Range, ETag, HEAD)", response_class=Response,
            responses={**file_responses("The file as uploaded, with the media type it was uploaded with",
                                        binary=("video/*", "application/octet-stream")),
                       **error_responses(404, 409, 416, 422)})
def download_original(
    video_id: str, request: Request, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep
) -> Response:
    return file_response(request, runtime, original_download(db, principal, video_id))


# Player files (renditions, storyboards, thumbnails, stream playlists and segments) answer CORS, so a
# player on another origin can fetch them with the key (see edge/files.py, core/playback/origins.py).
@add_playback_routes(router, "/{video_id}/files/{kind}/{label}", head_id="head_video_file",
                     summary="Download a rendition or thumbnail (Range, ETag, HEAD)", response_class=Response,
                     responses={**file_responses("A rendition, thumbnail or storyboard file",
                                                 binary=("video/mp4", "video/webm", "image/jpeg"), text=("text/vtt",)),
                                **error_responses(404, 416, 422)})
def download_file(
    video_id: str, kind: str, label: str, request: Request, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep
) -> Response:
    video = core_videos.find_video(db, principal, video_id)
    origin = playback_origin(request, runtime, db, video)
    return file_response(request, runtime, asset_download(db, video, kind=kind, label=label), allow_origin=origin)


@add_playback_routes(router, "/{video_id}/stream/{manifest}/{path:path}", head_id="head_video_stream",
                     summary="HLS/DASH playlists and segments of a video", response_class=Response,
                     responses={**file_responses("A playlist or a media segment",
                                                 binary=("video/iso.segment", "video/mp4", "video/mp2t"),
                                                 text=("application/vnd.apple.mpegurl", "application/dash+xml")),
                                307: {"description": "On a store with presigned URLs, a segment: fetch it from Location"},
                                **error_responses(404, 416, 422)})
def stream_file(
    video_id: str, manifest: str, path: str, request: Request, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep,
    v: str | None = Query(None, max_length=64, description="The ladder version the served playlists tag their URIs with"),
) -> Response:
    video = core_videos.find_video(db, principal, video_id)
    origin = playback_origin(request, runtime, db, video)
    download = stream_file_download(runtime, db, video, manifest=manifest, path=path, version=v)
    return file_response(request, runtime, download, inline=True, allow_origin=origin)


@router.post("/{video_id}/conversions", status_code=202, summary="Build (or rebuild) the streaming ladder",
             response_model=ConversionAccepted, responses=error_responses(400, 404, 409, 422))
def request_conversion(
    video_id: str, body: ConversionRequest, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep
) -> dict:
    video = core_videos.find_video(db, principal, video_id)
    job = core_videos.request_conversion(db, principal, video, **body.model_dump())
    # job is None while the source is still being ingested: the ladder starts when ingest ends.
    return {"job": job_public(job) if job else None, "video": render(db, runtime, video)}


@router.get("/{video_id}/jobs", summary="The video's processing history", response_model=JobsPublic,
            responses=error_responses(404, 422))
def list_jobs(video_id: str, db: DbDep, principal: PrincipalDep) -> dict:
    video = core_videos.find_video(db, principal, video_id)
    return {"items": [job_public(j) for j in jobs_for_video(db, video.id)]}


@router.get("/{video_id}/thumbnails", summary="The video's thumbnails, grouped by index",
            response_model=ThumbnailsPublic, responses=error_responses(404, 422))
def list_thumbnails(video_id: str, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    video = core_videos.find_video(db, principal, video_id)
    base = f"{api_base(runtime)}/videos/{video.uuid}"
    groups: dict[int, dict[str, Any]] = {}
    for asset in core_videos.thumbnail_assets(db, video):
        index = int(asset.extra.get("index", 0))
        group = groups.setdefault(index, {"index": index, "default": asset.is_default,
                                          "time_s": asset.extra.get("time_s"), "sizes": [],
                                          "url": f"{base}/thumbnails/{index}.jpg"})
        group["sizes"].append({"height": asset.height, "width": asset.width,
                               "url": f"{base}/files/thumbnail/{asset.label}"})
    return {"items": [groups[i] for i in sorted(groups)]}


@router.put("/{video_id}/thumbnails/default", summary="Choose the default thumbnail by index",
            response_model=VideoPublic, responses=error_responses(400, 404, 422))
def select_thumbnail(video_id: str, body: ThumbnailSelect, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    video = core_videos.find_video(db, principal, video_id)
    core_videos.select_default_thumbnail(db, video, body.index)
    return render(db, runtime, video)


@add_playback_routes(router, "/{video_id}/thumbnails/{index}.jpg", head_id="head_video_thumbnail",
                     summary="One thumbnail at any height (≥ 260, cached)", response_class=Response,
                     responses={**file_responses("The thumbnail scaled to the height asked for", binary=("image/jpeg",)),
                                **error_responses(404, 416, 422)})
def get_thumbnail(
    video_id: str, index: int, request: Request, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep,
    height: int = Query(360),
) -> Response:
    video = core_videos.find_video(db, principal, video_id)
    origin = playback_origin(request, runtime, db, video)
    download = core_videos.thumbnail_at_height(runtime, db, video, index=index, height=height)
    return file_response(request, runtime, download, inline=True, cache="private, max-age=3600", allow_origin=origin)


@router.post("/{video_id}/processing", status_code=202,
             summary="Process a video (deinterlace, denoise, stabilize, upscale, frame rate, codecs) into a new derived video",
             response_model=JobAndVideo, responses=error_responses(400, 404, 409, 413, 422))
def request_processing(
    video_id: str, body: dict[str, Any], db: DbDep, principal: PrincipalDep, runtime: RuntimeDep
) -> dict:
    source = core_videos.find_video(db, principal, video_id)
    derived, job = core_videos.request_processing(db, principal, source, body, settings=runtime.settings)
    return {"job": job_public(job), "video": render(db, runtime, derived)}
