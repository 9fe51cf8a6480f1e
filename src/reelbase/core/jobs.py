"""Job rows: the database is the truth for state, progress, attempts and leases.

``enqueue_job`` records the job in the caller's transaction and marks it for dispatch; the
session's ``after_commit`` hook (installed by :func:`install_dispatch_hook`) sends it to the queue
once the commit succeeded, so a worker never sees a job that is not yet visible, and a rolled-back
job is never sent.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from reelbase.core.job_kinds import JobPayload, checked_payload
from reelbase.db.models import Job, JobState


def enqueue_job(db: Session, payload: JobPayload, *, video_id: int | None = None, max_attempts: int = 3) -> Job:
    """Record a job of ``payload``'s kind (see ``core/job_kinds.py``). Anything but exactly the
    payload type of a kind is refused with JobPayloadError before a row is written."""
    payload = checked_payload(payload)
    job = Job(kind=payload.kind.value, video_id=video_id, payload=payload.to_row(), max_attempts=max_attempts)
    db.add(job)
    db.flush()
    db.info.setdefault(_PENDING, []).append(job.id)
    return job


_PENDING = "reelbase_jobs_to_dispatch"


def install_dispatch_hook(sessions: sessionmaker[Session], dispatch: Callable[[int], None]) -> None:
    """Dispatch the jobs a session created, right after its commit (dropped on rollback)."""

    def after_commit(db: Session) -> None:
        for job_id in db.info.pop(_PENDING, []):
            dispatch(job_id)

    def after_rollback(db: Session) -> None:
        db.info.pop(_PENDING, None)

    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_soft_rollback", lambda db, _tx: after_rollback(db))


def jobs_for_video(db: Session, video_id: int) -> list[Job]:
    return list(db.scalars(select(Job).where(Job.video_id == video_id).order_by(Job.id)))


def active_states() -> tuple[str, ...]:
    return (JobState.queued.value, JobState.running.value)
