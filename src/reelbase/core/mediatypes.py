"""Content types of the files Reelbase produces (one table for workers and downloads)."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".vtt": "text/vtt",
    ".jpg": "image/jpeg",
}


def content_type_for(name: str | PurePosixPath) -> str:
    suffix = PurePosixPath(str(name)).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0] or "application/octet-stream"
