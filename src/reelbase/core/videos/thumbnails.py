"""Thumbnails of a video: list them, choose the default, serve one at any height ≥ 260 px.

A resized copy is made on first request from the nearest larger stored size and cached next to
the set it came from (``<thumbs prefix>cache/``), so replacing the set also drops its cache.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from reelbase.core.playback.downloads import Download
from reelbase.core.errors import InvalidInput, NotFound
from reelbase.core.media_env import tools_for
from reelbase.core.runtime import Runtime
from reelbase.db.models import AssetKind, MediaAsset, Video
from reelbase.media.thumbnails import resize_image
from reelbase.storage.base import BlobInfo, BlobNotFound

MIN_HEIGHT = 260
MAX_HEIGHT = 2160


def thumbnail_assets(db: Session, video: Video) -> list[MediaAsset]:
    """The video's thumbnails by index and height, from its files (which the read queries load
    with it, so the thumbnails cost no round trip of their own)."""
    found = [a for a in video.assets if a.kind == AssetKind.thumbnail.value]
    return sorted(found, key=lambda a: (a.extra.get("index", 0), a.height or 0))


def thumbnail_indexes(db: Session, video: Video) -> list[int]:
    return sorted({a.extra.get("index", 0) for a in thumbnail_assets(db, video)})


def default_index(db: Session, video: Video) -> int | None:
    for asset in thumbnail_assets(db, video):
        if asset.is_default:
            return int(asset.extra.get("index", 0))
    return None


def select_default_thumbnail(db: Session, video: Video, index: int) -> None:
    assets = thumbnail_assets(db, video)
    if not any(a.extra.get("index") == index for a in assets):
        raise NotFound(f"video {video.uuid} has no thumbnail {index}", field="index")
    for asset in assets:
        asset.is_default = asset.extra.get("index") == index
    db.commit()


def _download(asset_key: str, size: int, etag: str, name: str) -> Download:
    return Download(key=asset_key, size=size, etag=etag, content_type="image/jpeg", filename=name)


def thumbnail_at_height(runtime: Runtime, db: Session, video: Video, *, index: int | None, height: int) -> Download:
    """The thumbnail ``index`` (default one when None) at ``height`` pixels, made and cached on
    first use."""
    if not MIN_HEIGHT <= height <= MAX_HEIGHT:
        raise InvalidInput(f"height must be between {MIN_HEIGHT} and {MAX_HEIGHT}", field="height")
    if index is None:
        index = default_index(db, video)
    candidates = [a for a in thumbnail_assets(db, video) if a.extra.get("index") == index]
    if not candidates:
        raise NotFound(f"video {video.uuid} has no thumbnail {index}", field="index")
    name = f"{video.token}_{height}_{index:02d}.jpg"
    for asset in candidates:
        if asset.height == height:
            return _download(asset.storage_key, asset.size_bytes, asset.etag or asset.storage_key, name)
    larger = [a for a in candidates if (a.height or 0) >= height]
    source = larger[0] if larger else candidates[-1]
    cache_key = source.storage_key.rsplit("/", 1)[0] + f"/cache/{index:02d}_{height}.jpg"
    try:
        info = runtime.store.stat(cache_key)
    except BlobNotFound:
        info = _render(runtime, source.storage_key, cache_key, height)
    return _download(info.key, info.size, info.etag, name)


def _render(runtime: Runtime, source_key: str, cache_key: str, height: int) -> BlobInfo:
    work = Path(tempfile.mkdtemp(dir=runtime.scratch_dir, prefix="thumb-"))
    try:
        src, dst = work / "src.jpg", work / "dst.jpg"
        runtime.store.get_to_file(source_key, src)
        resize_image(src, dst, tools=tools_for(runtime.settings), height=height)
        return runtime.store.put_file(cache_key, dst, content_type="image/jpeg")
    finally:
        shutil.rmtree(work, ignore_errors=True)
