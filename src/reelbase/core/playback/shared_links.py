"""Videos reached by their link (view and embed pages) rather than by an API key.

A link names a video by its token. Only public videos are shown to whoever holds the link; a
private one is reported as :class:`PrivateVideo` (the page says so) and an unknown token as
NotFound. The file played is the best MP4 rendition (highest, then largest), or the original
when the video was ingested without renditions.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.playback.downloads import Download, asset_download
from reelbase.core.errors import Forbidden, NoMedia, NotFound
from reelbase.core.videos.catalog import lookup_video
from reelbase.db.models import AssetKind, MediaAsset, Video, VideoState


class PrivateVideo(Forbidden):
    code = "video_private"


def find_linked_video(db: Session, token: str) -> Video:
    """The video a link names (any visibility: callers check :func:`check_link_access`)."""
    token = (token or "").strip().lower()
    video = lookup_video(db, token, team_id=None) if 0 < len(token) <= 36 else None
    if video is None:
        raise NotFound(f"no video {token}")
    return video


def check_link_access(video: Video) -> Video:
    if not video.public:
        raise PrivateVideo("this video is private: only members of its team can watch it")
    return video


def playable_download(db: Session, video: Video) -> Download:
    """The file a browser's <video> element plays; NoMedia while the video is not ready."""
    if video.state != VideoState.ready.value:
        raise NoMedia(f"video {video.token} is not ready yet (state {video.state})")
    mp4s = [a for a in db.scalars(select(MediaAsset).where(
        MediaAsset.video_id == video.id, MediaAsset.kind == AssetKind.rendition.value))
        if a.content_type == "video/mp4"]
    if mp4s:
        best = max(mp4s, key=lambda a: (a.height or 0, a.size_bytes))
        return asset_download(db, video, kind=best.kind, label=best.label)
    return asset_download(db, video, kind=AssetKind.original.value, label="original")
