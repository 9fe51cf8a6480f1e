"""Job rows: the database is the truth for state, progress, attempts and leases.

``enqueue_job`` only records the job; the caller dispatches it to the queue *after* its commit
(``runtime.dispatch(job.id)``), so a worker never sees a job that is not yet visible.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.db.models import Job, JobState


def enqueue_job(
    db: Session,
    *,
    kind: str,
    video_id: int | None = None,
    payload: dict[str, Any] | None = None,
    max_attempts: int = 3,
) -> Job:
    job = Job(kind=kind, video_id=video_id, payload=dict(payload or {}), max_attempts=max_attempts)
    db.add(job)
    db.flush()
    return job


def jobs_for_video(db: Session, video_id: int) -> list[Job]:
    return list(db.scalars(select(Job).where(Job.video_id == video_id).order_by(Job.id)))


def active_states() -> tuple[str, ...]:
    return (JobState.queued.value, JobState.running.value)
