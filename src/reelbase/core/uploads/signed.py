"""Signed upload URLs: let a browser upload one file to one video without holding an API key.

An API-key holder asks for one (:func:`create_signed_upload`); it is an upload session created in
advance plus three query parameters (the Integros ``get_url`` shape)::

    token=<upload id>&expires_at=<unix seconds>&sign=<hex HMAC-SHA256>

``sign`` is the signature of ``token`` for ``Purpose.UPLOAD_URL`` (:mod:`reelbase.core.auth.signer`).
Whoever holds the URL may write to that session only, by any protocol (single request,
ResumableJS chunks, Content-Range, tus) until ``expires_at``. :func:`verify_signed_upload` refuses, with a message:
missing parameters (401), a signature that does not match, i.e. anything changed (403), an
expired URL (403) and a URL whose upload is complete: reused after completion (403).
The signer parses and compares (in constant time); the session itself expires with the URL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from reelbase.core.auth import signer
from reelbase.core.context import Principal
from reelbase.core.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from reelbase.core.runtime import Runtime
from reelbase.core.uploads.sources import team_upload_limit, validate_filename
from reelbase.core.uploads.engine import (
    UploadGrant,
    UploadState,
    UploadStatus,
    check_writable,
    create_upload,
    find_upload,
    set_length,
    status_of,
)
from reelbase.core.uploads.lock import upload_lock
from reelbase.db.models import Team, UploadSession

MAX_EXPIRES_IN = 7 * 24 * 3600
DEFAULT_EXPIRES_IN = 3600


class SignatureInvalid(Forbidden):
    code = "signature_invalid"


class UploadUrlExpired(Forbidden):
    code = "upload_url_expired"


class UploadUrlUsed(Forbidden):
    code = "upload_url_used"


_UPLOAD_URL_REFUSALS = signer.Refusals(
    SignatureInvalid, malformed="the upload URL's parameters are malformed (was it changed?)",
    mismatch="the upload URL's signature does not match (was it changed?)",
    expired="this upload URL expired at {expired_at}; ask for a new one", expired_error=UploadUrlExpired)


@dataclass(frozen=True)
class SignedUpload:
    token: str
    expires_at: int
    sign: str
    upload: UploadStatus

    def query(self) -> str:
        return urlencode({"token": self.token, "expires_at": self.expires_at, "sign": self.sign})


def sign_upload(secret_key: str, token: str, expires_at: int) -> str:
    return signer.sign(secret_key, signer.Purpose.UPLOAD_URL, token, expires=expires_at)


def create_signed_upload(
    runtime: Runtime,
    principal: Principal,
    video_ref: str | None,
    *,
    expires_in: int = DEFAULT_EXPIRES_IN,
    filename: str | None = None,
    length: int | None = None,
    title: str | None = None,
    project: str | None = None,
    video_options: dict[str, Any] | None = None,
) -> SignedUpload:
    """A signed URL's parameters for uploading one file to ``video_ref`` (a new video with
    ``video_options`` if None, committed in the same transaction as its upload session)."""
    if not 1 <= expires_in <= MAX_EXPIRES_IN:
        raise InvalidInput(f"expires_in must be between 1 and {MAX_EXPIRES_IN} seconds", field="expires_in")
    expires_at = signer.expires_in(expires_in)
    upload = create_upload(
        runtime, principal, video_ref, protocol="signed", length=length, filename=filename, title=title,
        project=project, signed=True, expires_at=dt.datetime.fromtimestamp(expires_at, dt.UTC),
        video_options=video_options,
    )
    return SignedUpload(token=upload.id, expires_at=expires_at, sign=sign_upload(runtime.secret_key, upload.id,
                        expires_at), upload=upload)


def verify_signed_upload(
    runtime: Runtime, *, token: str | None, expires_at: str | int | None, sign: str | None,
    now: float | None = None,
) -> UploadGrant:
    """The grant a signed URL's parameters prove, or the reason they prove nothing."""
    if not token or not sign or expires_at in (None, ""):
        raise Unauthenticated("this upload URL lacks its token, expires_at or sign parameter")
    signer.check(runtime.secret_key, signer.Purpose.UPLOAD_URL, token, expires=expires_at, signature=sign,
                 refusals=_UPLOAD_URL_REFUSALS, now=now)
    with runtime.session() as db:
        state = db.scalar(select(UploadSession.state).where(UploadSession.public_id == token))
    if state == UploadState.completed.value:
        raise UploadUrlUsed("this upload URL was already used to upload a file; ask for a new one")
    if state is None:
        raise SignatureInvalid("this upload URL no longer exists")
    return UploadGrant(upload_id=token)


def claim_signed_upload(
    runtime: Runtime,
    grant: UploadGrant,
    *,
    protocol: str,
    length: int | None = None,
    filename: str | None = None,
    content_type: str | None = None,
    metadata: dict[str, str] | None = None,
) -> UploadStatus:
    """Bind a signed URL's session to the byte-stream protocol its client chose (tus creation,
    Content-Range): length (if the URL did not fix it), file name, type, metadata. Claiming again
    with the same protocol returns the same session, so a client may retry its creation request."""
    with upload_lock(runtime, grant.upload_id):
        with runtime.session() as db:
            sess = find_upload(db, grant, grant.upload_id)
            check_writable(sess)
            if sess.mode != "stream" or sess.protocol not in ("signed", protocol):
                raise Conflict(f"this upload URL is already used by another protocol ({sess.protocol})")
            if length is not None:
                set_length(sess, length, team_upload_limit(db, db.get_one(Team, sess.team_id), runtime))
            sess.protocol = protocol
            sess.filename = sess.filename or validate_filename(filename)
            if content_type and not sess.content_type and "/" in content_type and len(content_type) < 100:
                sess.content_type = content_type.split(";")[0].strip().lower()
            if metadata:
                sess.upload_metadata = {**(sess.upload_metadata or {}), "meta": dict(metadata)}
            db.commit()
            return status_of(sess)
