"""Finding a stored file of a video for download, and the byte-range arithmetic for it.

Pure parsing raises small domain errors; the HTTP surface turns them into 206/304/416.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.context import Principal
from reelbase.core.errors import InvalidInput, NoMedia, NotFound, RangeNotSatisfiable
from reelbase.core.runtime import Runtime
from reelbase.core.videos.catalog import find_video
from reelbase.core.videos.processing import latest_processed_video
from reelbase.core.mediatypes import content_type_for
from reelbase.core.playback.delivery import deliver_stream_file, known_segment
from reelbase.db.models import AssetKind, MediaAsset, Video, VideoState
from reelbase.storage.base import BlobNotFound


@dataclass(frozen=True)
class Download:
    """A stored file to send. Most are sent as stored; a stream file may instead carry the
    ``body`` to send (a playlist rewritten by :mod:`~reelbase.core.playback.delivery`) or the
    ``location`` the client should fetch it from (a presigned URL of the store), and says how long
    it may be cached (``freshness``, one of delivery's names; ``fresh_for`` caps it in seconds)."""

    key: str
    size: int
    etag: str
    content_type: str
    filename: str
    body: bytes | None = None
    location: str | None = None
    freshness: str | None = None
    fresh_for: int | None = None


def _download_for(asset: MediaAsset, filename: str) -> Download:
    return Download(
        key=asset.storage_key,
        size=asset.size_bytes,
        etag=asset.etag or asset.sha256 or str(asset.id),
        content_type=asset.content_type,
        filename=filename,
    )


def find_asset(db: Session, video: Video, *, kind: str, label: str) -> MediaAsset:
    asset = db.scalar(
        select(MediaAsset).where(
            MediaAsset.video_id == video.id, MediaAsset.kind == kind, MediaAsset.label == label
        )
    )
    if asset is None:
        if kind == AssetKind.original.value:
            raise NoMedia(f"video {video.uuid} has no file yet (state {video.state})")
        raise NotFound(f"video {video.uuid} has no {kind} {label!r}")
    return asset


def original_download(db: Session, principal: Principal, video_ref: str) -> Download:
    video = find_video(db, principal, video_ref)
    asset = find_asset(db, video, kind=AssetKind.original.value, label="original")
    return _download_for(asset, video.original_filename or f"{video.token}.bin")


def processed_download(db: Session, principal: Principal, video_ref: str) -> Download:
    """The rendered file of a processed (derived) video, or for a source video that of its newest
    ready processed video; NotFound when it has none, NoMedia while it is still being rendered."""
    video = find_video(db, principal, video_ref)
    if video.parent_id is None:
        video = latest_processed_video(db, video)
    asset = find_asset(db, video, kind=AssetKind.original.value, label="original")
    return _download_for(asset, video.original_filename or f"{video.token}.bin")


def asset_download(db: Session, video: Video, *, kind: str, label: str) -> Download:
    asset = find_asset(db, video, kind=kind, label=label)
    stem = (video.original_filename or video.token).rsplit(".", 1)[0]
    ext = asset.storage_key.rsplit(".", 1)[-1] if "." in asset.storage_key.rsplit("/", 1)[-1] else "bin"
    return _download_for(asset, f"{stem}_{label}.{ext}")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range a ``Range`` header asks for, or None for the whole file.

    One range only (multipart/byteranges is not served); a syntactically bad header is ignored
    as RFC 9110 allows; an unsatisfiable one raises :class:`RangeNotSatisfiable`.
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                raise RangeNotSatisfiable("empty suffix range", size=size)
            return (max(0, size - suffix), size - 1) if size else _unsatisfiable(size)
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size:
        _unsatisfiable(size)
    if start < 0 or end < start:
        return None
    return start, min(end, size - 1)


def _unsatisfiable(size: int) -> tuple[int, int]:
    raise RangeNotSatisfiable(f"range not satisfiable: the file has {size} bytes", size=size)


def stream_download(runtime: Runtime, download: Download, start: int, end: int) -> Iterator[bytes]:
    if end < start:
        raise InvalidInput("bad range")
    return runtime.store.open_range(download.key, start, end)



def stream_file_download(runtime: Runtime, db: Session, video: Video, *, manifest: str, path: str,
                         version: str | None = None) -> Download:
    """A playlist or segment under the prefix of the video's ``manifest`` (hls or dash), as
    :func:`~reelbase.core.playback.delivery.deliver_stream_file` delivers it; ``version`` is the
    ``v`` the URL carries (the served playlists tag the URIs they name with it)."""
    known = known_segment(video.id, manifest, path, version)
    if known is not None:
        return known
    asset = find_asset(db, video, kind=AssetKind.manifest.value, label=manifest)
    prefix = asset.extra.get("prefix", "")
    parts = path.split("/")
    if not prefix or not path or any(p in ("", ".", "..") for p in parts) or "\x00" in path:
        raise NotFound(f"no stream file {path!r}")
    try:
        info = runtime.store.stat(prefix + path)
    except BlobNotFound:
        raise NotFound(f"no stream file {path!r}") from None
    download = Download(key=info.key, size=info.size, etag=info.etag,
                        content_type=content_type_for(path), filename=parts[-1])
    growing = video.state != VideoState.ready.value or bool(asset.extra.get("live"))
    return deliver_stream_file(runtime.store, download, video_id=video.id, manifest=manifest, prefix=prefix,
                               path=path, version=version, growing=growing)
