"""Request and response shapes of the native API (schema families per resource)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reelbase.db.models import JobState
# The video's representation is shared with the other surfaces (upload answers, pages), so its
# dict builder and its model live at the edge; importing them here keeps the native API's schemas
# in one place to read.
from reelbase.edge.representations import (  # noqa: F401 - re-exported
    AssetPublic,
    FreeForm,
    Public,
    StreamPublic,
    Timestamp,
    VideoPublic,
    asset_public,
    iso,
    job_public,
    project_public,
    video_public,
)


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
