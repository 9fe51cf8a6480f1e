"""The typed job registry: every job kind maps to one handler, which receives the job's payload
as the type its kind declares (``core/job_kinds.py``).

A handler gets a :class:`JobContext` and its typed payload and returns a JSON-able result (or
None). It must be idempotent: it may run again after a crash (at-least-once), so it writes to a
fresh place and commits atomically in the database.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from reelbase.core.job_kinds import JobPayload, decode_payload, payload_type_for
from reelbase.core.runtime import Runtime
from reelbase.core.videos.assets import find_original
from reelbase.core.videos.state import advance_progress
from reelbase.db.models import Job, MediaAsset, Video, utcnow

P = TypeVar("P", bound=JobPayload)
Handler = Callable[["JobContext", P], dict[str, Any] | None]


class PermanentJobError(Exception):
    """A failure that a retry cannot fix (bad input); the job fails at once with this message."""

    permanent = True


class LostLease(Exception):
    """Another worker took this job over (our lease lapsed): drop our results quietly."""


class RetryLater(Exception):
    """A transient failure: run the job again after ``delay_s`` (while attempts remain)."""

    def __init__(self, message: str, *, delay_s: float) -> None:
        super().__init__(message)
        self.message = message
        self.delay_s = delay_s


@dataclass(frozen=True)
class Registered(Generic[P]):
    kind: enum.StrEnum
    payload_type: type[P]
    run: Handler[P]


_HANDLERS: dict[str, Registered[Any]] = {}


def job_handler(kind: enum.StrEnum) -> Callable[[Handler[P]], Handler[P]]:
    """Register the handler of ``kind`` (a JobKind member; a bare string is refused), which is
    called as ``handler(ctx, payload)`` with the payload type of its kind."""
    if not isinstance(kind, enum.StrEnum):
        raise TypeError(f"a job kind is a JobKind member, not {type(kind).__name__} {kind!r}")
    payload_type = payload_type_for(kind)

    def register(fn: Handler[P]) -> Handler[P]:
        known = _HANDLERS.get(kind.value)
        if known is not None and known.run is not fn:
            raise ValueError(f"job kind {kind.value!r} registered twice")
        _HANDLERS[kind.value] = Registered(kind=kind, payload_type=payload_type, run=fn)
        return fn

    return register


def handler_for(kind: str) -> Registered[Any]:
    try:
        return _HANDLERS[str(kind)]
    except KeyError:
        raise PermanentJobError(f"unknown job kind {kind!r}") from None


def run_handler(ctx: JobContext) -> dict[str, Any] | None:
    """Run the job's handler with its payload decoded from the stored row and checked against
    its kind's type (a payload that does not fit fails the job for good: JobPayloadError)."""
    registered = handler_for(ctx.kind)
    return registered.run(ctx, decode_payload(ctx.kind, ctx.stored_payload))


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)


@dataclass
class JobContext:
    runtime: Runtime
    job_id: int
    kind: str  # as stored: a kind this process may not know fails the job in run_handler
    video_id: int | None
    stored_payload: dict[str, Any]  # as stored; the handler gets it typed
    attempt: int
    _last_progress_write: float = field(default=0.0)
    _last_progress: int = field(default=-1)

    def check_owner(self, db: Session, *, on_lost: Callable[[], object] | None = None) -> None:
        """Fence: call inside the transaction that commits a job's results. Raises
        :class:`LostLease` (after ``on_lost``, which removes this attempt's outputs) unless this
        attempt still holds the job, so a worker whose lease lapsed can never overwrite its
        successor's results. Locks the job row on PostgreSQL until the commit."""
        job = db.get(Job, self.job_id, with_for_update=True, populate_existing=True)
        if job is None or job.attempts != self.attempt or job.state != "running":
            if on_lost is not None:
                on_lost()
            raise LostLease(f"job {self.job_id} attempt {self.attempt} lost its lease")

    def video_and_original(self, db: Session, *, missing: str) -> tuple[Video, MediaAsset] | None:
        """The job's video and its stored original, read as the job starts; None when the video
        was deleted meanwhile (its job then has nothing to do, and ends quietly). A video without
        an original cannot be worked on: RuntimeError(``missing``)."""
        video = db.get(Video, self.video_id)
        if video is None:
            return None
        original = find_original(db, video)
        if original is None:
            raise RuntimeError(missing)
        return video, original

    def video_for_results(self, db: Session, *, discard: Callable[[], object]) -> Video | None:
        """The job's video, re-read in the transaction that will attach what the job stored
        meanwhile, with the lease fenced (:meth:`check_owner`). When the video was deleted
        (None) or the lease lost (:class:`LostLease`), ``discard`` first removes what this
        attempt stored, which nobody else would ever clean up."""
        video = db.get(Video, self.video_id)
        if video is None:
            discard()
            return None
        self.check_owner(db, on_lost=discard)
        return video

    def set_progress(
        self, percent: float, *, video_span: tuple[int, int] | None = None, force: bool = False
    ) -> None:
        """Record progress 0–100, written at most once a second (and always when forced).

        ``video_span=(lo, hi)`` also maps it onto the video's overall progress (e.g. ingest is
        0–20 % of the way to ``ready``, the ladder 20–100 %)."""
        value = max(0, min(100, int(percent)))
        now = time.monotonic()
        if not force and (value == self._last_progress or now - self._last_progress_write < 1.0):
            return
        self._last_progress_write, self._last_progress = now, value
        with self.runtime.session() as db:
            job = db.get(Job, self.job_id)
            if job is not None:
                job.progress = value
                job.heartbeat_at = utcnow()
            if video_span is not None and self.video_id is not None:
                video = db.get(Video, self.video_id)
                if video is not None:
                    advance_progress(video, value, span=video_span)
            db.commit()
