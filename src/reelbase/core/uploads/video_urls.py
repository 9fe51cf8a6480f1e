"""Signed upload URLs named by the video's public token instead of the upload session's id.

Some clients keep one identifier per upload and use it both to send the file and, later, to
ask about the video (the Integros shape: ``get_url`` answers ``{"token", "url"}`` and the same
token reads ``/videos/<token>``). :func:`create_video_upload_url` makes a new video with a signed
upload session (``signed.create_signed_upload``) and signs ``(video token, expires_at)``;
:func:`verify_video_upload_url` turns those parameters back into an :class:`UploadGrant` for that
session, with the same refusals as ``verify_signed_upload``: missing parameters (401), a changed
signature or a vanished upload (403), an expired URL (403), a URL already used to complete its
upload (403). :mod:`reelbase.core.auth.signer` makes and checks the signature
(``Purpose.VIDEO_UPLOAD_URL``), comparing in constant time.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import select

from reelbase.core.auth import signer
from reelbase.core.context import Principal
from reelbase.core.errors import Unauthenticated
from reelbase.core.runtime import Runtime
from reelbase.core.uploads.engine import UploadGrant, UploadState, UploadStatus
from reelbase.core.uploads.signed import (
    DEFAULT_EXPIRES_IN,
    SignatureInvalid,
    UploadUrlExpired,
    UploadUrlUsed,
    create_signed_upload,
)
from reelbase.db.models import UploadSession, Video

VIDEO_TOKEN_CHARS = frozenset("0123456789abcdef")


_VIDEO_URL_REFUSALS = signer.Refusals(
    SignatureInvalid, malformed="the upload URL's parameters are malformed (was it changed?)",
    mismatch="the upload URL's signature does not match (was it changed?)",
    expired="this upload URL has expired; ask for a new one", expired_error=UploadUrlExpired)


@dataclass(frozen=True)
class VideoUploadUrl:
    token: str  # the video's public token
    expires_at: int
    sign: str
    upload: UploadStatus

    def query(self) -> str:
        return urlencode({"token": self.token, "expires_at": self.expires_at, "sign": self.sign})


def sign_video_upload(secret_key: str, token: str, expires_at: int) -> str:
    return signer.sign(secret_key, signer.Purpose.VIDEO_UPLOAD_URL, token, expires=expires_at)


def create_video_upload_url(
    runtime: Runtime,
    principal: Principal,
    *,
    filename: str | None = None,
    length: int | None = None,
    title: str | None = None,
    expires_in: int = DEFAULT_EXPIRES_IN,
) -> VideoUploadUrl:
    """A new video (titled after the file) waiting for one file, and the signed parameters that
    let whoever holds them send it, by any protocol the upload engine speaks."""
    signed = create_signed_upload(runtime, principal, None, expires_in=expires_in, filename=filename,
                                  length=length, title=title)
    with runtime.session() as db:
        token = db.scalar(select(Video.token).where(Video.uuid == signed.upload.video_uuid))
    assert token is not None
    return VideoUploadUrl(token=token, expires_at=signed.expires_at,
                          sign=sign_video_upload(runtime.secret_key, token, signed.expires_at), upload=signed.upload)


def verify_video_upload_url(
    runtime: Runtime, *, token: str | None, expires_at: str | int | None, sign: str | None,
    now: float | None = None,
) -> UploadGrant:
    """The grant for the video's signed upload session, or the reason the parameters prove nothing."""
    if not token or not sign or expires_at in (None, ""):
        raise Unauthenticated("this upload URL lacks its token, expires_at or sign parameter")
    if not set(token) <= VIDEO_TOKEN_CHARS:
        raise SignatureInvalid(_VIDEO_URL_REFUSALS.malformed)
    signer.check(runtime.secret_key, signer.Purpose.VIDEO_UPLOAD_URL, token, expires=expires_at, signature=sign,
                 refusals=_VIDEO_URL_REFUSALS, now=now)
    with runtime.session() as db:
        row = db.execute(
            select(UploadSession.public_id, UploadSession.state)
            .join(Video, UploadSession.video_id == Video.id)
            .where(Video.token == token, UploadSession.signed.is_(True))
            .order_by(UploadSession.id.desc())
        ).first()
    if row is None:
        raise SignatureInvalid("this upload URL no longer exists")
    if row.state == UploadState.completed.value:
        raise UploadUrlUsed("this upload URL was already used to upload a file; ask for a new one")
    return UploadGrant(upload_id=row.public_id)
