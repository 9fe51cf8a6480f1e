"""Request and response shapes of the native API (schema families per resource)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from reelbase.db.models import AssetKind, Job, JobState, MediaAsset, Project, Video, VideoState


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IngestOptions(Strict):
    ingest: Literal["full", "light"] = Field(default="full", description="light: metadata only, no thumbnails or ladder")
    defer_conversion: bool = Field(default=False, description="ingest now, build the ladder only when asked")
    sd_only: bool = Field(default=False, description="ladder rungs up to 480 only")
    mp4_only: bool = Field(default=False, description="progressive MP4 renditions only, no HLS/DASH")
    webm: bool = Field(default=False, description="also a VP9 WebM rendition")


class ConversionRequest(Strict):
    sd_only: bool = False
    mp4_only: bool = False
    webm: bool = False


class ThumbnailSelect(Strict):
    index: int = Field(ge=1, description="Thumbnail number (1..5) to make the default")


class VideoCreate(Strict):
    title: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=20_000)
    project: str | int | None = None
    template_fields: dict[str, Any] | None = None
    public: bool = False
    shared_user_ids: list[Any] | None = None
    shared_group_ids: list[Any] | None = None
    options: IngestOptions | None = None


class VideoUpdate(Strict):
    title: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=20_000)
    project: str | int | None = None
    template_fields: dict[str, Any] | None = None
    public: bool | None = None
    shared_user_ids: list[Any] | None = None
    shared_group_ids: list[Any] | None = None


class ProjectCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)


class ProjectUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)


# Response models. The handlers build plain dicts (the functions below); these models describe
# them for /openapi.json, and FastAPI validates each answer against them. Field order is the
# dicts' key order, so the JSON sent keeps its shape. extra="allow": a key a model forgets is
# still sent, never silently dropped (tests/api/test_openapi.py fails on undocumented keys).
# Timestamps stay the strings iso() made rather than datetimes, so no re-formatting happens.

Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
FreeForm = dict[str, Any]


class Public(BaseModel):
    model_config = ConfigDict(extra="allow")


class AssetPublic(Public):
    kind: AssetKind
    label: str
    content_type: str
    size: int = Field(description="Bytes")
    sha256: str | None
    width: int | None
    height: int | None
    bitrate: int | None
    default: bool
    url: str = Field(description="Download URL (Range, ETag, HEAD)")


class StreamPublic(AssetPublic):
    live: bool = Field(description="The manifest still grows while the ladder encodes")


class VideoPublic(Public):
    id: str = Field(description="UUID")
    token: str = Field(description="Short code used in player and share links")
    title: str
    description: str
    project: str | None = Field(description="The project's id")
    parent: str | None = Field(description="The video this one was derived from (processing)")
    original_filename: str | None
    template_fields: FreeForm
    shared_user_ids: list[Any]
    shared_group_ids: list[Any]
    public: bool
    state: VideoState
    state_message: str | None
    progress: int = Field(description="0-100 within the current state")
    size: int = Field(description="Bytes of the original")
    duration_ms: int | None
    media_info: FreeForm | None = Field(description="What the probe found (streams, codecs, frame rate...)")
    quality: FreeForm | None
    options: FreeForm = Field(description="The ingest options chosen at creation")
    created_at: Timestamp
    updated_at: Timestamp
    upload_url: str = Field(description="PUT or POST the source file here")
    original: AssetPublic | None
    renditions: list[AssetPublic]
    thumbnails: list[AssetPublic]
    streams: list[StreamPublic]


class VideosPublic(Public):
    items: list[VideoPublic]
    total: int
    page: int
    per_page: int
    pages: int


class ProjectPublic(Public):
    id: str
    name: str
    description: str
    created_at: Timestamp
    updated_at: Timestamp
    video_count: int | None = Field(default=None, description="Videos in the project (absent where not counted)")


class ProjectsPublic(Public):
    items: list[ProjectPublic]
    total: int
    page: int
    per_page: int


class JobPublic(Public):
    id: int
    kind: str
    state: JobState
    progress: int
    attempts: int
    error: str | None
    result: FreeForm | None
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None


class JobsPublic(Public):
    items: list[JobPublic]


class JobAndVideo(Public):
    """A processing request's answer: the job that will run and the video it works on."""

    job: JobPublic
    video: VideoPublic


class ConversionAccepted(Public):
    job: JobPublic | None = Field(description="None while the source is still being ingested: the ladder starts then")
    video: VideoPublic


class ThumbnailSize(Public):
    height: int | None
    width: int | None
    url: str


class ThumbnailPublic(Public):
    index: int
    default: bool
    time_s: float | int | None = Field(description="Where in the video it was taken")
    sizes: list[ThumbnailSize]
    url: str = Field(description="This thumbnail at any height (?height=)")


class ThumbnailsPublic(Public):
    items: list[ThumbnailPublic]


class MeUser(Public):
    id: str
    email: str
    name: str


class MeLimits(Public):
    quota_bytes: int
    quota_videos: int
    max_upload_bytes: int


class MeUsage(Public):
    stored_bytes: int
    videos: int


class MeTeam(Public):
    id: str
    name: str
    limits: MeLimits
    usage: MeUsage


class MeKey(Public):
    public_id: str | None = Field(description="None when signed in by session cookie")
    type: str
    created_at: Timestamp | None


class Me(Public):
    user: MeUser
    team: MeTeam
    key: MeKey


class KeyPublic(Public):
    public_id: str
    name: str
    type: str = Field(description="user or organization")
    owner: str | None = Field(description="The owner's email")
    created_at: Timestamp
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None
    revoked: bool


class KeyCreated(KeyPublic):
    secret: str = Field(description="The key itself: shown in this answer only")


class KeysPublic(Public):
    items: list[KeyPublic]


class WebhookPublic(Public):
    id: str
    url: str
    events: list[str]
    description: str
    active: bool
    secret: str = Field(description="Signing secret of the deliveries (Standard Webhooks)")
    created_at: Timestamp


class WebhooksPublic(Public):
    items: list[WebhookPublic]


class DeliveryPublic(Public):
    id: str = Field(description="The message id (webhook-id header)")
    event: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: Timestamp | None
    created_at: Timestamp
    delivered_at: Timestamp | None
    payload: FreeForm


class DeliveriesPublic(Public):
    items: list[DeliveryPublic]


class UploadTokenPublic(Public):
    token: str
    kind: Literal["upload", "record"]
    expires_at: Timestamp
    uploader_url: str | None = Field(default=None, description="The page to open (kind upload only)")
    recorder_url: str | None = Field(default=None, description="The page to open (kind record only)")
    video_id: str
    options: FreeForm


class PlaybackToken(Public):
    video_id: str
    token: str
    expires_at: Timestamp
    view_url: str
    embed_url: str


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def asset_public(asset: MediaAsset, url: str) -> dict[str, Any]:
    return {
        "kind": asset.kind,
        "label": asset.label,
        "content_type": asset.content_type,
        "size": asset.size_bytes,
        "sha256": asset.sha256,
        "width": asset.width,
        "height": asset.height,
        "bitrate": asset.bitrate,
        "default": asset.is_default,
        "url": url,
    }


def video_public(video: Video, *, base: str, project_uuid: str | None, parent_uuid: str | None) -> dict[str, Any]:
    """The native representation of a video; ``base`` is the absolute API root (…/api/v1)."""
    me = f"{base}/videos/{video.uuid}"
    files: dict[str, list[dict[str, Any]]] = {"renditions": [], "thumbnails": [], "streams": []}
    original = None
    for asset in sorted(video.assets, key=lambda a: (a.kind, a.height or 0, a.label)):
        if asset.kind == AssetKind.original.value:
            original = asset_public(asset, f"{me}/original")
        elif asset.kind == AssetKind.manifest.value:
            stream = asset_public(asset, f"{me}/stream/{asset.label}/{asset.extra.get('path', '')}")
            stream["live"] = bool(asset.extra.get("live"))  # still growing while the ladder encodes
            files["streams"].append(stream)
        elif asset.kind in (AssetKind.rendition.value, AssetKind.thumbnail.value, AssetKind.storyboard.value):
            group = "thumbnails" if asset.kind != AssetKind.rendition.value else "renditions"
            files[group].append(asset_public(asset, f"{me}/files/{asset.kind}/{asset.label}"))
    return {
        "id": video.uuid,
        "token": video.token,
        "title": video.title,
        "description": video.description,
        "project": project_uuid,
        "parent": parent_uuid,
        "original_filename": video.original_filename,
        "template_fields": video.template_fields,
        "shared_user_ids": video.shared_user_ids,
        "shared_group_ids": video.shared_group_ids,
        "public": video.public,
        "state": video.state,
        "state_message": video.state_message,
        "progress": video.progress,
        "size": video.size_bytes,
        "duration_ms": video.duration_ms,
        "media_info": video.media_info,
        "quality": video.quality,
        "options": video.options,
        "created_at": iso(video.created_at),
        "updated_at": iso(video.updated_at),
        "upload_url": f"{me}/source",
        "original": original,
        **files,
    }


def project_public(project: Project, *, video_count: int | None = None) -> dict[str, Any]:
    body = {
        "id": project.uuid,
        "name": project.name,
        "description": project.description,
        "created_at": iso(project.created_at),
        "updated_at": iso(project.updated_at),
    }
    if video_count is not None:
        body["video_count"] = video_count
    return body


def job_public(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "progress": job.progress,
        "attempts": job.attempts,
        "error": job.error,
        "result": job.result,
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
    }


_BINARY = {"schema": {"type": "string", "format": "binary"}}
_TEXT = {"schema": {"type": "string"}}


def file_responses(description: str, *, binary: tuple[str, ...], text: tuple[str, ...] = ()) -> dict[int | str, Any]:
    """OpenAPI ``responses=`` for a file served with Range/ETag: its media types at 200 and 206,
    and the bodiless 304."""
    content = {**{m: _BINARY for m in binary}, **{m: _TEXT for m in text}}
    headers = {
        "ETag": {"schema": {"type": "string"}},
        "Accept-Ranges": {"schema": {"type": "string"}, "description": "bytes"},
        "Content-Disposition": {"schema": {"type": "string"}},
    }
    return {
        200: {"description": description, "content": content, "headers": headers},
        206: {"description": "The byte range asked for with Range", "content": content,
              "headers": {**headers, "Content-Range": {"schema": {"type": "string"}}}},
        304: {"description": "Not modified (If-None-Match matched the ETag)", "headers": headers},
    }
