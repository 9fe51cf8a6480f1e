"""Request bodies that are the whole file (single upload) or one byte range of it (Content-Range),
both written through the upload engine.

Single upload: one session per request; any failure (limit, empty body, dropped connection)
discards the staged bytes and puts the video back as it was, so nothing half-written remains.

Content-Range (``bytes start-end/total``, end inclusive): the video's active ``content_range``
session takes the chunk. A chunk that starts past the stored offset is refused with the offset
(409); one that overlaps stored bytes is appended from the first new byte, so repeating a chunk
is harmless (idempotent); a total that differs from the first chunk's is refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from reelbase.core.context import Principal
from reelbase.core.errors import Conflict, InvalidInput
from reelbase.core.runtime import Runtime
from reelbase.core.uploads.sources import REUPLOADABLE, team_upload_limit, upload_limit, validate_filename
from reelbase.core.uploads.engine import (
    check_writable,
    complete_locked,
    create_upload,
    find_upload,
    reset_staging,
    set_length,
    write_locked,
)
from reelbase.core.uploads.status import Actor, UploadGrant, UploadState, UploadStatus, status_of
from reelbase.core.uploads.ending import abandon_upload
from reelbase.core.uploads.io import OffsetMismatch, staged_of
from reelbase.core.uploads.io import staged_size as read_staged_size
from reelbase.core.uploads.lock import client_lock, upload_lock
from reelbase.core.uploads.signed import claim_signed_upload
from reelbase.core.videos.catalog import find_video, set_ingest_mode
from reelbase.db.models import Team, UploadSession, Video
from reelbase.core.numbers import ascii_digits


def receive_source(
    runtime: Runtime,
    principal: Principal,
    video_ref: str,
    *,
    chunks: Iterable[bytes],
    filename: str | None,
    content_type: str | None,
    declared_length: int | None = None,
    ingest_mode: str | None = None,
) -> Video:
    """Store the source file of a video from one request body and queue its ingest. Runs in a
    worker thread. ``declared_length`` (the request's Content-Length) is refused up front when
    it is over the limit. ``ingest_mode`` (full or light, see ``videos.set_ingest_mode``) is
    chosen for this upload once the checks pass, before any byte is stored."""
    filename = validate_filename(filename)
    with runtime.session() as db:
        video = find_video(db, principal, video_ref)
        if ingest_mode is not None:
            set_ingest_mode(db, video, ingest_mode)
        if video.state not in REUPLOADABLE:
            raise Conflict(f"video {video.uuid} already has a source (state {video.state})")
        limit = upload_limit(db, principal, runtime)
        if declared_length is not None and declared_length > limit.bytes:
            raise limit.error()
        previous_state = video.state
        db.commit()  # the ingest mode the ingest job will read
    upload = create_upload(runtime, principal, video.uuid, protocol="single", filename=filename,
                           content_type=content_type)
    try:
        with upload_lock(runtime, upload.id):
            with runtime.session() as db:
                session_id = find_upload(db, principal, upload.id).id
            write_locked(runtime, session_id, offset=0, chunks=chunks, final=True)
            complete_locked(runtime, session_id, take_length=True)
    except BaseException as exc:
        abandon_upload(runtime, upload.id, getattr(exc, "message", None) or type(exc).__name__,
                       video_state=previous_state)
        raise
    with runtime.session() as db:
        return db.get_one(Video, upload.video_id)


def receive_signed_source(
    runtime: Runtime, grant: UploadGrant, *, chunks: Iterable[bytes], filename: str | None,
    content_type: str | None,
) -> UploadStatus:
    """The whole file in one request to a signed upload URL. A failed request leaves the URL
    usable: its bytes are dropped and the next request starts over."""
    claim_signed_upload(runtime, grant, protocol="single", filename=filename, content_type=content_type)
    with upload_lock(runtime, grant.upload_id):
        with runtime.session() as db:
            sess = find_upload(db, grant, grant.upload_id)
            if sess.state == UploadState.completed.value:
                return status_of(sess)
            check_writable(sess)
            session_id, staged = sess.id, staged_of(sess)
        if staged.state:
            reset_staging(runtime, session_id)
        try:
            write_locked(runtime, session_id, offset=0, chunks=chunks, final=True)
            complete_locked(runtime, session_id, take_length=True)
        except BaseException:
            reset_staging(runtime, session_id)
            raise
    with runtime.session() as db:
        return status_of(db.get_one(UploadSession, session_id))


def parse_content_range(value: str) -> tuple[int, int, int]:
    """``bytes start-end/total`` → (start, end inclusive, total). An end equal to the total is a
    known client quirk (an exclusive end) and is taken as total - 1."""
    unit, _, spec = value.strip().partition(" ")
    if unit.lower() != "bytes" or "/" not in spec or "-" not in spec:
        raise InvalidInput("Content-Range must look like 'bytes START-END/TOTAL'", field="Content-Range")
    span, _, total_s = spec.strip().partition("/")
    start_s, _, end_s = span.partition("-")
    if not (ascii_digits(start_s) and ascii_digits(end_s) and ascii_digits(total_s)):
        raise InvalidInput("Content-Range numbers must be non-negative integers (and the total known)",
                           field="Content-Range")
    if max(len(start_s), len(end_s), len(total_s)) > 18:
        raise InvalidInput("Content-Range numbers are too large", field="Content-Range")
    start, end, total = int(start_s), int(end_s), int(total_s)
    if end == total and total > 0:
        end = total - 1
    if total < 1 or start > end or end >= total:
        raise InvalidInput(f"Content-Range {value!r} is not a range inside the file", field="Content-Range")
    return start, end, total


def receive_range(
    runtime: Runtime,
    actor: Actor,
    *,
    video_ref: str | None,
    start: int,
    end: int,
    total: int,
    chunks: Iterable[bytes],
    filename: str | None = None,
    content_type: str | None = None,
) -> UploadStatus:
    """Write one Content-Range chunk to the video's upload (created by the chunk at byte 0)."""
    upload_id = _range_session(runtime, actor, video_ref=video_ref, start=start, total=total,
                               filename=filename, content_type=content_type)
    with upload_lock(runtime, upload_id):
        with runtime.session() as db:
            sess = find_upload(db, actor, upload_id)
            if sess.state == UploadState.completed.value:
                return status_of(sess)
            check_writable(sess)
            staged = staged_of(sess)
        current = read_staged_size(runtime, staged)
        if start > current:
            raise OffsetMismatch(f"this chunk starts at byte {start} but the upload has {current} bytes; "
                                 f"send the chunk that starts at {current}", offset=current)
        if end < current:  # every byte of it is stored already: a repeated chunk
            with runtime.session() as db:
                return status_of(db.get_one(UploadSession, sess.id), offset=current)
        expected = end - start + 1
        status = write_locked(runtime, sess.id, offset=current, chunks=_exactly(chunks, expected),
                              content_length=end + 1 - current, skip=current - start)
        if status.offset != end + 1 and not status.complete:
            raise InvalidInput(f"the body ended after {status.offset - start} of the {expected} bytes "
                               "its Content-Range announces", field="Content-Range")
        return status


def _range_session(
    runtime: Runtime, actor: Actor, *, video_ref: str | None, start: int, total: int,
    filename: str | None, content_type: str | None,
) -> str:
    """The upload a Content-Range chunk belongs to (serialized: two first chunks racing must
    not open two uploads)."""
    if isinstance(actor, UploadGrant):
        with runtime.session() as db:
            sess = find_upload(db, actor, actor.upload_id)
            check_writable(sess)
            _check_total(sess, total)
            if sess.length is None:
                set_length(sess, total, team_upload_limit(db, db.get_one(Team, sess.team_id), runtime))
                sess.protocol = "content_range"
                db.commit()
            return sess.public_id
    assert video_ref is not None
    with client_lock(runtime, "cr", actor.team_id, video_ref):
        with runtime.session() as db:
            video = find_video(db, actor, video_ref)
            sess = db.scalar(select(UploadSession).where(
                UploadSession.video_id == video.id, UploadSession.protocol == "content_range",
                UploadSession.state.in_((UploadState.active.value, UploadState.completed.value)),
            ).order_by(UploadSession.id.desc()))  # a completed one answers repeated chunks
            fresh_start = sess is not None and sess.state == UploadState.completed.value and (
                video.state in REUPLOADABLE)  # e.g. ingest failed: a new upload may begin
            if sess is not None and not fresh_start:
                _check_total(sess, total)
                return sess.public_id
            video_uuid = video.uuid
        if start != 0:
            raise OffsetMismatch("no upload of this video is in progress; start with the chunk at byte 0",
                                 offset=0)
        return create_upload(runtime, actor, video_uuid, protocol="content_range", length=total,
                             filename=filename, content_type=content_type).id


def _check_total(sess: UploadSession, total: int) -> None:
    if sess.length is not None and sess.length != total:
        raise InvalidInput(f"the Content-Range total changed from {sess.length} to {total} between chunks",
                           field="Content-Range")


def _exactly(chunks: Iterable[bytes], size: int) -> Iterable[bytes]:
    """Refuse a body longer than its Content-Range says (before storing the excess)."""
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        if seen > size:
            raise InvalidInput(f"the body is longer than the {size} bytes its Content-Range announces",
                               field="Content-Range")
        yield chunk
