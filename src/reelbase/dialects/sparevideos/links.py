"""Absolute URLs the dialect hands out, and the file information body (``me/file``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from reelbase.core import playback as core_playback
from reelbase.core import videos as core_videos
from reelbase.core.runtime import Runtime

PREFIX = "/compat/sparevideos"
UPLOAD_SERVER = "/fileservers/upload"


def base(runtime: Runtime) -> str:
    return runtime.settings.public_url + PREFIX


def api_url(runtime: Runtime, path: str) -> str:
    return f"{base(runtime)}/api/v1/{path.lstrip('/')}"


def upload_server(runtime: Runtime) -> str:
    return base(runtime) + UPLOAD_SERVER


def thumbnail_name(code: str, height: int | None, index: int) -> str:
    return f"{code}_{height or 0}_{index:02d}.jpg"


def thumbnail_url(runtime: Runtime, code: str, path: str) -> str:
    return f"{base(runtime)}/thumbnail/{code}/{path}"


def thumbnail_list(db: Session, video: Any) -> dict[str, str]:
    """``{"<height>.<nn>[.selected]": "<code>_<height>_<nn>.jpg"}``, tallest and last first; the
    selected (default) thumbnail is marked at its tallest size."""
    assets = sorted(core_videos.thumbnail_assets(db, video),
                    key=lambda a: (a.height or 0, int(a.extra.get("index", 0))), reverse=True)
    top = max((a.height or 0 for a in assets), default=0)
    out: dict[str, str] = {}
    for asset in assets:
        index = int(asset.extra.get("index", 0))
        key = f"{asset.height or 0}.{index:02d}"
        if asset.is_default and (asset.height or 0) == top:
            key += ".selected"
        out[key] = thumbnail_name(video.token, asset.height, index)
    return out


def default_thumbnail(runtime: Runtime, db: Session, video: Any) -> str | None:
    defaults = [a for a in core_videos.thumbnail_assets(db, video) if a.is_default]
    if not defaults:
        return None
    best = max(defaults, key=lambda a: a.height or 0)
    name = thumbnail_name(video.token, best.height, int(best.extra.get("index", 0)))
    return thumbnail_url(runtime, video.token, f"exact/{name}")


def stream_base(runtime: Runtime, video: Any) -> str:
    expires, sig = core_playback.signed_prefix(runtime.secret_key, video.uuid)
    return f"{base(runtime)}/stream/{video.token}/{expires}/{sig}"


def streams(runtime: Runtime, db: Session, video: Any) -> dict[str, Any]:
    """``mp4`` (always, a list of file+label), ``hls``/``mpd`` ({file}) and ``webm`` when present."""
    files = core_playback.stream_files(db, video)
    root = stream_base(runtime, video)
    mp4 = [f for f in files if f.kind == "rendition" and f.container == "mp4"]
    out: dict[str, Any] = {"mp4": [{"file": f"{root}/mp4/{f.label}.mp4", "label": str(f.label)} for f in mp4]}
    manifests = {f.label: f for f in files if f.kind == "manifest"}
    for name, label in (("hls", "hls"), ("mpd", "dash")):
        if label in manifests:
            out[name] = {"file": f"{root}/{label}/{manifests[label].path}"}
    webm = [f for f in files if f.kind == "rendition" and f.container == "webm"]
    if webm:
        out["webm"] = [{"file": f"{root}/webm/{f.label}.webm", "label": str(f.height or "")} for f in webm]
    return out


def file_info(runtime: Runtime, db: Session, video: Any) -> dict[str, Any]:
    name = video.original_filename or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    duration = video.duration_ms
    return {
        "status": "success",
        "code": video.token,
        "extension": extension,
        "playtime": round(duration / 1000) if duration else 0,
        "thumbnail": default_thumbnail(runtime, db, video),
        "streams": streams(runtime, db, video),
    }
