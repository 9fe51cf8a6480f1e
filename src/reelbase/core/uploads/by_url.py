"""Upload by URL: the server fetches an http(s) URL into an upload session, with progress.

``start_url_import`` checks what can be checked at once (scheme, credentials, a literal address
that is not public), creates the session and queues a ``fetch_url`` job (``jobs/fetch.py``) that
runs :func:`import_from_url` on any worker: a worker that dies mid-fetch loses its lease and
another takes the fetch over. ``import_from_url(runtime, upload_id)`` is a plain, idempotent
function: it fetches through ``reelbase.net.fetch_stream`` (SSRF-safe: every hop and
the connected address are checked, redirects bounded, size capped at the team's upload limit),
streams the body into the session under its lock and commits it. Progress (0-100, an integer) is
saved at most every :data:`PROGRESS_EVERY` seconds while it runs; a failure marks the session and
the video failed with a message a person can act on. A session left half-fetched by a crash
starts over on the next run (the remote server is not asked for a range).
"""

from __future__ import annotations

import ipaddress
import time
from urllib.parse import urlsplit

from sqlalchemy import select

from reelbase.core.context import Principal
from reelbase.core.errors import Conflict, DomainError, InvalidInput, NotFound
from reelbase.core.job_kinds import FetchUrlPayload
from reelbase.core.jobs import enqueue_job
from reelbase.core.runtime import Runtime
from reelbase.core.uploads.sources import team_upload_limit
from reelbase.core.uploads.engine import (
    check_writable,
    complete_locked,
    create_upload,
    find_upload,
    mark_failed,
    reset_staging,
    write_locked,
)
from reelbase.core.uploads.status import UploadGrant, UploadState, UploadStatus, status_of
from reelbase.core.uploads.io import discard_staging, staged_of
from reelbase.core.uploads.io import staged_size as read_staged_size
from reelbase.core.uploads.lock import upload_lock
from reelbase.core.uploads.signed import claim_signed_upload
from reelbase.db.models import Team, UploadSession, VideoState
from reelbase.net import FetchError, FetchPolicy, fetch_stream, forbidden_reason

PROGRESS_EVERY = 0.5
MAX_URL = 8192


def fetch_policy(runtime: Runtime, max_bytes: int) -> FetchPolicy:
    return FetchPolicy(allow_hosts=runtime.settings.fetch_allow_hosts, max_bytes=max_bytes)


def check_source_url(runtime: Runtime, url: str) -> str:
    """Refuse at once what would surely be refused by the fetch (the fetch checks again, fully)."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL:
        raise InvalidInput(f"give an http(s) URL of at most {MAX_URL} characters", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput("not a valid URL", field="url") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput("only http:// and https:// URLs can be fetched", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("the URL must not carry a user name or password", field="url")
    host = parts.hostname
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return url  # a name: resolved and checked by the fetch itself
    default = 443 if parts.scheme.lower() == "https" else 80
    if not fetch_policy(runtime, 1).allows_host(host, port or default):
        reason = forbidden_reason(ip)
        if reason:
            raise InvalidInput(f"refusing to fetch {host}: {reason} (only public internet addresses are allowed)",
                               field="url")
    return url


def start_url_import(
    runtime: Runtime,
    principal: Principal,
    video_ref: str | None,
    *,
    url: str,
    filename: str | None = None,
    title: str | None = None,
    project: str | None = None,
) -> UploadStatus:
    """Create a URL upload session (and its video when ``video_ref`` is None) and start fetching
    in a background thread; poll the session for progress."""
    url = check_source_url(runtime, url)
    status = create_upload(runtime, principal, video_ref, protocol="url", filename=filename, title=title,
                           project=project, source_url=url)
    _queue_fetch(runtime, status.id)
    return status


def start_signed_url_import(runtime: Runtime, grant: UploadGrant, *, url: str) -> UploadStatus:
    """Fill a signed URL's upload session (``signed.py``) by fetching ``url``, on the job
    queue like :func:`start_url_import`; poll the session for progress."""
    url = check_source_url(runtime, url)
    claim_signed_upload(runtime, grant, protocol="url")
    with upload_lock(runtime, grant.upload_id):
        with runtime.session() as db:
            sess = find_upload(db, grant, grant.upload_id)
            if sess.source_url and sess.source_url != url:
                raise Conflict("this upload is already fetching another URL")
            sess.source_url = url
            db.commit()
            status = status_of(sess)
    _queue_fetch(runtime, status.id)
    return status


def _queue_fetch(runtime: Runtime, upload_id: str) -> None:
    """Queue the fetch (sent to the workers once committed); it shows in the video's jobs."""
    with runtime.session() as db:
        sess = db.scalar(select(UploadSession).where(UploadSession.public_id == upload_id))
        if sess is None:
            raise NotFound(f"no upload {upload_id}")
        enqueue_job(db, FetchUrlPayload(upload_id=upload_id), video_id=sess.video_id, max_attempts=3)
        db.commit()


def import_from_url(runtime: Runtime, upload_id: str) -> UploadStatus:
    """Fetch the session's URL into it and commit it. Returns the final status; a fetch or
    limit failure is recorded on the session (state ``failed``, ``error``) and returned, not
    raised. Idempotent: a completed session returns at once."""
    with upload_lock(runtime, upload_id, wait=30.0):
        with runtime.session() as db:
            sess = db.query(UploadSession).filter_by(public_id=upload_id).one()
            if sess.state == UploadState.completed.value:
                return status_of(sess)
            check_writable(sess)
            session_id, url = sess.id, sess.source_url or ""
            limit = team_upload_limit(db, db.get_one(Team, sess.team_id), runtime)
            staged = staged_of(sess)
        if staged.state or read_staged_size(runtime, staged):
            reset_staging(runtime, session_id)  # a half-done fetch (crash) starts over
        try:
            _fetch_into(runtime, session_id, url, limit.bytes)
            complete_locked(runtime, session_id, take_length=True)
        except FetchError as exc:
            _fail(runtime, session_id, f"could not fetch {_shown(url)}: {exc.message}", code=exc.code)
        except DomainError as exc:
            _fail(runtime, session_id, exc.message, code=exc.code)
        except BaseException as exc:
            _fail(runtime, session_id, "upload by URL failed: internal error", code="internal")
            raise exc
    with runtime.session() as db:
        return status_of(db.get_one(UploadSession, session_id))


def _fetch_into(runtime: Runtime, session_id: int, url: str, max_bytes: int) -> None:
    with fetch_stream(url, policy=fetch_policy(runtime, max_bytes)) as resp:
        expected = resp.content_length
        with runtime.session() as db:
            sess = db.get_one(UploadSession, session_id)
            sess.filename = sess.filename or resp.filename
            ctype = resp.headers.get("content-type", "")
            if not sess.content_type and "/" in ctype and len(ctype) < 100:
                sess.content_type = ctype.split(";")[0].strip().lower()
            sess.upload_metadata = {**(sess.upload_metadata or {}), "expected_length": expected}
            db.commit()
        last = [time.monotonic()]

        def progress(offset: int) -> None:
            now = time.monotonic()
            if now - last[0] < PROGRESS_EVERY:
                return
            last[0] = now
            with runtime.session() as db:
                row = db.get_one(UploadSession, session_id)
                row.offset = offset
                row.progress = min(99, offset * 100 // expected) if expected else 0
                db.commit()

        write_locked(runtime, session_id, offset=0, chunks=resp.iter_bytes(), final=True, on_progress=progress)


def _fail(runtime: Runtime, session_id: int, message: str, *, code: str) -> None:
    with runtime.session() as db:
        staged = staged_of(db.get_one(UploadSession, session_id))
    discard_staging(runtime, staged)
    mark_failed(runtime, session_id, message, video_state=VideoState.failed.value, code=code)


def _shown(url: str) -> str:
    return url if len(url) <= 200 else url[:197] + "..."
