"""Processing requests (Pixop's process-video, as a core operation): each request makes a new
derived video (``parent_id`` = the source; deleting the source deletes it) whose own job renders
the request with real FFmpeg work and then scores it against the source (PSNR, SSIM, VMAF).

The request is validated against the source's stored metadata before any work starts, so a
contradictory or out-of-range request is refused with the field named.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from reelbase.core.context import Principal
from reelbase.core.errors import Conflict, InvalidInput
from reelbase.core.job_kinds import ProcessPayload
from reelbase.core.jobs import enqueue_job
from reelbase.core.videos.state import Step, move_video
from reelbase.core.videos.catalog import add_video
from reelbase.db.models import Job, Video, VideoState
from reelbase.media.errors import InvalidProcessing
from reelbase.media.processing import EXTENSIONS
from reelbase.media.probe import AudioStream, InterlaceResult, ProbeResult, VideoStream
from reelbase.media.processing_spec import ProcessingSpec, validate_processing
from reelbase.settings import Settings


def probe_from_media_info(info: dict[str, Any]) -> tuple[ProbeResult, InterlaceResult | None]:
    """Rebuild the probe result stored at ingest (``media_info``)."""
    fields = {f for f in ProbeResult.__dataclass_fields__}
    base = {k: v for k, v in info.items() if k in fields and k not in ("video", "audio")}
    video = VideoStream(**{k: v for k, v in info["video"].items() if k in VideoStream.__dataclass_fields__})
    audio = [AudioStream(**{k: v for k, v in a.items() if k in AudioStream.__dataclass_fields__})
             for a in info.get("audio", [])]
    detected = info.get("interlace_detection")
    interlace = InterlaceResult(**detected) if detected else None
    return ProbeResult(**base, video=video, audio=audio), interlace


def resolve_spec(source: Video, params: dict[str, Any]) -> ProcessingSpec:
    if not source.media_info:
        raise Conflict(f"video {source.uuid} is not ingested yet (state {source.state})")
    probe, interlace = probe_from_media_info(source.media_info)
    try:
        return validate_processing(params, source=probe, interlace=interlace)
    except InvalidProcessing as exc:
        raise InvalidInput(f"{exc.field}: {exc.message}", field=exc.field) from None


def request_processing(
    db: Session, principal: Principal, source: Video, params: dict[str, Any], *, settings: Settings,
    title: str | None = None,
) -> tuple[Video, Job]:
    """Create the derived video and its ``process`` job, committed together (the job is
    dispatched once the commit is done)."""
    if source.parent_id is not None and source.state != VideoState.ready.value:
        raise Conflict("a processed video can be processed again only once it is ready")
    if source.state not in (VideoState.ready.value, VideoState.transcoding.value):
        raise Conflict(f"video {source.uuid} is not ingested yet (state {source.state})")
    spec = resolve_spec(source, params)
    derived = add_video(
        db, principal, settings=settings, parent=source,
        title=title if title is not None else f"{source.title} (processed)".strip(),
        description=source.description, original_filename=_derived_name(source, spec),
        options={"processing": params},
    )
    derived.project_id = source.project_id
    move_video(db, derived, Step.processing_requested)
    job = enqueue_job(db, ProcessPayload(source_video_id=source.id, params=params), video_id=derived.id)
    db.commit()
    return derived, job


def _derived_name(source: Video, spec: ProcessingSpec) -> str:
    stem = (source.original_filename or source.token).rsplit(".", 1)[0]
    return f"{stem}_processed.{EXTENSIONS[spec.container]}"
