"""Asking for the adaptive ladder of an ingested video (when conversion was deferred, or again
with other options: SD only, MP4 only, with a WebM rendition)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reelbase.core.context import Principal
from reelbase.core.errors import Conflict
from reelbase.core.job_kinds import JobKind, TranscodePayload
from reelbase.core.jobs import active_states, enqueue_job
from reelbase.core.videos.state import Step, can_move, move_video
from reelbase.db.models import Job, Video, VideoState, utcnow


def lock_video(db: Session, video_id: int) -> Video | None:
    """Take the video's row for this transaction before reading it: a write first, so SQLite's
    database lock and PostgreSQL's row lock are both held until the commit."""
    db.execute(update(Video).where(Video.id == video_id).values(updated_at=utcnow()))
    return db.get(Video, video_id, populate_existing=True)


def request_conversion(
    db: Session, principal: Principal, video: Video, *, sd_only: bool = False, mp4_only: bool = False,
    webm: bool = False,
) -> Job | None:
    """Queue a transcode job, committed (and dispatched once it is). ``video`` was found through
    the principal, so it is theirs. While the source is still uploading or being ingested the
    request is recorded on the video and the ingest job starts the ladder when it ends; then
    None is returned."""
    locked = lock_video(db, video.id)
    assert locked is not None
    video = locked
    options = {"sd_only": sd_only, "mp4_only": mp4_only, "webm": webm}
    if video.state in PENDING_INGEST:
        video.options = {**video.options, **options, "defer_conversion": False}
        db.commit()
        return None
    if not video.media_info or not can_move(video, Step.conversion_requested):
        raise Conflict(f"video {video.uuid} is not ingested yet (state {video.state})")
    busy = db.scalar(
        select(Job.id).where(Job.video_id == video.id, Job.kind == JobKind.transcode.value, Job.state.in_(active_states()))
    )
    if busy is not None:
        raise Conflict(f"a conversion of video {video.uuid} is already running", job=busy)
    video.options = {**video.options, **options, "defer_conversion": False}
    move_video(db, video, Step.conversion_requested)
    ladder = TranscodePayload(sd_only=bool(sd_only), mp4_only=bool(mp4_only), webm=bool(webm))
    job = enqueue_job(db, ladder, video_id=video.id)
    db.commit()
    return job


PENDING_INGEST = (VideoState.uploading.value, VideoState.uploaded.value, VideoState.ingesting.value)
