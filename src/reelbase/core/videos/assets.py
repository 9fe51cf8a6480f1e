"""Replacing a family of a video's stored files atomically.

Workers upload new files under a fresh prefix, then one transaction swaps the asset rows; the
objects of the rows it replaced (and leftovers of killed attempts) are deleted after the commit,
so a crash at any point leaves either the old set or the new set, never a mix.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reelbase.core.runtime import Runtime
from reelbase.db.models import AssetKind, MediaAsset, Video


@dataclass
class NewAsset:
    kind: str
    label: str
    storage_key: str
    size_bytes: int
    content_type: str
    width: int | None = None
    height: int | None = None
    bitrate: int | None = None
    is_default: bool = False
    etag: str | None = None
    sha256: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def find_original(db: Session, video: Video) -> MediaAsset | None:
    """The video's original file (what its upload stored), or None while it has none. Read from
    the video's files, which the read queries load with it; a video fetched otherwise (a job's)
    loads them on first use."""
    return next((a for a in video.assets if a.kind == AssetKind.original.value), None)


def fresh_prefix(video: Video, family: str) -> str:
    """A new key prefix for one attempt of producing ``family`` (e.g. ``ladder``, ``thumbs``)."""
    return f"videos/{video.uuid}/{family}-{secrets.token_hex(6)}/"


def replace_assets(db: Session, video: Video, kinds: Sequence[str], new: Sequence[NewAsset]) -> list[str]:
    """Swap every asset of ``kinds`` for ``new`` (flushes, does not commit); returns the storage
    keys of the replaced rows, for deletion after the commit."""
    old = list(db.scalars(select(MediaAsset).where(MediaAsset.video_id == video.id, MediaAsset.kind.in_(kinds))))
    old_keys = [a.storage_key for a in old]
    db.execute(delete(MediaAsset).where(MediaAsset.video_id == video.id, MediaAsset.kind.in_(kinds)))
    db.flush()
    for item in new:
        db.add(MediaAsset(video_id=video.id, **item.__dict__))
    db.flush()
    db.expire(video, ["assets"])
    return old_keys


def prune_family(runtime: Runtime, video_uuid: str, family: str, keep_prefix: str | None) -> int:
    """Delete every ``family-*`` prefix of the video except ``keep_prefix`` (orphans of killed or
    superseded attempts). Returns the number of objects removed."""
    root = f"videos/{video_uuid}/{family}-"
    removed = 0
    prefixes = {info.key[: info.key.index("/", len(root)) + 1] for info in runtime.store.list(root) if "/" in info.key[len(root):]}
    for prefix in prefixes:
        if prefix != keep_prefix:
            removed += runtime.store.delete_prefix(prefix)
    return removed
