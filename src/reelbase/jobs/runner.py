"""Running one job with a database lease: the database, not the queue, decides who runs what.

Huey delivers at most once (a SIGKILLed worker loses its task), so Reelbase is at-least-once by
lease: a worker claims a job by setting a lease that its heartbeat keeps extending; the reaper
re-dispatches jobs whose lease ran out (worker died) or that sat queued too long (lost message).
A claim is one conditional UPDATE, so two workers can never both run the same attempt.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import traceback
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from reelbase.core.runtime import Runtime
from reelbase.core.videos.state import Step, move_video
from reelbase.db.models import Job, JobState, Video, utcnow
from reelbase.jobs.registry import JobContext, LostLease, RetryLater, run_handler

log = logging.getLogger(__name__)
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"


def _is_permanent(exc: BaseException) -> bool:
    """Whether a retry cannot help: the error says so itself with a ``permanent`` class attribute
    (PermanentJobError, every DomainError, media's MediaRejected and InvalidProcessing, a job
    payload that does not fit its kind). It is a plain attribute rather than a shared base class
    because media/ and net/ import nothing from the app."""
    return getattr(exc, "permanent", False) is True


def claim_job(runtime: Runtime, job_id: int) -> JobContext | None:
    """Take the job if it is queued or its lease expired; None if someone else has it or done."""
    now = utcnow()
    lease = now + dt.timedelta(seconds=runtime.settings.job_lease_seconds)
    with runtime.session() as db:
        result = db.execute(
            update(Job)
            .where(
                Job.id == job_id,
                or_(
                    # queued and due (a delayed retry keeps its due time in lease_expires_at)
                    and_(Job.state == JobState.queued.value,
                         or_(Job.lease_expires_at.is_(None), Job.lease_expires_at <= now)),
                    and_(Job.state == JobState.running.value, Job.lease_expires_at < now),
                ),
            )
            .values(
                state=JobState.running.value,
                attempts=Job.attempts + 1,
                worker=WORKER_NAME,
                heartbeat_at=now,
                lease_expires_at=lease,
                started_at=now,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            db.rollback()
            return None
        db.commit()
        job = db.get_one(Job, job_id)
        return JobContext(
            runtime=runtime,
            job_id=job.id,
            kind=job.kind,
            video_id=job.video_id,
            stored_payload=dict(job.payload),
            attempt=job.attempts,
        )


class _Heartbeat:
    """Extends the lease every third of its length while the handler runs."""

    def __init__(self, runtime: Runtime, job_id: int) -> None:
        self._runtime, self._job_id = runtime, job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        seconds = self._runtime.settings.job_lease_seconds
        while not self._stop.wait(max(0.5, seconds / 3)):
            try:
                now = utcnow()
                with self._runtime.session() as db:
                    db.execute(
                        update(Job)
                        .where(Job.id == self._job_id, Job.state == JobState.running.value, Job.worker == WORKER_NAME)
                        .values(heartbeat_at=now, lease_expires_at=now + dt.timedelta(seconds=seconds))
                    )
                    db.commit()
            except Exception:  # a missed beat is not fatal; the next one retries
                log.warning("heartbeat for job %s failed", self._job_id, exc_info=True)


def _finish(runtime: Runtime, ctx: JobContext, *, state: str, result: Any = None, error: str | None = None,
            due: dt.datetime | None = None) -> None:
    with runtime.session() as db:
        job = db.get(Job, ctx.job_id, with_for_update=True)
        if job is None or job.attempts != ctx.attempt:
            return  # a later attempt owns the job now; its outcome is the one that counts
        job.state = state
        job.result = result
        job.error = error
        job.finished_at = utcnow() if state != JobState.queued.value else None
        job.lease_expires_at = due
        if state == JobState.succeeded.value:
            job.progress = 100
        if state == JobState.failed.value and ctx.video_id is not None:
            video = db.get(Video, ctx.video_id)
            if video is not None:
                move_video(db, video, Step.job_failed, message=error, public_url=runtime.settings.public_url)
        db.commit()


def execute_job(runtime: Runtime, job_id: int) -> str:
    """Claim and run one job; returns the job's resulting state (or 'skipped')."""
    ctx = claim_job(runtime, job_id)
    if ctx is None:
        return "skipped"
    with runtime.session() as db:
        job = db.get_one(Job, job_id)
        over = job.attempts > job.max_attempts
        video_gone = ctx.video_id is not None and db.get(Video, ctx.video_id) is None
    if video_gone:
        _finish(runtime, ctx, state=JobState.cancelled.value, error="the video was deleted")
        return JobState.cancelled.value
    if over:
        _finish(runtime, ctx, state=JobState.failed.value, error="gave up after repeated failures")
        return JobState.failed.value
    try:
        with _Heartbeat(runtime, job_id):
            result = run_handler(ctx)
    except LostLease:
        log.warning("job %s attempt %s lost its lease to another worker; its results are dropped",
                    job_id, ctx.attempt)
        return "lost"
    except RetryLater as exc:
        with runtime.session() as db:
            max_attempts = db.get_one(Job, job_id).max_attempts
        if ctx.attempt >= max_attempts:
            _finish(runtime, ctx, state=JobState.failed.value, error=f"failed {ctx.attempt} times: {exc.message}")
            return JobState.failed.value
        due = utcnow() + dt.timedelta(seconds=exc.delay_s)
        _finish(runtime, ctx, state=JobState.queued.value, error=exc.message, due=due)
        runtime.dispatch(job_id, delay=exc.delay_s)
        return JobState.queued.value
    except Exception as exc:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        if _is_permanent(exc):
            log.info("job %s (%s) failed for good: %s", job_id, ctx.kind, message)
            _finish(runtime, ctx, state=JobState.failed.value, error=message)
            return JobState.failed.value
        log.warning("job %s (%s) attempt %s failed: %s", job_id, ctx.kind, ctx.attempt, message)
        with runtime.session() as db:
            max_attempts = db.get_one(Job, job_id).max_attempts
        if ctx.attempt >= max_attempts:
            detail = "".join(traceback.format_exception_only(exc)).strip()
            _finish(runtime, ctx, state=JobState.failed.value, error=f"failed {ctx.attempt} times: {detail}")
            return JobState.failed.value
        _finish(runtime, ctx, state=JobState.queued.value, error=message)
        runtime.dispatch(job_id)
        return JobState.queued.value
    _finish(runtime, ctx, state=JobState.succeeded.value, result=result)
    return JobState.succeeded.value


def reap_jobs(runtime: Runtime, *, stale_queued_after: float | None = None) -> list[int]:
    """Re-dispatch jobs whose lease expired (dead worker) or that waited queued too long (lost
    message). Returns their ids. Safe to run from any number of processes at once."""
    now = utcnow()
    queued_cutoff = now - dt.timedelta(
        seconds=stale_queued_after if stale_queued_after is not None else 2 * runtime.settings.job_lease_seconds
    )
    with runtime.session() as db:
        rows = db.scalars(
            select(Job.id).where(
                or_(
                    and_(Job.state == JobState.running.value, Job.lease_expires_at < now),
                    and_(Job.state == JobState.queued.value,
                         func.coalesce(Job.lease_expires_at, Job.created_at) < queued_cutoff,
                         or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < queued_cutoff)),
                )
            )
        ).all()
        # Mark the re-dispatch so a queued job is not re-sent on every pass.
        if rows:
            db.execute(
                update(Job).where(Job.id.in_(rows), Job.state == JobState.queued.value).values(heartbeat_at=now)
            )
            db.commit()
    for job_id in rows:
        runtime.dispatch(job_id)
    return list(rows)
