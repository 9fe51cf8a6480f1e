"""Receiving a video's source file: streamed to storage in constant memory, hashed on the way,
limited while streaming, committed to the video only once complete.

The bytes go to a fresh key per attempt (``videos/<uuid>/original/<nonce>``) so a failed or racing
upload can never leave a half object where a download would find it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.context import Principal
from reelbase.core.errors import Conflict, InvalidInput, PayloadTooLarge, QuotaExceeded
from reelbase.core.jobs import enqueue_job
from reelbase.core.runtime import Runtime
from reelbase.core.videos import find_video, team_stored_bytes, video_prefix
from reelbase.db.models import AssetKind, MediaAsset, Video, VideoState
from reelbase.storage.base import BlobInfo

MAX_FILENAME = 255
REUPLOADABLE = {VideoState.created.value, VideoState.uploading.value, VideoState.failed.value}


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
    settings = runtime.settings
    per_upload = principal.team.max_upload_bytes or settings.max_upload_bytes
    quota = principal.team.quota_bytes or settings.default_quota_bytes
    left = max(0, quota - team_stored_bytes(db, principal.team_id))
    if left < per_upload:
        return UploadLimit(bytes=left, name="quota_bytes")
    return UploadLimit(bytes=per_upload, name="max_upload_bytes")


class _Meter:
    """Counts and hashes chunks as they pass; raises the limit's error once it is exceeded."""

    def __init__(self, chunks: Iterable[bytes], limit: UploadLimit) -> None:
        self._chunks = chunks
        self._limit = limit
        self.size = 0
        self.sha256 = hashlib.sha256()

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            if not chunk:
                continue
            self.size += len(chunk)
            if self.size > self._limit.bytes:
                raise self._limit.error()
            self.sha256.update(chunk)
            yield chunk


def receive_source(
    runtime: Runtime,
    principal: Principal,
    video_ref: str,
    *,
    chunks: Iterable[bytes],
    filename: str | None,
    content_type: str | None,
    declared_length: int | None = None,
) -> Video:
    """Store the source file of a video and queue its ingest. Runs in a worker thread."""
    filename = validate_filename(filename)
    with runtime.session() as db:
        video = find_video(db, principal, video_ref)
        if video.state not in REUPLOADABLE:
            raise Conflict(f"video {video.uuid} already has a source (state {video.state})")
        limit = upload_limit(db, principal, runtime)
        if declared_length is not None and declared_length > limit.bytes:
            raise limit.error()
        previous_state = video.state
        video.state = VideoState.uploading.value
        video_id, prefix = video.id, video_prefix(video)
        db.commit()

    key = f"{prefix}original/{secrets.token_hex(8)}"
    meter = _Meter(chunks, limit)
    try:
        info = runtime.store.put_stream(key, meter, content_type=content_type)
    except BaseException:
        with runtime.session() as db:
            video = db.get(Video, video_id)
            if video is not None and video.state == VideoState.uploading.value:
                video.state = previous_state
                db.commit()
        raise
    if meter.size == 0:
        runtime.store.delete(key)
        with runtime.session() as db:
            video = db.get_one(Video, video_id)
            video.state = previous_state
            db.commit()
        raise InvalidInput("the uploaded file is empty", field="file")
    return commit_original(
        runtime,
        video_id=video_id,
        key=key,
        info=info,
        sha256=meter.sha256.hexdigest(),
        filename=filename,
        content_type=content_type,
    )


def commit_original(
    runtime: Runtime,
    *,
    video_id: int,
    key: str,
    info: BlobInfo,
    sha256: str,
    filename: str | None,
    content_type: str | None,
) -> Video:
    """Attach a completely stored object as the video's original and queue ingest (idempotent
    per key: completing the same upload twice records it once)."""
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
        video.state = VideoState.uploaded.value
        video.state_message = None
        video.progress = 0
        job = enqueue_job(db, kind="ingest", video_id=video_id)
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
