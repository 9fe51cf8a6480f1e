"""Typed jobs on a real database: enqueue takes only the payload type of a kind, a handler gets
its payload typed, a stored payload that does not fit fails its job for good, and whether a
failure is permanent comes from the error's ``permanent`` attribute, not from its name."""

from __future__ import annotations

import enum
from typing import ClassVar

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select

from reelbase.core.errors import Conflict, DomainError, InvalidTransition
from reelbase.core.job_kinds import (
    JobKind,
    JobPayload,
    JobPayloadError,
    TranscodePayload,
    WebhookPayload,
    payload_type_for,
)
from reelbase.core.jobs import enqueue_job
from reelbase.core.runtime import Runtime
from reelbase.db.models import Job
from reelbase.jobs import handlers  # noqa: F401  (registers every job kind)
from reelbase.jobs.registry import JobContext, PermanentJobError, job_handler, registered_kinds
from reelbase.jobs.runner import execute_job
from reelbase.media.errors import FFmpegError, InvalidProcessing, MediaRejected, ToolsNotFound


class TypedKind(enum.StrEnum):
    echo = "test_typed_echo"
    fail = "test_typed_fail"


class EchoPayload(JobPayload):
    kind: ClassVar[TypedKind] = TypedKind.echo
    count: int
    label: str = ""


class FailPayload(JobPayload):
    kind: ClassVar[TypedKind] = TypedKind.fail
    error: str


RECEIVED: list[object] = []


@job_handler(TypedKind.echo)
def _echo(ctx: JobContext, payload: EchoPayload) -> dict:
    RECEIVED.append(payload)
    return {"count": payload.count}


class MediaRejectedLookalike(Exception):
    """Named like a permanent error of today's runner, but not one: the name no longer counts."""


MediaRejectedLookalike.__name__ = "MediaRejected"

ERRORS: dict[str, Exception] = {
    "rejected": MediaRejected("corrupt", "the file is corrupt"),
    "invalid_processing": InvalidProcessing("scale.width", "too wide"),
    "domain": Conflict("someone else won"),
    "transition": InvalidTransition("cannot go from ready to uploading"),
    "permanent": PermanentJobError("the source video was deleted"),
    "ffmpeg": FFmpegError(["ffmpeg"], 1, "Conversion failed!"),
    "tools": ToolsNotFound("no ffmpeg"),
    "runtime": RuntimeError("disk hiccup"),
    "lookalike": MediaRejectedLookalike("same name, other class"),
}


@job_handler(TypedKind.fail)
def _fail(ctx: JobContext, payload: FailPayload) -> dict:
    raise ERRORS[payload.error]


@pytest.fixture
def rt(runtime: Runtime) -> Runtime:
    runtime.dispatch = lambda job_id, delay=None: None
    return runtime


def _job_count(rt: Runtime) -> int:
    with rt.session() as db:
        return db.scalar(select(func.count()).select_from(Job)) or 0


def test_jobs_typed_enqueue_refuses_a_wrong_payload(rt: Runtime) -> None:
    class Lookalike(BaseModel):  # the right fields, but not a job payload
        sd_only: bool

    with rt.session() as db:
        for wrong in ({"sd_only": True}, "transcode", None, Lookalike(sd_only=True)):
            with pytest.raises(JobPayloadError):
                enqueue_job(db, wrong)  # type: ignore[arg-type]
        db.rollback()
    with pytest.raises(ValidationError):
        TranscodePayload(sd_only="yes")  # type: ignore[arg-type]  # strict: no coercion
    with pytest.raises(ValidationError):
        WebhookPayload(delivery_id=1, url="https://x.example")  # type: ignore[call-arg]  # no unknown fields
    with pytest.raises(ValidationError):
        EchoPayload(count=1).count = 2  # type: ignore[misc]  # frozen
    assert _job_count(rt) == 0, "nothing refused was written"


def test_jobs_typed_rows_keep_their_kind_strings(rt: Runtime) -> None:
    with rt.session() as db:
        job = enqueue_job(db, TranscodePayload(webm=True), max_attempts=2)
        db.commit()
        row = db.get_one(Job, job.id)
        assert (row.kind, row.payload, row.max_attempts) == (
            "transcode", {"sd_only": False, "mp4_only": False, "webm": True}, 2)


def test_jobs_typed_handler_receives_its_payload(rt: Runtime) -> None:
    RECEIVED.clear()
    with rt.session() as db:
        job_id = enqueue_job(db, EchoPayload(count=3, label="three")).id
        db.commit()
    assert execute_job(rt, job_id) == "succeeded"
    assert RECEIVED == [EchoPayload(count=3, label="three")]
    assert type(RECEIVED[0]) is EchoPayload
    with rt.session() as db:
        assert db.get_one(Job, job_id).result == {"count": 3}


def test_jobs_typed_stored_payload_that_does_not_fit_fails_for_good(rt: Runtime) -> None:
    RECEIVED.clear()
    with rt.session() as db:
        # Rows written some other way than enqueue_job (an older release, a hand edit).
        bad = Job(kind=TypedKind.echo.value, payload={"count": "three"}, max_attempts=3)
        unknown = Job(kind="no_such_kind", payload={}, max_attempts=3)
        db.add_all([bad, unknown])
        db.commit()
        ids = bad.id, unknown.id
    assert [execute_job(rt, job_id) for job_id in ids] == ["failed", "failed"]
    assert RECEIVED == [], "the handler never saw the malformed payload"
    with rt.session() as db:
        bad_row, unknown_row = (db.get_one(Job, job_id) for job_id in ids)
        assert bad_row.attempts == 1 and "malformed" in (bad_row.error or "") and "count" in (bad_row.error or "")
        assert unknown_row.attempts == 1 and "unknown job kind" in (unknown_row.error or "")


@pytest.mark.parametrize(("error", "outcome"), [
    ("rejected", "failed"), ("invalid_processing", "failed"), ("domain", "failed"), ("transition", "failed"),
    ("permanent", "failed"), ("ffmpeg", "queued"), ("tools", "queued"), ("runtime", "queued"),
    ("lookalike", "queued"),
])
def test_jobs_typed_permanence_comes_from_the_error(rt: Runtime, error: str, outcome: str) -> None:
    with rt.session() as db:
        job_id = enqueue_job(db, FailPayload(error=error)).id
        db.commit()
    assert execute_job(rt, job_id) == outcome
    assert getattr(ERRORS[error], "permanent", False) is (outcome == "failed")


def test_jobs_typed_permanent_attribute_on_error_families() -> None:
    assert DomainError.permanent is True and issubclass(InvalidTransition, DomainError)
    assert MediaRejected.permanent is True and InvalidProcessing.permanent is True
    assert FFmpegError.permanent is False and ToolsNotFound.permanent is False
    assert JobPayloadError.permanent is True and PermanentJobError.permanent is True


def test_jobs_typed_every_kind_has_one_payload_type_and_one_handler() -> None:
    for kind in JobKind:
        assert payload_type_for(kind).kind is kind
    assert set(JobKind) <= set(registered_kinds())
    with pytest.raises(TypeError):
        job_handler("ingest")  # type: ignore[arg-type]  # a bare string is not a kind
    with pytest.raises(TypeError):
        class Orphan(JobPayload):  # a payload type must name its kind
            n: int
    with pytest.raises(TypeError):
        class Second(JobPayload):  # and a kind has one payload type
            kind: ClassVar[JobKind] = JobKind.ingest
