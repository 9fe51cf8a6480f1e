"""Request and response shapes of the native API (schema families per resource)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reelbase.db.models import AssetKind, Job, MediaAsset, Project, Video


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
