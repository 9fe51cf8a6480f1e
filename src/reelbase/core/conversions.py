"""Asking for the adaptive ladder of an ingested video (when conversion was deferred, or again
with other options: SD only, MP4 only, with a WebM rendition)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.context import Principal
from reelbase.core.errors import Conflict
from reelbase.core.jobs import active_states, enqueue_job
from reelbase.db.models import Job, Video, VideoState


def request_conversion(
    db: Session, principal: Principal, video: Video, *, sd_only: bool = False, mp4_only: bool = False,
    webm: bool = False,
) -> Job:
    """Queue a transcode job (dispatched when the caller commits). ``video``
    was found through the principal, so it is theirs."""
    if not video.media_info or video.state not in (VideoState.ready.value, VideoState.transcoding.value):
        raise Conflict(f"video {video.uuid} is not ingested yet (state {video.state})")
    busy = db.scalar(
        select(Job.id).where(Job.video_id == video.id, Job.kind == "transcode", Job.state.in_(active_states()))
    )
    if busy is not None:
        raise Conflict(f"a conversion of video {video.uuid} is already running", job=busy)
    options = {"sd_only": sd_only, "mp4_only": mp4_only, "webm": webm}
    video.options = {**video.options, **options, "defer_conversion": False}
    video.state = VideoState.transcoding.value
    video.progress = min(video.progress, 20)
    return enqueue_job(db, kind="transcode", video_id=video.id, payload=options)
