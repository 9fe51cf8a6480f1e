"""Processing requests (Pixop's process-video, as a core operation): each request makes a new
derived video (``parent_id`` = the source; deleting the source deletes it) whose own job renders
the request with real FFmpeg work and then scores it against the source (PSNR, SSIM, VMAF).

The request is checked before any work starts, so a contradictory or out-of-range request is
refused with the field named: what the request alone decides at once, the rest against the
source's stored metadata. A caller may let a request wait for a source that is still uploading
or being ingested: the derived video is recorded (state ``created``, marked as waiting) and the
ingest job starts it when it ends, like a conversion asked for meanwhile
(``start_waiting_processing``), or fails it when the ingest fails for good.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.context import Principal
from reelbase.core.errors import Conflict, InvalidInput, NoMedia, NotFound
from reelbase.core.job_kinds import ProcessPayload
from reelbase.core.jobs import enqueue_job
from reelbase.core.videos.catalog import add_video
from reelbase.core.videos.conversions import PENDING_INGEST, lock_video
from reelbase.core.videos.state import Step, move_video
from reelbase.db.models import Job, Video, VideoState
from reelbase.media.errors import InvalidProcessing
from reelbase.media.processing import EXTENSIONS
from reelbase.media.probe import AudioStream, InterlaceResult, ProbeResult, VideoStream
from reelbase.media.processing_request import parse_processing
from reelbase.media.processing_spec import ProcessingSpec, validate_processing
from reelbase.settings import Settings

WAITING = "processing_waits_for_source"  # the derived video's option while its source is ingested


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


def _invalid(exc: InvalidProcessing) -> InvalidInput:
    return InvalidInput(f"{exc.field}: {exc.message}", field=exc.field)


def resolve_spec(source: Video, params: dict[str, Any]) -> ProcessingSpec:
    """The stored request resolved against its source. Unknown fields are ignored here: a request
    is stored only after its caller's own check (which may have refused them), so what was stored
    is what that caller accepted; they show up in ``spec.unused``."""
    if not source.media_info:
        raise Conflict(f"video {source.uuid} is not ingested yet (state {source.state})")
    probe, interlace = probe_from_media_info(source.media_info)
    try:
        return validate_processing(params, source=probe, interlace=interlace, unknown="ignore")
    except InvalidProcessing as exc:
        raise _invalid(exc) from None


def request_processing(
    db: Session, principal: Principal, source: Video, params: dict[str, Any], *, settings: Settings,
    title: str | None = None, unknown: str = "refuse", wait_for_ingest: bool = False,
) -> tuple[Video, Job | None]:
    """Create the derived video and its ``process`` job, committed together (the job is
    dispatched once the commit is done).

    ``unknown="ignore"`` accepts fields outside the table (listed as unused). With
    ``wait_for_ingest`` a source that is still uploading or being ingested does not refuse the
    request: it is checked as far as it can be without the source, recorded, and the job is None
    (the ingest starts it); otherwise such a source is a Conflict."""
    try:
        parse_processing(params, unknown=unknown)
    except InvalidProcessing as exc:
        raise _invalid(exc) from None
    if wait_for_ingest and source.state in PENDING_INGEST:
        # Read the state again under the row lock that the ingest's end takes too, so a request
        # is either seen by that end or sees the ingested source, never neither.
        locked = lock_video(db, source.id)
        assert locked is not None
        source = locked
    if source.parent_id is not None and source.state != VideoState.ready.value:
        raise Conflict("a processed video can be processed again only once it is ready")
    waiting = wait_for_ingest and source.parent_id is None and source.state in PENDING_INGEST
    if not waiting and source.state not in (VideoState.ready.value, VideoState.transcoding.value):
        raise Conflict(f"video {source.uuid} is not ingested yet (state {source.state})")
    spec = None if waiting else resolve_spec(source, params)
    container = spec.container if spec else (params.get("mediaContainerCodec") or {}).get("container")
    derived = add_video(
        db, principal, settings=settings, parent=source,
        title=title if title is not None else f"{source.title} (processed)".strip(),
        description=source.description, original_filename=_derived_name(source, container),
        options={"processing": params, **({WAITING: True} if waiting else {})},
    )
    derived.project_id = source.project_id
    job = None if waiting else _start(db, source, derived)
    db.commit()
    return derived, job


def _start(db: Session, source: Video, derived: Video) -> Job:
    move_video(db, derived, Step.processing_requested)
    params = (derived.options or {}).get("processing") or {}
    return enqueue_job(db, ProcessPayload(source_video_id=source.id, params=params), video_id=derived.id)


def _waiting(db: Session, source: Video) -> list[Video]:
    rows = db.scalars(select(Video).where(Video.parent_id == source.id, Video.state == VideoState.created.value)
                      .order_by(Video.id))
    return [v for v in rows if (v.options or {}).get(WAITING)]


def _stop_waiting(derived: Video) -> None:
    derived.options = {k: v for k, v in (derived.options or {}).items() if k != WAITING}


def start_waiting_processing(db: Session, source: Video, *, public_url: str) -> list[Job]:
    """Start the requests recorded while ``source`` was being ingested, in the caller's transaction
    (the ingest's last one, under its lock on the source). A request that the ingested source
    refuses (a clip past its end, ``4x`` past 8K) fails its derived video with the reason."""
    jobs = []
    for derived in _waiting(db, source):
        _stop_waiting(derived)
        try:
            spec = resolve_spec(source, (derived.options or {}).get("processing") or {})
        except InvalidInput as exc:
            move_video(db, derived, Step.job_failed, public_url=public_url,
                       message=f"the request does not fit the ingested source: {exc.message}")
            continue
        derived.original_filename = _derived_name(source, spec.container)
        jobs.append(_start(db, source, derived))
    return jobs


def fail_waiting_processing(db: Session, source: Video, *, reason: str, public_url: str) -> None:
    """The source's ingest failed for good: the requests waiting for it fail too, saying why."""
    for derived in _waiting(db, source):
        _stop_waiting(derived)
        move_video(db, derived, Step.job_failed, public_url=public_url,
                   message=f"the source video could not be ingested: {reason}")


def latest_processed_video(db: Session, source: Video) -> Video:
    """The newest processed video of ``source`` that has its file; NoMedia while every one is still
    being rendered, NotFound when none was asked for."""
    children = list(db.scalars(select(Video).where(Video.parent_id == source.id).order_by(Video.id.desc())))
    if not children:
        raise NotFound(f"video {source.uuid} has no processed video")
    for child in children:
        if child.state == VideoState.ready.value:
            return child
    raise NoMedia(f"no processed video of {source.uuid} is ready yet ({len(children)} requested)")


def _derived_name(source: Video, container: str | None) -> str:
    stem = (source.original_filename or source.token).rsplit(".", 1)[0]
    return f"{stem}_processed" + (f".{EXTENSIONS[container]}" if container in EXTENSIONS else "")
