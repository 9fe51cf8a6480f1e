"""Every change of ``Video.state`` goes through this module: which moves are allowed (the
:data:`TRANSITIONS` table), what each move does to the video's progress and state message, and
which webhook event it emits. Nothing else assigns ``Video.state``.

A move is a named :class:`Step` (what happened: an upload started, the ladder finished, a job
failed), not just a target state, because the same pair of states can mean two things: a video
goes ``uploading → failed`` both when its URL import fails (reported on the upload session, no
event) and when its fetch job gives up (``video.failed``).

Each row's ``sources`` list every state that the code asking for the step can find the video
in, including the re-runs that at-least-once delivery brings: a job whose worker died after it
committed runs again from its start (``jobs/runner.py``), so a job's first step may find the
video in any later state. Steps asked for by requests (an upload, a conversion) are refused
outside their sources with :class:`~reelbase.core.errors.InvalidTransition` (409); callers that
owe their client a more specific answer ask :func:`can_move` first and raise their own.

Progress: ingest covers the first :data:`INGEST_SHARE` percent of the way to ``ready``, the
ladder (or a processing job) the rest; :func:`advance_progress` maps a job's own 0–100 onto that
span and never moves the video backwards.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy.orm import Session

from reelbase.core.errors import InvalidTransition
from reelbase.core.webhooks import emit_video_event
from reelbase.db.models import Video, VideoState

INGEST_SHARE = 20  # percent of the video's overall progress that ingest covers


class Step(enum.StrEnum):
    upload_started = "upload_started"
    upload_released = "upload_released"
    upload_restored = "upload_restored"
    upload_failed = "upload_failed"
    source_attached = "source_attached"
    ingest_started = "ingest_started"
    ingest_finished = "ingest_finished"
    ladder_queued = "ladder_queued"
    transcode_started = "transcode_started"
    ladder_finished = "ladder_finished"
    conversion_requested = "conversion_requested"
    processing_requested = "processing_requested"
    processing_finished = "processing_finished"
    job_failed = "job_failed"


class Message(enum.Enum):
    keep = "keep"
    clear = "clear"
    set = "set"  # the caller gives the text


@dataclass(frozen=True)
class Transition:
    sources: frozenset[VideoState]
    target: VideoState
    event: str | None = None  # the webhook event emitted once the video is in ``target``
    progress: int | None = None  # the video's progress after the move; None keeps it
    progress_cap: int | None = None  # progress is lowered to at most this
    message: Message = Message.keep


S = VideoState
ANY = frozenset(VideoState)
# A video without a file: it may take one (again).
WITHOUT_SOURCE = frozenset({S.created, S.uploading, S.failed})

TRANSITIONS: dict[Step, Transition] = {
    # uploading: a second session for the same video (a retried single request, a client that
    # opens a new tus upload) finds it uploading already; failed: a failed video takes a new file.
    Step.upload_started: Transition(WITHOUT_SOURCE, S.uploading),
    # An upload ended without a file (terminated, expired, abandoned): the video waits again.
    Step.upload_released: Transition(frozenset({S.uploading}), S.created),
    # A single-request upload that dies puts back the state it found, which may have been
    # uploading (another session of the video was open when it began).
    Step.upload_restored: Transition(frozenset({S.uploading}), S.uploading),
    # A fetch by URL that failed, or a single upload of a failed video that died. The failure
    # is reported on the upload session; video.failed is not emitted because the video never
    # got a file to fail on (as before this module).
    Step.upload_failed: Transition(frozenset({S.uploading}), S.failed, message=Message.set),
    # The upload engine refuses to attach a file to a video outside WITHOUT_SOURCE (another
    # upload won) before it asks for this step.
    Step.source_attached: Transition(WITHOUT_SOURCE, S.uploaded, event="upload.completed", progress=0,
                                     message=Message.clear),
    # The ingest job starts from whatever state it finds: besides uploaded (first run) and
    # ingesting (a retry), a re-run of an ingest that had committed finds transcoding, ready or
    # failed, and after a failed pipeline even a new upload in progress (created, uploading).
    Step.ingest_started: Transition(ANY, S.ingesting, progress=1, message=Message.clear),
    # Light ingest or a deferred conversion: ready without a ladder. The job set ingesting itself
    # and holds its lease, so nothing else moved the video meanwhile.
    Step.ingest_finished: Transition(frozenset({S.ingesting}), S.ready, event="video.ready", progress=100,
                                     message=Message.clear),
    Step.ladder_queued: Transition(frozenset({S.ingesting}), S.transcoding),
    # Like ingest, the transcode job starts from whatever state it finds (transcoding normally;
    # ready when it is a re-run of an attempt that had committed; any state after a re-run of
    # an ingest of the same video).
    Step.transcode_started: Transition(ANY, S.transcoding),
    Step.ladder_finished: Transition(frozenset({S.transcoding}), S.ready, event="video.ready", progress=100,
                                     message=Message.clear),
    # A new ladder for an ingested video; transcoding: while no transcode job is active (the
    # caller checks), a video left transcoding may ask again.
    Step.conversion_requested: Transition(frozenset({S.ready, S.transcoding}), S.transcoding,
                                          progress_cap=INGEST_SHARE),
    # A derived video has no upload and no ingest: its process job makes its file.
    Step.processing_requested: Transition(frozenset({S.created}), S.transcoding),
    # The process job does not set a state when it starts, so a re-run of one that had
    # committed finds its video ready already.
    Step.processing_finished: Transition(frozenset({S.transcoding, S.ready}), S.ready, event="video.ready",
                                         progress=100, message=Message.clear),
    # Any job of a video can fail for good whatever the state of the video (a fetch while it
    # uploads, a re-run of a ladder of a ready video, a second failure of a failed one).
    Step.job_failed: Transition(ANY, S.failed, event="video.failed", message=Message.set),
}

# The states in which a video may take a new upload (values, as stored).
REUPLOADABLE = frozenset(s.value for s in WITHOUT_SOURCE)

_RELEASES = {S.created: Step.upload_released, S.uploading: Step.upload_restored, S.failed: Step.upload_failed}


def state_of(video: Video) -> VideoState:
    try:
        return VideoState(video.state)
    except ValueError:
        raise InvalidTransition(f"video {video.uuid} has an unknown state {video.state!r}",
                                current=video.state) from None


def can_move(video: Video, step: Step) -> bool:
    """Whether ``step`` is allowed from the video's current state."""
    return state_of(video) in TRANSITIONS[step].sources


def move_video(
    db: Session, video: Video, step: Step, *, public_url: str | None = None, message: str | None = None
) -> None:
    """Apply ``step`` to ``video`` in the caller's transaction: its state, progress and message,
    and the deliveries of its webhook event (``public_url`` is needed for steps that emit one;
    ``message`` is what steps that record one record). Raises InvalidTransition, changing nothing, when the
    step is not allowed from the video's state."""
    row = TRANSITIONS[step]
    current = state_of(video)
    if current not in row.sources:
        raise InvalidTransition(
            f"video {video.uuid} cannot go from {current.value} to {row.target.value} ({step.value})",
            current=current.value, target=row.target.value, step=step.value,
        )
    if row.event is not None and public_url is None:
        raise ValueError(f"{step.value} emits {row.event}: public_url is required")
    video.state = row.target.value
    if row.message is Message.clear:
        video.state_message = None
    elif row.message is Message.set:
        video.state_message = message
    if row.progress is not None:
        video.progress = row.progress
    if row.progress_cap is not None:
        video.progress = min(video.progress, row.progress_cap)
    if row.event is not None:
        assert public_url is not None
        emit_video_event(db, video, row.event, public_url=public_url)


def release_upload(db: Session, video: Video, *, back_to: str | None, message: str | None = None) -> None:
    """Give a video left ``uploading`` by an upload that ended without a file the state
    ``back_to`` (default ``created``; ``failed`` records ``message``)."""
    target = state_of_value(back_to or S.created.value)
    step = _RELEASES.get(target)
    if step is None:
        raise InvalidTransition(f"an upload cannot leave video {video.uuid} {target.value}",
                                current=video.state, target=target.value)
    move_video(db, video, step, message=message if step is Step.upload_failed else None)


def advance_progress(video: Video, percent: int, *, span: tuple[int, int]) -> None:
    """Map a job's own progress (0–100) onto its ``span`` of the video's way to ready; progress
    never goes backwards (a retried step reports from 0 again)."""
    lo, hi = span
    video.progress = max(video.progress, lo + (hi - lo) * percent // 100)


def state_of_value(value: str) -> VideoState:
    try:
        return VideoState(value)
    except ValueError:
        raise InvalidTransition(f"unknown video state {value!r}", target=value) from None
