"""Where a video stands in each stage of its life, for surfaces that report stages separately
(Pixop's upload / ingestion / processing states) rather than one ``state``.

Stages and their statuses (vendor-neutral; surfaces rename them):

* upload: from the video's latest upload session (``active`` → in_progress, ``completed`` → done,
  ``failed``/``terminated``/``expired`` → failed); a video whose file was produced by processing
  counts as uploaded once the file is stored.
* ingestion (originals): not_started before the file is complete, queued once it is, in_progress
  while ingest and the streaming ladder run (``video.progress``), done when ready, failed when the
  video failed. For a processed video, the probe of its output: done when ready. Metadata is
  *available* once probed (``media_info``) and *committed* once the ingest finished (quality
  assessed too).
* processing (derived videos only; originals are not_applicable): from the video's ``process``
  job: queued, in_progress with the video's progress, done, failed.

Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from reelbase.core.errors import DomainError
from reelbase.core.job_kinds import JobKind
from reelbase.core.jobs import jobs_for_video
from reelbase.core.videos.assets import find_original
from reelbase.core.videos.processing import resolve_spec
from reelbase.db.models import Job, JobState, UploadSession, Video, VideoState
from reelbase.media.processing_spec import ProcessingSpec

NOT_STARTED, QUEUED, IN_PROGRESS, DONE, FAILED, NOT_APPLICABLE = (
    "not_started", "queued", "in_progress", "done", "failed", "not_applicable")
_UPLOAD = {"active": IN_PROGRESS, "completed": DONE, "failed": FAILED, "terminated": FAILED, "expired": FAILED}
_JOB = {JobState.queued.value: QUEUED, JobState.running.value: IN_PROGRESS, JobState.succeeded.value: DONE,
        JobState.failed.value: FAILED, JobState.cancelled.value: FAILED}


@dataclass(frozen=True)
class VideoRefs:
    """Public ids (UUIDs) of what a video points to."""

    project: str | None
    parent: str | None
    user: str | None
    team: str


@dataclass(frozen=True)
class UploadStage:
    status: str
    updated_at: dt.datetime
    finished: bool
    filename: str | None
    size: int | None
    content_type: str | None
    container_long_name: str | None  # known once probed


@dataclass(frozen=True)
class Stage:
    status: str
    progress: float  # 0.0-100.0
    updated_at: dt.datetime
    message: str | None = None
    metadata_available: bool = False
    metadata_committed: bool = False


@dataclass(frozen=True)
class VideoStages:
    """Everything :func:`video_stages` reports of one video: its references and each stage."""

    refs: VideoRefs
    upload: UploadStage
    ingest: Stage
    processing: Stage
    spec: ProcessingSpec | None


def video_refs(db: Session, video: Video) -> VideoRefs:
    """From the video's relationships: the read queries load them with it (``Show.REFS`` and
    ``Show.OWNERS``); a video made in this session loads them on first use."""
    def uuid_of(row: Any) -> str | None:
        return row.uuid if row is not None else None

    return VideoRefs(project=uuid_of(video.project), parent=uuid_of(video.parent), user=uuid_of(video.user),
                     team=uuid_of(video.team) or "")


def _latest_upload(db: Session, video: Video) -> UploadSession | None:
    # Without joining the video again: it is the one at hand.
    return db.scalar(select(UploadSession).where(UploadSession.video_id == video.id)
                     .order_by(UploadSession.id.desc()).limit(1).options(lazyload(UploadSession.video)))


def video_stages(db: Session, video: Video) -> VideoStages:
    """The video's references and every stage at once, in two queries (its latest upload, its
    jobs) besides the video and what was loaded with it (``Show.REFS | Show.OWNERS | Show.FILES``)."""
    jobs = jobs_for_video(db, video.id)
    return VideoStages(refs=video_refs(db, video), upload=_upload_stage(db, video, _latest_upload(db, video)),
                       ingest=_ingest_stage(video, jobs), processing=_processing_stage(video, jobs),
                       spec=processing_spec(db, video))


def upload_stage(db: Session, video: Video) -> UploadStage:
    return _upload_stage(db, video, _latest_upload(db, video))


def _upload_stage(db: Session, video: Video, sess: UploadSession | None) -> UploadStage:
    original = find_original(db, video)
    container = (video.media_info or {}).get("format_long_name")
    if sess is not None:
        status = _UPLOAD.get(sess.state, IN_PROGRESS)
        return UploadStage(
            status=status, updated_at=sess.completed_at or sess.updated_at, finished=original is not None,
            filename=sess.filename or video.original_filename,
            size=original.size_bytes if original else (sess.length if status == IN_PROGRESS else sess.offset),
            content_type=original.content_type if original else sess.content_type, container_long_name=container,
        )
    if original is not None:
        return UploadStage(status=DONE, updated_at=original.created_at, finished=True,
                           filename=video.original_filename, size=original.size_bytes,
                           content_type=original.content_type, container_long_name=container)
    return UploadStage(status=NOT_STARTED, updated_at=video.created_at, finished=False,
                       filename=video.original_filename, size=None, content_type=None, container_long_name=None)


def _last_change(jobs: list[Job], fallback: dt.datetime) -> dt.datetime:
    stamps = [s for j in jobs for s in (j.finished_at, j.heartbeat_at, j.started_at, j.created_at) if s]
    return max(stamps, default=fallback)


def ingest_stage(db: Session, video: Video) -> Stage:
    return _ingest_stage(video, jobs_for_video(db, video.id) if video.parent_id is None else [])


def _ingest_stage(video: Video, all_jobs: list[Job]) -> Stage:
    available = video.media_info is not None
    if video.parent_id is not None:  # a processed video: its output is probed when it is stored
        done = video.state == VideoState.ready.value
        return Stage(status=DONE if done else NOT_STARTED, progress=100.0 if done else 0.0,
                     updated_at=video.updated_at, metadata_available=available, metadata_committed=done)
    jobs = [j for j in all_jobs if j.kind in (JobKind.ingest, JobKind.transcode)]
    updated = _last_change(jobs, video.updated_at)
    committed = available and video.state in (VideoState.transcoding.value, VideoState.ready.value)
    state = video.state
    if state in (VideoState.created.value, VideoState.uploading.value):
        return Stage(status=NOT_STARTED, progress=0.0, updated_at=updated)
    if state == VideoState.uploaded.value:
        return Stage(status=QUEUED, progress=0.0, updated_at=updated, metadata_available=available)
    if state == VideoState.ready.value:
        return Stage(status=DONE, progress=100.0, updated_at=updated, metadata_available=available,
                     metadata_committed=committed)
    if state == VideoState.failed.value:
        return Stage(status=FAILED, progress=float(video.progress), updated_at=updated, message=video.state_message,
                     metadata_available=available, metadata_committed=committed)
    return Stage(status=IN_PROGRESS, progress=float(video.progress), updated_at=updated,
                 metadata_available=available, metadata_committed=committed)


def processing_stage(db: Session, video: Video) -> Stage:
    return _processing_stage(video, jobs_for_video(db, video.id) if video.parent_id is not None else [])


def _processing_stage(video: Video, all_jobs: list[Job]) -> Stage:
    if video.parent_id is None:
        return Stage(status=NOT_APPLICABLE, progress=0.0, updated_at=video.created_at)
    jobs = [j for j in all_jobs if j.kind == JobKind.process]
    updated = _last_change(jobs, video.updated_at)
    if video.state == VideoState.ready.value:
        return Stage(status=DONE, progress=100.0, updated_at=updated)
    if video.state == VideoState.failed.value:
        return Stage(status=FAILED, progress=float(video.progress), updated_at=updated, message=video.state_message)
    status = _JOB.get(jobs[-1].state, QUEUED) if jobs else QUEUED
    if status in (DONE, FAILED):  # the job ended but the video row has not caught up yet
        status = IN_PROGRESS
    return Stage(status=status, progress=float(video.progress), updated_at=updated)


def processing_spec(db: Session, video: Video) -> ProcessingSpec | None:
    """The request a processed video was made from, resolved against its source (every default
    decided), or None for a video that was not made by processing."""
    params = (video.options or {}).get("processing")
    if video.parent_id is None or not isinstance(params, dict):
        return None
    source = video.parent
    if source is None:
        return None
    try:
        return resolve_spec(source, params)
    except DomainError:
        return None
