"""The upload engine: every way a file comes in (single request, tus, ResumableJS chunks,
Content-Range chunks, by URL, signed URLs) is an upload session written through here.

Contract:

* An upload session (``db.models.UploadSession``) belongs to one video and one team. Its bytes go
  straight to storage as they arrive (``storage/resumable.py``: a part file appended to, or S3
  multipart parts), never whole into memory; the offset is read back from storage, so a crash of
  the server (kill -9) never loses an acknowledged byte nor leaves the offset wrong.
* Writes to one session are serialized by a lock that spans processes (``lock.py``). The
  write that brings the session to its length publishes the object at a fresh key, checks its
  size, hashes it (SHA-256) and attaches it with :func:`~reelbase.core.uploads.sources.commit_original`
  in the same transaction that marks the session complete, which queues ingest. Completion is
  idempotent, and a status query on a full but unfinished session finishes it (a crash between
  the last byte and the commit heals on the client's next HEAD).
* Sessions not written to for :data:`UPLOAD_TTL` expire; ``ending.expire_upload_sessions``
  (run periodically) removes their bytes. Unknown ids are NotFound (404), expired or terminated ones
  :class:`UploadGone` (410).
* Callers are a :class:`~reelbase.core.context.Principal` (API key; the session must be its
  team's) or an :class:`UploadGrant` (a verified signed URL naming exactly one session).

The modules beside this one in ``core/uploads/``: the types in ``status.py``, the byte path in
``io.py``, the lock in ``lock.py``; numbered chunks (ResumableJS) in ``chunks.py``, whole bodies
and Content-Range in ``single.py``, fetching by URL in ``by_url.py``, signed URLs in
``signed.py``, termination and expiry in ``ending.py``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from reelbase.core.context import Principal
from reelbase.core.errors import Conflict, DomainError, InvalidInput, NotFound, PayloadTooLarge
from reelbase.core.runtime import Runtime
from reelbase.core.uploads.sources import REUPLOADABLE, UploadLimit, commit_original, team_upload_limit, validate_filename
from reelbase.core.uploads.io import (
    Checksum,
    OffsetMismatch,
    append_stream,
    discard_staging,
    publish,
    staged_of,
    storage_errors,
    writes_for,
)
from reelbase.core.uploads.io import staged_size as read_staged_size
from reelbase.core.uploads.lock import UploadLocked, upload_lock
from reelbase.core.uploads.status import Actor, UploadGone, UploadGrant, UploadState, UploadStatus, status_of
from reelbase.core.videos.state import Step, move_video, release_upload
from reelbase.core.videos.catalog import add_video, find_video, video_prefix
from reelbase.db.models import Team, UploadSession, Video, VideoState, utcnow
from reelbase.storage.base import BlobInfo
from reelbase.storage.resumable import Staged

log = logging.getLogger(__name__)

UPLOAD_TTL = dt.timedelta(hours=24)
ROW_SAVE_EVERY = dt.timedelta(seconds=5)
PUBLIC_ID = re.compile(r"^[0-9a-f]{32}$")
MAX_METADATA_BYTES = 16 * 1024


# -- creating and finding ---------------------------------------------------------------------


def create_upload(
    runtime: Runtime,
    principal: Principal,
    video_ref: str | None,
    *,
    protocol: str,
    length: int | None = None,
    filename: str | None = None,
    content_type: str | None = None,
    metadata: dict[str, Any] | None = None,
    title: str | None = None,
    project: str | None = None,
    mode: str = "stream",
    source_url: str | None = None,
    signed: bool = False,
    expires_at: dt.datetime | None = None,
    video_options: dict[str, Any] | None = None,
) -> UploadStatus:
    """A new upload session for the video ``video_ref`` (or for a new video titled ``title`` in
    ``project``, with ``video_options``, when None: video and session are committed together).
    ``length`` None defers the length (tus creation-defer-length)."""
    filename = validate_filename(filename)
    if length is not None and length < 1:
        raise InvalidInput("the upload is empty: its length must be at least 1 byte", field="length")
    if metadata and len(repr(metadata)) > MAX_METADATA_BYTES:
        raise InvalidInput("upload metadata is too large", field="metadata")
    with runtime.session() as db:
        limit = team_upload_limit(db, principal.team, runtime)
        if length is not None and length > limit.bytes:
            raise limit.error()
        if video_ref:
            video = find_video(db, principal, video_ref)
            if video.state not in REUPLOADABLE:
                raise Conflict(f"video {video.uuid} already has a source (state {video.state})")
        else:
            video = add_video(
                db, principal, settings=runtime.settings,
                title=title or filename or "", project_ref=project, original_filename=filename,
                options=video_options,
            )
        move_video(db, video, Step.upload_started)
        sess = UploadSession(
            public_id=secrets.token_hex(16), video_id=video.id, team_id=principal.team_id,
            user_id=principal.acting_user_id, protocol=protocol, mode=mode,
            state=UploadState.active.value, length=length, offset=0, filename=filename,
            content_type=_media_type(content_type), upload_metadata=dict(metadata or {}),
            storage_key=f"{video_prefix(video)}original/{secrets.token_hex(8)}", staging={},
            source_url=source_url, signed=signed, expires_at=expires_at or utcnow() + UPLOAD_TTL,
        )
        db.add(sess)
        db.commit()
        return status_of(sess)


def find_upload(db: Session, actor: Actor, upload_id: str, *, for_update: bool = False) -> UploadSession:
    """The session ``upload_id`` if ``actor`` may use it; NotFound otherwise (never revealing
    another team's upload)."""
    query = select(UploadSession).where(UploadSession.public_id == str(upload_id)[:64])
    sess = db.scalar(query.with_for_update() if for_update else query)
    if sess is None:
        raise NotFound(f"no upload {upload_id}")
    if isinstance(actor, UploadGrant):
        if sess.public_id != actor.upload_id:
            raise NotFound(f"no upload {upload_id}")
    elif sess.team_id != actor.team_id:
        raise NotFound(f"no upload {upload_id}")
    return sess


def get_upload(runtime: Runtime, actor: Actor, upload_id: str) -> UploadStatus:
    """The session as recorded (any state; no storage access): for progress polling."""
    with runtime.session() as db:
        return status_of(find_upload(db, actor, upload_id))


def check_writable(sess: UploadSession, now: dt.datetime | None = None) -> None:
    """Raise UploadGone unless the session can still take bytes (completed ones are let through:
    each caller answers those idempotently)."""
    if sess.state == UploadState.active.value and sess.expires_at <= (now or utcnow()):
        raise UploadGone(f"upload {sess.public_id} expired at {sess.expires_at.isoformat()}")
    if sess.state in (UploadState.expired.value, UploadState.terminated.value):
        raise UploadGone(f"upload {sess.public_id} was {sess.state}; start a new one")
    if sess.state == UploadState.failed.value:
        raise UploadGone(f"upload {sess.public_id} failed ({sess.error}); start a new one")


# -- writing ----------------------------------------------------------------------------------


def upload_status(runtime: Runtime, actor: Actor, upload_id: str) -> UploadStatus:
    """The session with its offset read from storage (tus HEAD). A stream session whose bytes are
    all in but which is not committed yet (the server died in between) is completed here."""
    with runtime.session() as db:
        sess = find_upload(db, actor, upload_id)
        check_writable(sess)
        if sess.state != UploadState.active.value or sess.mode != "stream":
            return status_of(sess)
        staged = staged_of(sess)
    size = read_staged_size(runtime, staged)
    if sess.length is None or size != sess.length:
        return status_of(sess, offset=size)
    try:
        with upload_lock(runtime, sess.public_id, wait=2.0):
            complete_locked(runtime, sess.id)
    except UploadLocked:
        pass  # a writer holds it and will complete it itself
    with runtime.session() as db:
        return status_of(db.get_one(UploadSession, sess.id), offset=size)


def write_chunk(
    runtime: Runtime,
    actor: Actor,
    upload_id: str,
    *,
    offset: int,
    chunks: Iterable[bytes],
    length: int | None = None,
    checksum: Checksum | None = None,
    content_length: int | None = None,
) -> UploadStatus:
    """Append ``chunks`` at ``offset`` (tus PATCH). ``offset`` must be the stored size (else
    OffsetMismatch, 409, carrying the right one); ``length`` sets a deferred length;
    ``checksum`` is verified before the chunk joins the upload (460 and discarded if wrong).
    The chunk that completes the upload commits it to its video before this returns."""
    if offset < 0:
        raise InvalidInput("the offset must not be negative", field="offset")
    if not PUBLIC_ID.match(str(upload_id)):
        raise NotFound(f"no upload {str(upload_id)[:64]}")
    # Lock first, then find and authorize once, inside the lock (one read of the row per chunk).
    with upload_lock(runtime, upload_id):
        return write_locked(runtime, upload_id, actor=actor, offset=offset, chunks=chunks, length=length,
                            checksum=checksum, content_length=content_length)


def write_locked(
    runtime: Runtime, session_ref: int | str, *, offset: int, chunks: Iterable[bytes], actor: Actor | None = None,
    length: int | None = None,
    checksum: Checksum | None = None, content_length: int | None = None, final: bool = False,
    skip: int = 0, on_progress: Callable[[int], None] | None = None,
) -> UploadStatus:
    """The body of :func:`write_chunk`, for callers that hold the lock already: ``session_ref``
    is the row id, or with ``actor`` the public id (found and authorized here). ``skip`` drops
    that many leading bytes of ``chunks`` (a Content-Range chunk overlapping stored bytes)."""
    with runtime.session() as db:
        if actor is not None:
            sess = find_upload(db, actor, str(session_ref))
            check_writable(sess)
            if sess.mode != "stream":
                raise Conflict(f"upload {sess.public_id} takes numbered chunks, not a byte stream")
        else:
            sess = db.get_one(UploadSession, session_ref)  # read under the lock: current
        session_id = sess.id
        if sess.state == UploadState.completed.value:
            if offset == sess.length and not content_length:
                return status_of(sess)
            raise OffsetMismatch(f"upload {sess.public_id} is already complete", offset=sess.length or 0)
        check_writable(sess)
        limit: UploadLimit | None = None
        if sess.length is None or length is not None:
            # An open-ended upload is bounded by the team's limit as it stands now; a fixed length
            # was checked against it when it was set.
            limit = team_upload_limit(db, db.get_one(Team, sess.team_id), runtime)
            if length is not None:
                set_length(sess, length, limit)
        staged = begin_staging(runtime, db, sess)
        before = status_of(sess)
        if db.dirty:
            db.commit()
        last_saved = sess.updated_at
    current = read_staged_size(runtime, staged)
    if offset != current:
        raise OffsetMismatch(f"the upload is at offset {current}, not {offset}", offset=current)
    total = sess.length
    max_end = total if total is not None and (limit is None or total <= limit.bytes) else limit.bytes  # type: ignore[union-attr]

    def too_big() -> DomainError:
        if total is not None and max_end == total:
            return PayloadTooLarge(f"the chunk goes past the upload's length of {total} bytes")
        assert limit is not None
        return limit.error()

    if content_length is not None and offset + content_length > max_end:
        raise too_big()
    if total is not None and content_length is not None and offset + content_length == total:
        final = True
    body = _skipping(chunks, skip) if skip else chunks
    size = append_stream(runtime, staged, offset=offset, chunks=body, max_end=max_end, too_big=too_big,
                         final=final, checksum=checksum, on_progress=on_progress)
    now = utcnow()
    values: dict[str, Any] = {"offset": size, "staging": staged.state}
    if not sess.signed:  # a signed URL's session lives exactly as long as the URL
        values["expires_at"] = now + UPLOAD_TTL
    # The row's offset is only a hint for progress (storage has the truth) and the expiry slides
    # by a day: saving them every few seconds is enough, and spares a commit per chunk.
    if staged.state != sess.staging or now - last_saved.astimezone(dt.UTC) >= ROW_SAVE_EVERY:
        with runtime.session() as db:
            db.execute(update(UploadSession).where(UploadSession.id == session_id).values(**values))
            db.commit()
    if total is not None and size == total:
        complete_locked(runtime, session_id)
        with runtime.session() as db:
            return status_of(db.get_one(UploadSession, session_id))
    return replace(before, offset=size, expires_at=values.get("expires_at", before.expires_at))


def finish_upload(runtime: Runtime, actor: Actor, upload_id: str) -> UploadStatus:
    """End a deferred-length upload at the bytes stored so far and commit it (single uploads and
    URL imports, whose end is the end of a stream)."""
    with runtime.session() as db:
        sess = find_upload(db, actor, upload_id)
        check_writable(sess)
    with upload_lock(runtime, sess.public_id):
        complete_locked(runtime, sess.id, take_length=True)
    with runtime.session() as db:
        return status_of(db.get_one(UploadSession, sess.id))


def set_length(sess: UploadSession, length: int, limit: UploadLimit) -> None:
    if sess.length is not None:
        if sess.length != length:
            raise InvalidInput(f"the upload's length is {sess.length} already, it cannot change to {length}",
                               field="length")
        return
    if length < max(1, sess.offset):
        raise InvalidInput(f"length {length} is less than the {sess.offset} bytes received", field="length")
    if length > limit.bytes:
        raise limit.error()
    sess.length = length


def begin_staging(runtime: Runtime, db: Session, sess: UploadSession) -> Staged:
    """The session's staging area, begun (and its backend state saved) before the first byte, so
    bytes are never written to a staging area the database does not know about."""
    staged = staged_of(sess)
    if not staged.state:
        with storage_errors("starting the upload"):
            writes_for(runtime).begin(staged)
        sess.staging = dict(staged.state)
    return staged


def unfinished_session(runtime: Runtime, session_id: int) -> tuple[UploadSession, Staged] | None:
    """The session and its staging, read in a short transaction of their own, for a step that
    finishes it; None when it is completed already (finishing is idempotent). A session that can
    take no more bytes raises :class:`UploadGone`."""
    with runtime.session() as db:
        sess = db.get_one(UploadSession, session_id)
        if sess.state == UploadState.completed.value:
            return None
        check_writable(sess)
        return sess, staged_of(sess)


def complete_locked(runtime: Runtime, session_id: int, *, take_length: bool = False) -> None:
    """Publish, verify and commit a full session (idempotent; caller holds the lock)."""
    if (found := unfinished_session(runtime, session_id)) is None:
        return
    sess, staged = found
    size = read_staged_size(runtime, staged)
    length = size if take_length and sess.length is None else sess.length
    if length != size:
        raise Conflict(f"upload {sess.public_id} has {size} of {length} bytes; it is not complete")
    if size == 0:
        raise InvalidInput("the uploaded file is empty", field="file")
    size, etag, sha256 = publish(runtime, staged)
    if size != length:  # the published object must be exactly what was acknowledged
        raise Conflict(f"upload {sess.public_id} published {size} bytes instead of {length}")

    def within(db: Session, video: Video) -> None:
        row = db.get_one(UploadSession, session_id)
        if video.state not in REUPLOADABLE:
            raise Conflict(f"video {video.uuid} got its source from another upload meanwhile")
        row.state = UploadState.completed.value
        row.length = row.offset = size
        row.progress = 100
        row.staging = staged.state
        row.completed_at = utcnow()

    try:
        commit_original(
            runtime, video_id=sess.video_id, key=sess.storage_key,
            info=BlobInfo(key=sess.storage_key, size=size, etag=etag), sha256=sha256,
            filename=sess.filename, content_type=sess.content_type, within=within,
        )
    except Conflict as exc:
        runtime.store.delete(sess.storage_key)
        mark_failed(runtime, session_id, exc.message)
        raise
    discard_staging(runtime, staged, keep_object=True)  # helpers only: the object is the video's now


# -- failing and resetting -------------------------------------------------------------------


def reset_staging(runtime: Runtime, session_id: int) -> None:
    """Drop a session's stored bytes and start it over at offset 0 (caller holds the lock): for
    protocols whose retry resends the whole file (a single request, a fetch by URL)."""
    with runtime.session() as db:
        staged = staged_of(db.get_one(UploadSession, session_id))
    discard_staging(runtime, staged)
    with runtime.session() as db:
        sess = db.get_one(UploadSession, session_id)
        sess.staging, sess.offset, sess.progress = {}, 0, 0
        db.commit()


def mark_failed(
    runtime: Runtime, session_id: int, message: str, *, video_state: str | None = None, code: str | None = None
) -> None:
    """Record a failed session and let its video take another upload (``video_state`` failed
    also shows the message on the video)."""
    with runtime.session() as db:
        sess = db.get_one(UploadSession, session_id)
        if sess.state != UploadState.active.value:
            return
        sess.state = UploadState.failed.value
        sess.error = message[:2000]
        if code:
            sess.upload_metadata = {**(sess.upload_metadata or {}), "error_code": code}
        release_video(db, sess, state=video_state, message=message[:2000])
        db.commit()


def release_video(db: Session, sess: UploadSession, *, state: str | None = None, message: str | None = None) -> None:
    """Put a video left ``uploading`` by this session back (to ``state``, default ``created``)
    unless another upload for it is still active."""
    video = db.get(Video, sess.video_id)
    if video is None or video.state != VideoState.uploading.value:
        return
    others = db.scalar(
        select(func.count()).select_from(UploadSession).where(
            UploadSession.video_id == sess.video_id, UploadSession.id != sess.id,
            UploadSession.state == UploadState.active.value,
        )
    )
    if not others:
        release_upload(db, video, back_to=state, message=message)


def _skipping(chunks: Iterable[bytes], skip: int) -> Iterable[bytes]:
    for chunk in chunks:
        if skip >= len(chunk):
            skip -= len(chunk)
            continue
        yield chunk[skip:] if skip else chunk
        skip = 0


def _media_type(content_type: str | None) -> str | None:
    if content_type and "/" in content_type and len(content_type) < 100:
        return content_type.split(";")[0].strip().lower()
    return None
