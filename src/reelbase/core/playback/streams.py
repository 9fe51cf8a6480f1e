"""Public playback: what a player or an <img> tag may fetch without an API key.

* Thumbnails are public to whoever knows the video's code (its 16-hex token), as hosted video
  APIs serve them: :func:`find_public_video`.
* Streams (MP4/WebM renditions, HLS and DASH playlists and segments) are served under signed,
  expiring URL prefixes ``<expires>/<signature>``: the signer's (:mod:`reelbase.core.auth.signer`)
  ``Purpose.PLAYBACK`` signature of the video's UUID. One prefix covers every file of the video,
  so the relative paths inside HLS/DASH playlists resolve. :func:`verify_playback` refuses an
  expired, changed or malformed prefix.
  :func:`signed_stream_download` finds the file a path below such a prefix names (also the
  storyboard and the poster, for the player pages); :func:`signed_stream_file` is the whole
  request, and for a segment a viewer fetched before it needs no database at all.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.auth import signer
from reelbase.core.videos import thumbnails as core_thumbs
from reelbase.core.playback.delivery import Memo, known_segment
from reelbase.core.playback.downloads import Download, asset_download, find_asset, stream_file_download
from reelbase.core.playback.origins import allowed_origin
from reelbase.core.errors import Forbidden, NotFound
from reelbase.core.runtime import Runtime
from reelbase.core.videos.catalog import lookup_video
from reelbase.db.models import AssetKind, MediaAsset, Video, VideoState

PLAYBACK_TTL = 24 * 3600
_CODE = re.compile(r"^[0-9a-f]{16}$")


class PlaybackDenied(Forbidden):
    code = "playback_denied"


_STREAM_REFUSALS = signer.Refusals(
    PlaybackDenied, malformed="this stream URL is malformed",
    mismatch="this stream URL's signature does not match",
    expired="this stream URL expired; ask for the file's information again")


@dataclass(frozen=True)
class StreamFile:
    """One playable file of a video: ``kind`` rendition (mp4/webm) or manifest (hls/dash)."""

    kind: str
    label: str
    container: str
    height: int | None
    path: str | None = None  # a manifest's path below its prefix (playlists name their parts relative to it)


def find_public_video(db: Session, code: str) -> Video:
    """The video whose code is ``code``, whatever its team (codes are unguessable)."""
    code = str(code).strip().lower()
    video = lookup_video(db, code, team_id=None) if _CODE.match(code) else None
    if video is None:
        raise NotFound(f"no file {str(code)[:40]}")
    return video


def sign_playback(server_secret: str, video_uuid: str, expires: int) -> str:
    return signer.sign(server_secret, signer.Purpose.PLAYBACK, video_uuid, expires=expires)


def signed_prefix(server_secret: str, video_uuid: str, now: float | None = None) -> tuple[int, str]:
    """``(expires, signature)`` for a stream prefix valid at least :data:`PLAYBACK_TTL` seconds.

    The expiry is rounded up to the next whole hour, so pages loaded within the same hour get the
    same URLs and the browser's cache of playlists and segments keeps working across reloads.
    """
    expires = signer.expires_at_hour_end(PLAYBACK_TTL, now=now)
    return expires, sign_playback(server_secret, video_uuid, expires)


def verify_playback(db: Session, *, code: str, expires: str, signature: str, server_secret: str) -> Video:
    video = find_public_video(db, code)
    signer.check(server_secret, signer.Purpose.PLAYBACK, video.uuid, expires=expires, signature=signature,
                 refusals=_STREAM_REFUSALS)
    return video


@dataclass(frozen=True)
class _Signed:
    """What a signed URL's code names, as the hot path needs it."""

    id: int
    uuid: str
    team_id: int


# Codes already looked up: a viewer's segment fetches then cost no query at all. A deleted video's
# files are gone, so a code still known here for a few seconds leads to a 404 all the same.
_CODES = Memo(ttl_s=10, entries=8192)


class _NeedsDatabase(Exception):
    """Raised inside :func:`known_stream_file` where the answer needs the database."""


def known_stream_file(runtime: Runtime, **request: Any) -> tuple[Download, str] | None:
    """:func:`signed_stream_file` where this process knows everything it needs (a segment a viewer
    fetched a moment ago): the same answer without the database, so without a worker thread; None
    where it would need the database. Refusals are raised as by :func:`signed_stream_file`."""
    try:
        return signed_stream_file(runtime, **request, _offline=True)
    except _NeedsDatabase:
        return None


def signed_stream_file(runtime: Runtime, *, code: str, expires: str, signature: str, kind: str, path: str,
                       version: str | None, origin: str | None, referer: str | None,
                       kinds: Collection[str] | None = None, _offline: bool = False) -> tuple[Download, str]:
    """The one operation behind a signed stream URL ``<code>/<expires>/<signature>/<kind>/<path>``:
    the file (:func:`signed_stream_download`; ``kinds`` limits the kinds a surface serves) and the
    ``Access-Control-Allow-Origin`` for the page that asked (``core.playback.origins``). NotFound
    for an unknown code, PlaybackDenied for a bad or expired signature, OriginNotAllowed."""
    now = time.time()
    name = str(code).strip().lower()
    known = _CODES.get((name,), now)
    with ExitStack() as stack:
        db: Session | None = None

        def session() -> Session:
            nonlocal db
            if _offline:
                raise _NeedsDatabase
            if db is None:
                db = stack.enter_context(runtime.session())
            return db

        if known is None:
            video = find_public_video(session(), code)
            known = (now, _Signed(id=video.id, uuid=video.uuid, team_id=video.team_id))
            _CODES.put((name,), *known)
        signed: _Signed = known[1]
        signer.check(runtime.secret_key, signer.Purpose.PLAYBACK, signed.uuid, expires=expires,
                     signature=signature, refusals=_STREAM_REFUSALS)
        if kinds is not None and kind not in kinds:
            raise NotFound("no such stream file")
        allow = allowed_origin(signed.team_id, session, origin=origin, referer=referer,
                               own_origin=runtime.settings.public_url)
        if kind in ("hls", "dash"):
            segment = known_segment(signed.id, kind, path, version)
            if segment is not None:
                return segment, allow
        video_row = session().get(Video, signed.id)
        if video_row is None:
            raise NotFound(f"no file {name[:40]}")
        return signed_stream_download(runtime, session(), video_row, kind=kind, path=path, version=version), allow


def stream_files(db: Session, video: Video) -> list[StreamFile]:
    """The video's renditions and manifests, renditions by increasing height (from its files,
    which the read queries load with it)."""
    kinds = (AssetKind.rendition.value, AssetKind.manifest.value)
    rows = [a for a in video.assets if a.kind in kinds]
    out = [
        StreamFile(kind=a.kind, label=a.label, height=a.height or _named_height(a.storage_key),
                   path=a.extra.get("path"),
                   container=str(a.extra.get("container") or (a.label if a.kind == AssetKind.manifest.value else "")))
        for a in rows
    ]
    return sorted(out, key=lambda f: (f.kind, f.height or 0, f.label))


def signed_stream_download(runtime: Runtime, db: Session, video: Video, *, kind: str, path: str,
                           version: str | None = None) -> Download:
    """The file that ``<signed prefix>/<kind>/<path>`` names.

    ``hls``/``dash``: a playlist or segment below the manifest's prefix (relative paths inside
    playlists resolve to these). ``mp4``/``webm``: the rendition ``<label>.<kind>``.
    ``storyboard``: the seek-preview WebVTT or sprite by its file name (the VTT names the sprite
    relative to itself). ``poster``: ``default.jpg``, the default thumbnail at its largest size.
    ``original``: ``source``, the uploaded file (for a video made ready without a ladder).
    Anything else is NotFound. ``version``: the ``v`` of the URL, for the stream files.
    """
    if kind in ("hls", "dash"):
        return stream_file_download(runtime, db, video, manifest=kind, path=path, version=version)
    if kind in ("mp4", "webm"):
        label, dot, ext = path.rpartition(".")
        if not dot or ext != kind or not label or "/" in label:
            raise NotFound("no such stream file")
        return asset_download(db, video, kind=AssetKind.rendition.value, label=label)
    if kind == "storyboard":
        for label in ("vtt", "sprite"):
            asset = _optional_asset(db, video, kind=AssetKind.storyboard.value, label=label)
            if asset is not None and asset.storage_key.rsplit("/", 1)[-1] == path:
                return asset_download(db, video, kind=asset.kind, label=label)
        raise NotFound("no such storyboard file")
    if kind == "poster" and path == "default.jpg":
        defaults = [a for a in core_thumbs.thumbnail_assets(db, video) if a.is_default]
        if defaults:
            best = max(defaults, key=lambda a: a.height or 0)
            return asset_download(db, video, kind=best.kind, label=best.label)
        raise NotFound(f"video {video.token} has no thumbnail yet")
    if kind == "original" and path == "source":
        return asset_download(db, video, kind=AssetKind.original.value, label="original")
    raise NotFound("no such stream file")


def _optional_asset(db: Session, video: Video, *, kind: str, label: str) -> MediaAsset | None:
    try:
        return find_asset(db, video, kind=kind, label=label)
    except NotFound:
        return None


def _named_height(key: str) -> int | None:
    # The ladder names its files after their rung ("480.webm"); the WebM row records no height.
    match = re.search(r"/(\d{3,4})\.\w+$", key)
    return int(match[1]) if match else None


def is_converted(db: Session, video: Video) -> bool:
    """True once the video has a streaming ladder (renditions or manifests) or one is being built."""
    if video.state == VideoState.transcoding.value:
        return True
    kinds = (AssetKind.rendition.value, AssetKind.manifest.value)
    found = db.scalar(select(MediaAsset.id).where(MediaAsset.video_id == video.id, MediaAsset.kind.in_(kinds)))
    return found is not None
