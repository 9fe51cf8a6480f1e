"""Who may watch a video on its player pages (``/view/{id}``, ``/embed/{id}``), and what the
player can play.

* A page names a video by its code (the 16-hex token) or its UUID.
* A public video plays for anyone with the link. A private one plays for a signed-in member of
  the video's team, or for whoever holds a *view token* ``<expires>.<signature>``, the signer's
  (:mod:`reelbase.core.auth.signer`) ``Purpose.VIEW_TOKEN`` signature of the video's UUID (made by
  :func:`issue_view_token`, compared in constant time, refused once expired). Otherwise
  :class:`PrivateVideo`.
* The page's streams come from a signed prefix of :mod:`reelbase.core.playback.streams`; this module
  only says which files exist (:func:`player_media`). :func:`signed_player_media` hands a team the
  same signed prefix for its own player on any site.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.auth import signer
from reelbase.core.context import Principal
from reelbase.core.errors import Forbidden, InvalidInput, NoMedia, NotFound
from reelbase.core.playback.streams import find_public_video, signed_prefix, stream_files
from reelbase.core.playback.shared_links import PrivateVideo
from reelbase.core.videos.assets import find_original
from reelbase.core.videos.thumbnails import thumbnail_assets
from reelbase.core.videos.catalog import find_video
from reelbase.db.models import AssetKind, MediaAsset, Membership, Video, VideoState

VIEW_TOKEN_TTL = 24 * 3600
MAX_VIEW_TOKEN_TTL = 30 * 24 * 3600
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class ViewTokenRefused(Forbidden):
    code = "view_token_refused"


_VIEW_TOKEN_REFUSALS = signer.Refusals(
    ViewTokenRefused, malformed="this link's playback token is malformed",
    mismatch="this link's playback token is not valid for this video",
    expired="this link's playback token expired; ask the video's owner for a new link")


def find_player_video(db: Session, ref: str) -> Video:
    """The video a page URL names by code or UUID, whatever its team (callers check access)."""
    ref = (ref or "").strip().lower()
    if not _UUID.match(ref):
        return find_public_video(db, ref)
    video = db.scalar(select(Video).where(Video.uuid == ref))
    if video is None:
        raise NotFound(f"no video {ref}")
    return video


def sign_view_token(server_secret: str, video_uuid: str, expires: int) -> str:
    signature = signer.sign(server_secret, signer.Purpose.VIEW_TOKEN, video_uuid, expires=expires)
    return f"{expires}.{signature}"


def check_view_token(server_secret: str, video: Video, token: str, *, now: float | None = None) -> None:
    """Raise :class:`ViewTokenRefused` unless ``token`` is a current view token of ``video``."""
    expires, _, signature = (token or "").strip().partition(".")
    signer.check(server_secret, signer.Purpose.VIEW_TOKEN, video.uuid, expires=expires, signature=signature,
                 refusals=_VIEW_TOKEN_REFUSALS, now=now)


def is_team_member(db: Session, *, user_id: int, team_id: int) -> bool:
    found = db.scalar(select(Membership.id).where(Membership.user_id == user_id, Membership.team_id == team_id))
    return found is not None


def check_watch_access(db: Session, video: Video, *, user_id: int | None, token: str | None,
                       server_secret: str) -> str:
    """How the viewer may watch: ``public``, ``member`` or ``token``. A private video without a
    member or a token raises :class:`PrivateVideo`; a bad token raises :class:`ViewTokenRefused`."""
    if video.public:
        return "public"
    if user_id is not None and is_team_member(db, user_id=user_id, team_id=video.team_id):
        return "member"
    if token:
        check_view_token(server_secret, video, token)
        return "token"
    raise PrivateVideo("this video is private: open it with a link that carries a playback token, "
                       "or sign in as a member of its team")


@dataclass(frozen=True)
class ViewToken:
    video: Video
    token: str
    expires: int

    @property
    def expires_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.expires, dt.UTC)


def issue_view_token(db: Session, principal: Principal, video_ref: str, *, server_secret: str,
                     ttl_s: int = VIEW_TOKEN_TTL, now: float | None = None) -> ViewToken:
    """A view token for a video of the principal's team, valid ``ttl_s`` seconds."""
    if not 60 <= ttl_s <= MAX_VIEW_TOKEN_TTL:
        raise InvalidInput(f"ttl_seconds must be between 60 and {MAX_VIEW_TOKEN_TTL}", field="ttl_seconds")
    video = find_video(db, principal, video_ref)
    expires = signer.expires_in(ttl_s, now=now)
    return ViewToken(video=video, token=sign_view_token(server_secret, video.uuid, expires), expires=expires)


@dataclass(frozen=True)
class Rendition:
    label: str
    height: int | None
    container: str  # mp4 / webm


@dataclass(frozen=True)
class PlayerMedia:
    """What a ready video offers a player; paths are below the video's signed stream prefix."""

    hls: str | None = None  # e.g. "hls/dash/master.m3u8"
    dash: str | None = None
    renditions: list[Rendition] = field(default_factory=list)  # by increasing height
    poster: str | None = None  # "poster/default.jpg"
    storyboard: str | None = None  # "storyboard/<file>.vtt"
    original: str | None = None  # "original/source" when nothing else plays (no ladder was built)


def player_media(db: Session, video: Video) -> PlayerMedia:
    """The streams, renditions, poster and storyboard of ``video``. A stream still being
    published while the ladder runs (``live``) is left out: the page waits for the finished one."""
    files = stream_files(db, video)
    manifests = {f.label: f for f in files if f.kind == AssetKind.manifest.value and f.path}
    live = {a.label for a in db.scalars(select(MediaAsset).where(
        MediaAsset.video_id == video.id, MediaAsset.kind == AssetKind.manifest.value)) if a.extra.get("live")}
    renditions = [Rendition(label=f.label, height=f.height, container=f.container or "mp4")
                  for f in files if f.kind == AssetKind.rendition.value and f.container in ("mp4", "webm")]
    poster = "poster/default.jpg" if any(a.is_default for a in thumbnail_assets(db, video)) else None
    vtt = db.scalar(select(MediaAsset).where(MediaAsset.video_id == video.id,
                                             MediaAsset.kind == AssetKind.storyboard.value,
                                             MediaAsset.label == "vtt"))
    original = None
    if not renditions and "hls" not in manifests:
        source = find_original(db, video)
        if source is not None and source.content_type.startswith("video/"):
            original = "original/source"
    return PlayerMedia(
        original=original,
        hls=f"hls/{manifests['hls'].path}" if "hls" in manifests and "hls" not in live else None,
        dash=f"dash/{manifests['dash'].path}" if "dash" in manifests and "dash" not in live else None,
        renditions=renditions,
        poster=poster,
        storyboard=f"storyboard/{vtt.storage_key.rsplit('/', 1)[-1]}" if vtt is not None else None,
    )


@dataclass(frozen=True)
class SignedMedia:
    """What a video offers a player below its signed prefix ``/play/{code}/{expires}/{signature}``."""

    video: Video
    prefix: str  # the path, e.g. "/play/0123456789abcdef/1767225600/<64 hex>"
    expires: int
    media: PlayerMedia

    @property
    def expires_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.expires, dt.UTC)


def signed_player_media(db: Session, principal: Principal, video_ref: str, *, server_secret: str,
                        now: float | None = None) -> SignedMedia:
    """The signed stream prefix of a video of the principal's team (private ones too: the prefix is
    the grant) and what plays below it; NoMedia unless the video is ready."""
    video = find_video(db, principal, video_ref)
    if video.state != VideoState.ready.value:
        raise NoMedia(f"video {video.uuid} is not ready yet (state {video.state})")
    expires, signature = signed_prefix(server_secret, video.uuid, now=now)
    return SignedMedia(video=video, prefix=f"/play/{video.token}/{expires}/{signature}", expires=expires,
                       media=player_media(db, video))
