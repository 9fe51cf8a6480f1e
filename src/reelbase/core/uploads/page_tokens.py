"""One-time upload tokens: an API-key holder asks for a token that lets a browser (an uploader
or recorder page) upload exactly one video, with the video's settings chosen in advance.

A token is the public id of a signed upload session created with it (128 random bits, so it
cannot be guessed), for a new video that already carries the chosen title, folder, visibility
and completion callback. The token's own options (what kind of page it serves, anything the
surface wants echoed back) live in the session's ``upload_metadata["token"]``; nothing new is
stored anywhere else.

:func:`verify_upload_token` refuses an unknown token (401), an expired one (403,
``upload_url_expired``) and a used one (403, ``upload_url_used``): once a file was uploaded with
a token, the token is spent. A recorder that records several videos continues with
:func:`next_upload_token`: a fresh token of the same series, whose callback reports the
series' first token (the one the client asked for).

An uploader page takes several files with one token: :func:`reserve_upload_slot` gives the
first file the token's own upload and each further one a sibling token of the same series
(:func:`sibling_upload_token`, listed on the page's token). Such a page stays usable while any
upload of its series is unfinished (:func:`verify_series_token`), so a reload mid-upload
resumes; it is spent once they are all done.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.auth.accounts import authenticate_public_id, principal_for_user
from reelbase.core.context import Principal
from reelbase.core.errors import Forbidden, InvalidInput, Unauthenticated
from reelbase.core.videos.projects import add_project
from reelbase.core.runtime import Runtime
from reelbase.core.uploads.engine import UploadGrant, UploadState
from reelbase.core.uploads.lock import upload_lock
from reelbase.core.uploads.signed import UploadUrlExpired, UploadUrlUsed, create_signed_upload, sign_upload
from reelbase.core.uploads.single import receive_signed_source
from reelbase.core.webhooks import add_video_callback
from reelbase.db.models import Project, UploadSession, User, Video

DEFAULT_TOKEN_LIFETIME = 24 * 3600
TOKEN_KINDS = ("upload", "record")


@dataclass(frozen=True)
class UploadToken:
    token: str
    kind: str
    expires: int  # unix seconds, UTC
    video_uuid: str
    video_token: str
    options: dict[str, Any]
    used: bool = False


@dataclass(frozen=True)
class Callback:
    """Where to report the finished video, and how the surface's formatter shapes the report."""

    url: str
    format: str
    extras: dict[str, Any]
    events: tuple[str, ...] = ("video.ready",)  # the video's webhook events the callback reports


def folder_by_name(db: Session, principal: Principal, name: str) -> Project:
    """The team's folder (project) called ``name``, created when it does not exist yet."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("folder name is empty", field="collection")
    found = db.scalar(select(Project).where(Project.team_id == principal.team_id, Project.name == name)
                      .order_by(Project.id))
    return found or add_project(db, principal, name=name)


def create_upload_token(
    runtime: Runtime,
    principal: Principal,
    *,
    kind: str,
    title: str | None = None,
    public: bool | None = None,
    folder: str | None = None,
    callback: Callback | None = None,
    options: dict[str, Any] | None = None,
    lifetime: int = DEFAULT_TOKEN_LIFETIME,
    origin: str | None = None,
) -> UploadToken:
    """A new one-time token for uploading one video. ``public`` None keeps the team's default;
    ``folder`` names a folder (created if missing); ``callback`` is called at its ``events`` (by
    default once the video is ready; its ``extras`` get the token added under ``"token"``)."""
    if kind not in TOKEN_KINDS:
        raise InvalidInput(f"token kind must be one of {', '.join(TOKEN_KINDS)}", field="kind")
    project_uuid = None
    if folder not in (None, ""):
        with runtime.session() as db:
            project_uuid = folder_by_name(db, principal, str(folder)).uuid
            db.commit()
    signed = create_signed_upload(runtime, principal, None, expires_in=lifetime, title=title or "",
                                  project=project_uuid)
    with runtime.session() as db:
        sess = db.scalar(select(UploadSession).where(UploadSession.public_id == signed.token))
        assert sess is not None
        video = db.get_one(Video, sess.video_id)
        if title is not None:
            video.title = title[:500]
        if public is not None:
            video.public = bool(public)
        if callback is not None:
            add_video_callback(video, url=callback.url, format=callback.format, events=list(callback.events),
                               extras={**callback.extras, "token": origin or signed.token})
        record = {"origin": origin or signed.token, "kind": kind, "expires": signed.expires_at,
                  "options": dict(options or {}), "title": title,
                  "key": principal.api_key.public_id if principal.api_key else None,
                  # a token made by a signed-in person (no key) continues its series as that person
                  "user": None if principal.api_key else principal.user.id, "team": principal.team_id}
        sess.upload_metadata = {**(sess.upload_metadata or {}), "token": record}
        db.commit()
        return UploadToken(token=signed.token, kind=kind, expires=signed.expires_at, video_uuid=video.uuid,
                           video_token=video.token, options=record["options"])


def read_upload_token(runtime: Runtime, token: str) -> UploadToken:
    """What a token admits, without checking that it is still usable (for showing pages)."""
    if not token or len(token) > 64:
        raise Unauthenticated("unknown upload token")
    with runtime.session() as db:
        sess = db.scalar(select(UploadSession).where(UploadSession.public_id == token.strip().lower()))
        record = (sess.upload_metadata or {}).get("token") if sess is not None else None
        if sess is None or not sess.signed or not isinstance(record, dict):
            raise Unauthenticated("unknown upload token")
        video = db.get_one(Video, sess.video_id)
        return UploadToken(token=sess.public_id, kind=record["kind"], expires=int(record["expires"]),
                           video_uuid=video.uuid, video_token=video.token, options=dict(record["options"]),
                           used=sess.state == UploadState.completed.value)


def verify_upload_token(runtime: Runtime, token: str, *, now: float | None = None) -> UploadToken:
    """The token, if it may still upload: not expired and not used."""
    found = read_upload_token(runtime, token)
    if found.used:
        raise UploadUrlUsed("this token was already used to upload a video; ask for a new one")
    if found.expires <= (time.time() if now is None else now):
        raise UploadUrlExpired("this token has expired; ask for a new one")
    return found


def upload_with_token(
    runtime: Runtime, token: str, *, chunks: Any, filename: str | None, content_type: str | None,
    title: str | None = None,
) -> UploadToken:
    """Receive the one file a token admits (the whole file in one request) and queue its
    processing; the token is spent once the file is stored. An untitled video is named by
    ``title``, else after its file."""
    found = verify_upload_token(runtime, token)
    receive_signed_source(runtime, UploadGrant(upload_id=found.token), chunks=chunks, filename=filename,
                          content_type=content_type)
    with runtime.session() as db:
        video = db.scalar(select(Video).where(Video.uuid == found.video_uuid))
        if video is not None and not video.title:
            video.title = (title or "").strip()[:500] or (filename or "").rsplit(".", 1)[0][:500]
            if filename and not video.original_filename:
                video.original_filename = filename[:255]
            db.commit()
    return read_upload_token(runtime, found.token)


def _maker_of(db: Session, record: dict[str, Any]) -> Principal:
    """Who made a token (its API key, or the signed-in person), still allowed to make more."""
    if record.get("key"):
        return authenticate_public_id(db, record["key"])
    user = db.get(User, record["user"]) if record.get("user") else None
    if user is None:
        raise Unauthenticated("the account that made this token is gone")
    return principal_for_user(db, user, record.get("team"))


def next_upload_token(runtime: Runtime, token: str) -> UploadToken:
    """After a token was used, a fresh one for the next video of the same series (a recorder
    that records several videos): same settings, callback and options, the same expiry, and the
    series' first token reported to the callback. Made with the key (or by the person) that made
    the first token, which must still be valid."""
    used = read_upload_token(runtime, token)
    with runtime.session() as db:
        sess = db.scalar(select(UploadSession).where(UploadSession.public_id == used.token))
        assert sess is not None
        record = dict(sess.upload_metadata["token"])
        principal = _maker_of(db, record)
        video = db.get_one(Video, sess.video_id)
        folder = db.get(Project, video.project_id) if video.project_id else None
        callbacks = [c for c in (video.options or {}).get("callbacks", []) if isinstance(c, dict)]
        title, public = record.get("title"), video.public
    lifetime = int(record["expires"] - time.time())
    if lifetime < 1:
        raise UploadUrlExpired("this token has expired; ask for a new one")
    first = callbacks[0] if callbacks else None
    callback = None
    if first:
        extras = {k: v for k, v in (first.get("extras") or {}).items() if k != "token"}
        callback = Callback(url=first["url"], format=first.get("format", ""), extras=extras,
                            events=tuple(first.get("events") or Callback.events))
    return create_upload_token(runtime, principal, kind=used.kind, title=title, public=public,
                               folder=folder.name if folder else None, callback=callback, options=used.options,
                               lifetime=lifetime, origin=record.get("origin") or used.token)


def next_recording_token(runtime: Runtime, token: str) -> UploadToken:
    """A recorder that stays open: after ``token``'s recording was uploaded, the token of the
    series' next recording; refused when the token asked to close the recorder after one."""
    found = read_upload_token(runtime, token)
    if found.options.get("auto_close_recorder"):
        raise Forbidden("this recorder records one video only")
    if not found.used:
        raise Forbidden("finish uploading this recording first")
    return next_upload_token(runtime, found.token)


# ---------------------------------------------------------------- pages that upload several files

MAX_SERIES = 50  # further files one uploader page may add to its token


class UploadSeriesFull(Forbidden):
    code = "upload_series_full"


@dataclass(frozen=True)
class UploadSlot:
    """Where a page writes one file over tus: a signed upload session (its signed-URL query
    parameters) and the video it makes."""

    token: str
    expires: int
    sign: str
    video_uuid: str
    video_token: str

    def query(self) -> str:
        return urlencode({"token": self.token, "expires_at": self.expires, "sign": self.sign})


def _slot(runtime: Runtime, found: UploadToken) -> UploadSlot:
    return UploadSlot(token=found.token, expires=found.expires, sign=sign_upload(runtime.secret_key, found.token,
                      found.expires), video_uuid=found.video_uuid, video_token=found.video_token)


def _session_of(db: Session, token: str) -> UploadSession:
    sess = db.scalar(select(UploadSession).where(UploadSession.public_id == token))
    assert sess is not None
    return sess


def _series_lock(token: str) -> str:
    # Not the upload's own lock: that one is held while a chunk arrives, which on a slow network
    # takes longer than a page should wait to add its next file.
    return f"series-{token}"


def _open_siblings(db: Session, record: dict[str, Any], now: float) -> int:
    """How many further uploads of a page's series are still in progress (not finished, not
    given up, not expired)."""
    siblings = [str(t) for t in record.get("siblings", [])]
    if not siblings:
        return 0
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    rows = db.scalars(select(UploadSession).where(UploadSession.public_id.in_(siblings))).all()
    return sum(1 for r in rows if r.state == UploadState.active.value and _aware(r.expires_at) > moment)


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def verify_series_token(runtime: Runtime, token: str, *, now: float | None = None) -> UploadToken:
    """The token, if its uploader page may still add or finish uploads: not expired, and either
    unused or with another upload of its series still in progress (so a page reloaded while one
    of several files is uploading comes back). Spent once all its uploads are done."""
    moment = time.time() if now is None else now
    found = read_upload_token(runtime, token)
    if found.expires <= moment:
        raise UploadUrlExpired("this token has expired; ask for a new one")
    if found.used:
        with runtime.session() as db:
            record = dict(_session_of(db, found.token).upload_metadata["token"])
            if not _open_siblings(db, record, moment):
                raise UploadUrlUsed("this token was already used to upload its videos; ask for a new one")
    return found


def sibling_upload_token(runtime: Runtime, token: str) -> UploadToken:
    """A further token of the same series for another file of the same page, allowed while the
    page's token is usable (:func:`verify_series_token`), even before the token's own upload is
    done: same settings, callback, options and expiry (the series' first token is reported to
    the callback). At most :data:`MAX_SERIES` per token."""
    found = verify_series_token(runtime, token)
    with upload_lock(runtime, _series_lock(found.token)):
        with runtime.session() as db:
            count = len(_session_of(db, found.token).upload_metadata["token"].get("siblings", []))
        if count >= MAX_SERIES:
            raise UploadSeriesFull(f"one upload page can add at most {MAX_SERIES + 1} videos; ask for a new token")
        fresh = next_upload_token(runtime, found.token)
        with runtime.session() as db:
            sess = _session_of(db, found.token)
            record = dict(sess.upload_metadata["token"])
            record["siblings"] = [*record.get("siblings", []), fresh.token]
            sess.upload_metadata = {**sess.upload_metadata, "token": record}
            db.commit()
    return fresh


def _name_video(runtime: Runtime, found: UploadToken, title: str | None) -> None:
    """Title the token's video with what the page sends (a file's name, or the title a person
    typed), unless the token's maker chose the title."""
    title = (title or "").strip()[:500]
    if not title:
        return
    with runtime.session() as db:
        sess = _session_of(db, found.token)
        if sess.upload_metadata["token"].get("title"):
            return
        video = db.get_one(Video, sess.video_id)
        video.title = title
        db.commit()


def reserve_upload_slot(runtime: Runtime, token: str, *, filename: str | None = None) -> UploadSlot:
    """Where an uploader page writes its next file: the token's own upload the first time it
    asks (while that upload is unclaimed), a sibling token's after that. The video is named
    after the file unless the token fixed a title."""
    found = verify_series_token(runtime, token)
    own = False
    if not found.used:
        with upload_lock(runtime, _series_lock(found.token)):
            with runtime.session() as db:
                sess = _session_of(db, found.token)
                record = dict(sess.upload_metadata["token"])
                if not record.get("reserved") and sess.protocol == "signed":
                    record["reserved"] = True
                    sess.upload_metadata = {**sess.upload_metadata, "token": record}
                    db.commit()
                    own = True
    slot = found if own else sibling_upload_token(runtime, found.token)
    stem = (filename or "").rsplit("/", 1)[-1]
    _name_video(runtime, slot, stem.rsplit(".", 1)[0] if "." in stem else stem)
    return _slot(runtime, slot)


def recorder_slot(runtime: Runtime, token: str, *, title: str | None = None) -> UploadSlot:
    """Where a recorder page writes its recording: the token's own upload (the token must be
    unused and unexpired). ``title`` names the video unless the token fixed a title."""
    found = verify_upload_token(runtime, token)
    _name_video(runtime, found, title)
    return _slot(runtime, found)
