"""The native JSON representation of each resource (videos, projects, jobs, keys, webhooks).

The native API answers with these, and so do the surfaces that show the same resources: the
upload protocols answer a completed upload with the video, and the signed-in pages render videos,
jobs, keys and webhooks exactly as ``/api/v1`` does so their scripts can refresh them from it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from sqlalchemy.orm import Session

from reelbase.core.runtime import Runtime
from reelbase.db.models import (
    ApiKey,
    AssetKind,
    Job,
    MediaAsset,
    Project,
    Video,
    VideoState,
    WebhookDelivery,
    WebhookSubscription,
)
from reelbase.edge.links import api_base


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


def video_json(db: Session, runtime: Runtime, video: Video) -> dict[str, Any]:
    """A video as the native API shows it. Its files, project and parent are read from the
    video's relationships, which the core's read queries load with it (``core.videos.Show``);
    a video of ``db`` made or fetched otherwise loads them on first use."""
    project, parent = video.project, video.parent
    return video_public(
        video,
        base=api_base(runtime),
        project_uuid=project.uuid if project else None,
        parent_uuid=parent.uuid if parent else None,
    )


def key_public(key: ApiKey) -> dict[str, Any]:
    return {
        "public_id": key.public_id,
        "name": key.name,
        "type": key.key_type,
        "owner": key.user.email if key.user else None,
        "created_at": iso(key.created_at),
        "last_used_at": iso(key.last_used_at),
        "revoked_at": iso(key.revoked_at),
        "revoked": key.revoked_at is not None,
    }


def subscription_public(sub: WebhookSubscription, secret: str) -> dict[str, Any]:
    return {"id": sub.uuid, "url": sub.url, "events": sub.events, "description": sub.description,
            "active": sub.active, "secret": secret, "created_at": iso(sub.created_at)}


def delivery_public(d: WebhookDelivery) -> dict[str, Any]:
    return {"id": d.message_id, "event": d.event, "state": d.state, "attempts": d.attempts,
            "last_status": d.last_status, "last_error": d.last_error, "next_attempt_at": iso(d.next_attempt_at),
            "created_at": iso(d.created_at), "delivered_at": iso(d.delivered_at), "payload": d.payload}


# Response models. The handlers build plain dicts (the functions above; the native API's other models are in api/schemas.py); these models describe
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
