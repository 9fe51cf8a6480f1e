"""What a video's source file must satisfy, and how a complete one is attached to the video.

The bytes themselves arrive through the upload engine (``core/uploads/engine.py``: single uploads, tus,
ResumableJS, Content-Range, by URL), always to a fresh key per attempt
(``videos/<uuid>/original/<nonce>``) so a failed or racing upload can never leave a half object
where a download would find it; the engine ends every upload in :func:`commit_original`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.auth.accounts import team_limits
from reelbase.core.context import Principal
from reelbase.core.errors import InvalidInput, PayloadTooLarge, QuotaExceeded
from reelbase.core.job_kinds import IngestPayload
from reelbase.core.jobs import enqueue_job
from reelbase.core.runtime import Runtime
from reelbase.core.videos.state import REUPLOADABLE  # noqa: F401  (the upload modules import it from here)
from reelbase.core.videos.state import Step, move_video
from reelbase.core.videos.catalog import team_stored_bytes
from reelbase.db.models import AssetKind, MediaAsset, Team, Video
from reelbase.storage.base import BlobInfo

MAX_FILENAME = 255


def validate_filename(name: str | None) -> str | None:
    """A user-given file name, refused (not silently rewritten) when it is unsafe."""
    if name is None or name == "":
        return None
    if len(name) > MAX_FILENAME:
        raise InvalidInput(f"filename longer than {MAX_FILENAME} characters", field="filename")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InvalidInput("filename contains control characters or NUL", field="filename")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise InvalidInput("filename must not contain a path ('/', '\\' or '..')", field="filename")
    return name


@dataclass(frozen=True)
class UploadLimit:
    bytes: int
    name: str  # which limit binds: max_upload_bytes or quota_bytes

    def error(self) -> QuotaExceeded | PayloadTooLarge:
        if self.name == "quota_bytes":
            return QuotaExceeded(
                f"team storage quota reached: quota_bytes leaves {self.bytes} bytes",
                limit="quota_bytes",
                value=self.bytes,
            )
        return PayloadTooLarge(
            f"file larger than the upload limit: max_upload_bytes is {self.bytes}",
            limit="max_upload_bytes",
            value=self.bytes,
        )


def upload_limit(db: Session, principal: Principal, runtime: Runtime) -> UploadLimit:
    return team_upload_limit(db, principal.team, runtime)


def team_upload_limit(db: Session, team: Team, runtime: Runtime) -> UploadLimit:
    """The binding limit for one upload of ``team``: the per-upload size or what the quota leaves."""
    limits = team_limits(runtime.settings, team)
    per_upload = limits.max_upload_bytes
    left = max(0, limits.quota_bytes - team_stored_bytes(db, team.id))
    if left < per_upload:
        return UploadLimit(bytes=left, name="quota_bytes")
    return UploadLimit(bytes=per_upload, name="max_upload_bytes")


def commit_original(
    runtime: Runtime,
    *,
    video_id: int,
    key: str,
    info: BlobInfo,
    sha256: str,
    filename: str | None,
    content_type: str | None,
    within: Callable[[Session, Video], None] | None = None,
) -> Video:
    """Attach a completely stored object as the video's original and queue ingest (idempotent
    per key: completing the same upload twice records it once).

    ``within`` runs inside the same transaction, with the video row locked, before anything is
    attached: it may raise to refuse the commit, and what it changes commits atomically with it
    (the upload engine marks its session complete there)."""
    stale: list[str] = []
    with runtime.session() as db:
        video = db.get_one(Video, video_id, with_for_update=True)
        existing = db.scalars(
            select(MediaAsset).where(
                MediaAsset.video_id == video_id, MediaAsset.kind == AssetKind.original.value
            )
        ).all()
        for asset in existing:
            if asset.storage_key == key:
                return video
            stale.append(asset.storage_key)
            db.delete(asset)
        if within is not None:
            within(db, video)
        db.flush()
        db.add(
            MediaAsset(
                video_id=video_id,
                kind=AssetKind.original.value,
                label="original",
                storage_key=key,
                size_bytes=info.size,
                content_type=_media_type(content_type),
                sha256=sha256,
                etag=info.etag,
            )
        )
        video.original_filename = filename or video.original_filename
        video.size_bytes = info.size
        job = enqueue_job(db, IngestPayload(), video_id=video_id)
        move_video(db, video, Step.source_attached, public_url=runtime.settings.public_url)
        db.commit()
        job_id = job.id
    for old in stale:
        runtime.store.delete(old)
    runtime.dispatch(job_id)
    return video


def _media_type(content_type: str | None) -> str:
    if content_type and "/" in content_type and len(content_type) < 100:
        return content_type.split(";")[0].strip().lower()
    return "application/octet-stream"
