"""What an upload session looks like from outside: its states, who may use it, its status.

Kept apart from the engine (``engine.py``) so that surfaces and the other upload modules can
name these types without pulling in the byte path.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from reelbase.core.context import Principal
from reelbase.core.errors import DomainError
from reelbase.db.models import UploadSession


class UploadState(str, enum.Enum):
    active = "active"
    completed = "completed"
    failed = "failed"
    terminated = "terminated"
    expired = "expired"


class UploadGone(DomainError):
    """The upload existed but can take no more bytes (expired, terminated or failed)."""

    code = "upload_gone"
    status = 410


@dataclass(frozen=True)
class UploadGrant:
    """Access to exactly one upload session, proven by a signed URL instead of an API key."""

    upload_id: str


Actor = Principal | UploadGrant


@dataclass(frozen=True)
class UploadStatus:
    id: str
    protocol: str
    mode: str
    state: str
    offset: int
    length: int | None
    expires_at: dt.datetime
    video_id: int
    video_uuid: str
    filename: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    signed: bool = False
    chunk_size: int | None = None
    total_chunks: int | None = None
    recorded_progress: int = 0

    @property
    def complete(self) -> bool:
        return self.state == UploadState.completed.value

    @property
    def progress(self) -> int:
        """0-100, an integer; 100 only once the upload is committed to its video."""
        if self.complete:
            return 100
        if not self.length:
            return self.recorded_progress  # e.g. a fetch by URL that knows the announced size
        return min(99, self.offset * 100 // self.length)


def status_of(sess: UploadSession, *, offset: int | None = None) -> UploadStatus:
    """The status of a loaded session row (its video comes with it: joined)."""
    video_uuid = sess.video.uuid if sess.video is not None else ""
    return UploadStatus(
        id=sess.public_id, protocol=sess.protocol, mode=sess.mode, state=sess.state,
        offset=sess.offset if offset is None else offset, length=sess.length,
        expires_at=sess.expires_at.astimezone(dt.UTC),  # PostgreSQL answers in its own zone object
        video_id=sess.video_id, video_uuid=video_uuid, filename=sess.filename,
        metadata=dict(sess.upload_metadata or {}), error=sess.error, signed=sess.signed,
        chunk_size=sess.chunk_size, total_chunks=sess.total_chunks, recorded_progress=sess.progress or 0,
    )
