"""The signed-in pages: the team's videos (``/``), one video (``/videos/{id}``), uploading
(``/upload``), API keys (``/settings/keys``) and webhooks (``/settings/webhooks``).

Pages render the first view on the server from the core (videos shaped exactly as the native API
shapes them, so ``dashboard.js`` can update them from ``/api/v1``); every change a person makes
goes through the native API with the session cookie and the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from reelbase.core import auth as core_auth
from reelbase.core import videos as core_videos
from reelbase.core import webhooks as core_webhooks
from reelbase.core.context import Principal
from reelbase.core.errors import DomainError
from reelbase.core.jobs import jobs_for_video
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import team_upload_limit
from reelbase.db.models import Video, VideoState
from reelbase.edge.deps import get_runtime
from reelbase.edge.representations import (
    delivery_public,
    job_public,
    key_public,
    subscription_public,
    video_json,
)
from reelbase.media import processing_spec as spec
from reelbase.web.auth import SessionRequired
from reelbase.web.formats import fmt_duration, fmt_rate, fmt_size
from reelbase.web.render import message, render
from reelbase.core.numbers import is_decimal

router = APIRouter(include_in_schema=False)

PER_PAGE = 24
IN_PROGRESS = ("created", "uploading", "uploaded", "ingesting", "transcoding")
STATE_FILTERS = {"all": None, "ready": VideoState.ready.value, "processing": ",".join(IN_PROGRESS),
                 "failed": VideoState.failed.value}


# --- views of a video -----------------------------------------------------------------------------

def thumbnail_path(video: dict[str, Any], height: int = 260) -> str | None:
    """The default thumbnail at ``height`` (see ``thumbnails/{index}.jpg``), or None."""
    for asset in video.get("thumbnails", []):
        if asset["kind"] == "thumbnail" and asset["default"]:
            index = asset["label"].rsplit("_", 1)[-1]
            if is_decimal(index):
                return f"/api/v1/videos/{video['id']}/thumbnails/{int(index)}.jpg?height={height}"
    return None


def card(db: Session, runtime: Runtime, video: Video) -> dict[str, Any]:
    """The video as the native API shows it, plus what the pages need: the thumbnail, whether its
    state is final, and each file's path on this site (the API's links are absolute)."""
    view = video_json(db, runtime, video)
    for asset in [view["original"], *view["renditions"], *view["streams"], *view["thumbnails"]]:
        if asset:
            asset["path"] = urlsplit(asset["url"]).path
    view["thumb"] = thumbnail_path(view)
    view["final"] = view["state"] not in IN_PROGRESS
    return view


def metadata_rows(video: dict[str, Any]) -> list[tuple[str, str]]:
    """What the core stored about the file, as (label, value) rows a person reads."""
    info = video.get("media_info") or {}
    v = info.get("video") or {}
    rows: list[tuple[str, str]] = [("Original file", video.get("original_filename") or "")]
    rows.append(("Container", info.get("format_long_name") or info.get("format_name") or ""))
    if v:
        codec = v.get("codec_long_name") or v.get("codec_name") or ""
        rows.append(("Video codec", f"{codec} ({v['profile']})" if v.get("profile") else codec))
        rows.append(("Resolution", f"{v.get('width')}×{v.get('height')}"))
        rows.append(("Aspect ratio", f"display {v.get('display_aspect_ratio')}, pixel {v.get('sample_aspect_ratio')}"))
        fps = v.get("avg_frame_rate")
        rows.append(("Frame rate", f"{fps:g} fps ({v.get('avg_frame_rate_fraction')})" if fps else ""))
        scan = v.get("scan_type") or ""
        order = v.get("field_order")
        rows.append(("Scan type", f"{scan}, {order}" if order and order not in (scan, "unknown") else scan))
        rows.append(("Pixel format", f"{v.get('pix_fmt')} ({v.get('chroma_subsampling')}, {v.get('bit_depth')}-bit)"))
        rows.append(("Video bitrate", fmt_rate(v.get("bit_rate"))))
        if v.get("rotation"):
            rows.append(("Rotation", f"{v['rotation']}°"))
        if v.get("total_frames"):
            rows.append(("Frames", str(v["total_frames"])))
    for i, a in enumerate(info.get("audio") or []):
        label = "Audio" if i == 0 else f"Audio {i + 1}"
        parts = [a.get("codec_name") or "", a.get("channel_layout") or f"{a.get('channels')} ch",
                 f"{a.get('sample_rate')} Hz" if a.get("sample_rate") else "", fmt_rate(a.get("bit_rate"))]
        rows.append((label, ", ".join(p for p in parts if p)))
    if info and not info.get("audio"):
        rows.append(("Audio", "none"))
    rows.append(("Duration", fmt_duration(video.get("duration_ms"))))
    rows.append(("Overall bitrate", fmt_rate(info.get("bit_rate"))))
    rows.append(("Size", fmt_size(video.get("size")) if video.get("size") else ""))
    return [(k, val) for k, val in rows if val]


def processing_choices() -> dict[str, Any]:
    """The options of the processing form, from the table the core validates against."""
    rates = {tag: f"{float(rate):.3f}".rstrip("0").rstrip(".") for tag, rate in spec.FRAME_RATE_TAGS.items()}
    return {
        "deinterlacers": list(spec.DEINTERLACERS), "denoisers": list(spec.DENOISERS), "stabilizers": ["dejit"],
        "scalers": list(spec.SCALERS), "resolutions": list(spec.RESOLUTION_TAGS),
        "clarity": list(spec.CLARITY_LEVELS), "frame_rates": rates, "converters": list(spec.FRAME_RATE_CONVERTERS),
        "containers": list(spec.CONTAINER_CODECS), "codecs": list(spec.CONTAINER_CODECS["mov"]),
        "prores": list(spec.PRORES_PROFILES), "dnx": list(spec.DNX_PROFILES), "scanning": list(spec.SCAN_TAGS),
        "chroma": list(spec.CHROMA_BASE), "bits": list(spec.BIT_DEPTHS), "post": list(spec.POST_PROCESSORS),
    }


# --- pages ----------------------------------------------------------------------------------------

def _page_url(base: dict[str, str], page: int) -> str:
    params = {k: v for k, v in base.items() if v}
    if page > 1:
        params["page"] = str(page)
    return "/?" + urlencode(params) if params else "/"


@router.get("/")
def videos_page(
    request: Request, session: SessionRequired, q: str = Query("", max_length=500), state: str = "all",
    project: str = "", page: int = Query(1, ge=1, le=100_000),
) -> Response:
    principal, _ = session
    runtime = get_runtime(request)
    state = state if state in STATE_FILTERS else "all"
    error = None
    with runtime.session() as db:
        projects, _count = core_videos.list_projects(db, principal, page=1, per_page=100)
        try:
            found = core_videos.list_videos(db, principal, page=page, per_page=PER_PAGE, q=q or None,
                                            state=STATE_FILTERS[state], project_ref=project or None)
            videos, total, pages = [card(db, runtime, v) for v in found.items], found.total, found.pages
        except DomainError as exc:
            videos, total, pages, error = [], 0, 1, exc.message
        filters = {"q": q, "state": "" if state == "all" else state, "project": project}
        return render(
            request, "dashboard.html", title="Videos", videos=videos, total=total, page=page, pages=pages,
            q=q, state=state, project=project, projects=[(p.uuid, p.name) for p in projects], error=error,
            prev_url=_page_url(filters, page - 1) if page > 1 else None,
            next_url=_page_url(filters, page + 1) if page < pages else None,
            filtered=bool(q or project or state != "all"),
        )


def _video_page(db: Session, runtime: Runtime, principal: Principal, video: Video) -> dict[str, Any]:
    view = card(db, runtime, video)
    parent = db.get(Video, video.parent_id) if video.parent_id else None
    children = core_videos.list_videos(db, principal, parent=video, per_page=core_videos.MAX_PER_PAGE)
    project = core_videos.get_project(db, principal, video.project_id) if video.project_id else None
    return {
        "video": view, "metadata": metadata_rows(view), "quality": view.get("quality") or {},
        "jobs": [job_public(j) for j in jobs_for_video(db, video.id)],
        "derived": [card(db, runtime, v) for v in children.items],
        "parent": {"id": parent.uuid, "title": parent.title} if parent else None,
        "project": project.name if project else None,
        "choices": processing_choices(),
        "can_process": view["state"] in (VideoState.ready.value, VideoState.transcoding.value)
        and bool(view.get("media_info")) and (video.parent_id is None or view["state"] == VideoState.ready.value),
    }


@router.get("/videos/{video_id}")
def video_page(video_id: str, request: Request, session: SessionRequired) -> Response:
    principal, _ = session
    runtime = get_runtime(request)
    with runtime.session() as db:
        try:
            video = core_videos.find_video(db, principal, video_id)
        except DomainError as exc:
            return message(request, "Video not found", exc.message, status=exc.status, error=True)
        context = _video_page(db, runtime, principal, video)
    return render(request, "video.html", title=context["video"]["title"] or "Untitled video", **context)


@router.get("/upload")
def upload_page(request: Request, session: SessionRequired) -> Response:
    principal, _ = session
    runtime = get_runtime(request)
    with runtime.session() as db:
        projects, _count = core_videos.list_projects(db, principal, page=1, per_page=100)
        limit = team_upload_limit(db, principal.team, runtime).bytes
        return render(request, "upload.html", title="Upload", projects=[(p.uuid, p.name) for p in projects],
                      max_upload_bytes=limit)


@router.get("/settings/keys")
def keys_page(request: Request, session: SessionRequired) -> Response:
    principal, _ = session
    with get_runtime(request).session() as db:
        keys = [key_public(k) for k in core_auth.list_keys(db, principal)]
        return render(request, "keys.html", title="API keys", keys=keys, team=principal.team.name)


@router.get("/settings/webhooks")
def webhooks_page(request: Request, session: SessionRequired) -> Response:
    principal, _ = session
    runtime = get_runtime(request)
    with runtime.session() as db:
        hooks = []
        for sub in core_webhooks.list_subscriptions(db, principal):
            item = subscription_public(sub, core_webhooks.subscription_secret(sub, runtime.secret_key))
            item["deliveries"] = [delivery_public(d) for d in core_webhooks.list_deliveries(db, sub, limit=20)]
            hooks.append(item)
        return render(request, "webhooks.html", title="Webhooks", hooks=hooks, events=core_webhooks.EVENTS)
