"""What a job is: one enumeration of the kinds of job, and the payload type each kind carries.

A payload type is a frozen, strict pydantic model that names its kind; defining one registers it,
so the kind → payload table below is complete by construction and a kind has exactly one type.
Jobs are enqueued with a payload object (``core/jobs.enqueue_job`` takes its kind from it), and a
handler receives the payload decoded and validated from the stored row (``jobs/registry.py``),
so neither end deals in bare kind strings or loose dicts.

The stored rows keep the kind strings they always had (``Job.kind`` is the enum's value) and the
payload as JSON, so the table needs no migration.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError


class JobKind(enum.StrEnum):
    ingest = "ingest"
    transcode = "transcode"
    process = "process"
    fetch_url = "fetch_url"
    webhook = "webhook"


class JobPayloadError(TypeError):
    """A payload that does not fit its kind: refused when enqueued, and a permanent failure when
    a stored one cannot be decoded (a retry would read the same row)."""

    permanent = True


_TYPES: dict[str, type[JobPayload]] = {}


class JobPayload(BaseModel):
    """The payload of one job kind; subclasses set ``kind`` and declare their fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    kind: ClassVar[enum.StrEnum]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if not isinstance(kind, enum.StrEnum):
            raise TypeError(f"{cls.__name__} must name its kind (a StrEnum member)")
        known = _TYPES.get(kind.value)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise TypeError(f"job kind {kind.value!r} has a payload type already: {known.__name__}")
        _TYPES[kind.value] = cls

    def to_row(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class IngestPayload(JobPayload):
    kind: ClassVar[JobKind] = JobKind.ingest


class TranscodePayload(JobPayload):
    """Which ladder to build (the options of a conversion request)."""

    kind: ClassVar[JobKind] = JobKind.transcode
    sd_only: bool = False
    mp4_only: bool = False
    webm: bool = False


class ProcessPayload(JobPayload):
    """A processing request: the source video and the request as the client gave it (validated
    against the source before the job was queued, and again when it runs)."""

    kind: ClassVar[JobKind] = JobKind.process
    source_video_id: int
    params: dict[str, Any]


class FetchUrlPayload(JobPayload):
    kind: ClassVar[JobKind] = JobKind.fetch_url
    upload_id: str


class WebhookPayload(JobPayload):
    kind: ClassVar[JobKind] = JobKind.webhook
    delivery_id: int


def payload_type_for(kind: enum.StrEnum | str) -> type[JobPayload]:
    """The payload type registered for ``kind``; JobPayloadError for a kind nobody defined."""
    found = _TYPES.get(str(kind))
    if found is None:
        raise JobPayloadError(f"unknown job kind {str(kind)!r}")
    return found


def checked_payload(payload: object) -> JobPayload:
    """``payload`` if it is exactly the payload type of its kind; JobPayloadError otherwise (a
    dict, a subclass, a model of another family)."""
    if not isinstance(payload, JobPayload):
        raise JobPayloadError(f"a job payload must be a JobPayload, not {type(payload).__name__}")
    expected = payload_type_for(payload.kind)
    if type(payload) is not expected:
        raise JobPayloadError(f"{type(payload).__name__} is not the payload of {payload.kind.value!r} jobs "
                              f"({expected.__name__} is)")
    return payload


def decode_payload(kind: str, stored: object) -> JobPayload:
    """The typed payload of a stored job row; JobPayloadError when the kind is unknown or the
    stored payload does not fit its type."""
    cls = payload_type_for(kind)
    try:
        return cls.model_validate(stored)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "payload"
        raise JobPayloadError(f"the payload of this {kind} job is malformed: {where}: {first['msg']}") from None
