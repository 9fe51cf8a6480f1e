"""How uploads end without completing: terminated by their client, abandoned by a request that
was the whole upload, or expired (the periodic :func:`expire_upload_sessions`).

Each frees the staged bytes (and helper objects) and gives the video back its state unless another
upload of it is still active; a completed upload's object belongs to its video and is never
touched here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from reelbase.core.runtime import Runtime
from reelbase.core.uploads.engine import (
    Actor,
    UploadState,
    check_writable,
    find_upload,
    mark_failed,
    release_video,
)
from reelbase.core.uploads.io import discard_staging, staged_of
from reelbase.core.uploads.lock import UploadLocked, remove_lock_file, upload_lock
from reelbase.db.models import UploadSession, utcnow

FINISHED_RETENTION = dt.timedelta(days=7)


def terminate_upload(runtime: Runtime, actor: Actor, upload_id: str) -> None:
    """Stop an upload and free its bytes (tus termination). A completed upload's object belongs
    to its video by then and stays; only the session ends."""
    with runtime.session() as db:
        sess = find_upload(db, actor, upload_id)
        check_writable(sess)
    with upload_lock(runtime, sess.public_id, wait=5.0):
        with runtime.session() as db:
            sess = db.get_one(UploadSession, sess.id)
            check_writable(sess)
            done = sess.state == UploadState.completed.value
            staged = staged_of(sess)
        if not done:
            discard_staging(runtime, staged)
        with runtime.session() as db:
            sess = db.get_one(UploadSession, sess.id)
            sess.state = UploadState.terminated.value
            if not done:
                release_video(db, sess)
            db.commit()


def abandon_upload(runtime: Runtime, upload_id: str, message: str, *, video_state: str | None = None) -> None:
    """A request that was the whole upload died: drop its bytes, record why, and give the video
    back its state (``video_state``) unless another upload of it is active."""
    with runtime.session() as db:
        sess = db.scalar(select(UploadSession).where(UploadSession.public_id == upload_id))
        if sess is None or sess.state != UploadState.active.value:
            return
        staged = staged_of(sess)
    discard_staging(runtime, staged)
    mark_failed(runtime, sess.id, message, video_state=video_state)


def expire_upload_sessions(runtime: Runtime, *, now: dt.datetime | None = None) -> int:
    """Remove the bytes of active sessions past their expiry and mark them expired; forget
    finished sessions after :data:`FINISHED_RETENTION`. Returns how many sessions expired.
    Safe to run in several processes at once (each session is handled under its lock; a
    session being written to right now is left for the next run)."""
    now = now or utcnow()
    with runtime.session() as db:
        due = list(db.scalars(select(UploadSession.public_id).where(
            UploadSession.state == UploadState.active.value, UploadSession.expires_at < now)))
    expired = 0
    for public_id in due:
        try:
            with upload_lock(runtime, public_id, wait=0):
                with runtime.session() as db:
                    sess = db.scalar(select(UploadSession).where(UploadSession.public_id == public_id))
                    if sess is None or sess.state != UploadState.active.value or sess.expires_at >= now:
                        continue
                    staged = staged_of(sess)
                discard_staging(runtime, staged)  # first: a crash here leaves it due for the next run
                with runtime.session() as db:
                    sess = db.get_one(UploadSession, sess.id)
                    sess.state = UploadState.expired.value
                    release_video(db, sess)
                    db.commit()
                expired += 1
        except UploadLocked:
            continue
    with runtime.session() as db:
        old = select(UploadSession.public_id).where(
            UploadSession.state != UploadState.active.value, UploadSession.updated_at < now - FINISHED_RETENTION)
        gone = list(db.scalars(old))
        if gone:
            db.execute(delete(UploadSession).where(UploadSession.public_id.in_(gone)))
            db.commit()
    for public_id in gone:
        remove_lock_file(runtime, public_id)
    return expired
