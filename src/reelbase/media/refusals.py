"""Recognising why an input was refused: cut MP4/MOV files, disguised playlists, oversized frames.

ffmpeg reports these as generic errors ("moov atom not found", "Invalid data found when processing input",
"Format not on whitelist"); the functions here turn them into ``MediaRejected`` codes and messages a user
can act on. The MP4/MOV box walk catches a cut upload even when ffprobe opens it without complaint (a
faststart file keeps its index at the front, so only the missing samples betray it).
"""

from __future__ import annotations

import re
from pathlib import Path

from reelbase.media.errors import FFmpegError, MediaRejected

TRUNCATED_MESSAGE = "truncated file: the upload is incomplete, please upload it again"


def is_iso_bmff(path: Path) -> bool:
    """True if the file starts like an MP4/MOV box ("ftyp", "mdat", "moov", "free", "wide", "skip")."""
    with path.open("rb") as f:
        head = f.read(8)
    return len(head) == 8 and head[4:8] in (b"ftyp", b"mdat", b"moov", b"free", b"wide", b"skip")


def iso_bmff_truncated(path: Path) -> bool:
    """True if a top-level MP4/MOV box claims to extend past the end of the file (a cut upload)."""
    size = path.stat().st_size
    offset = 0
    with path.open("rb") as f:
        for _ in range(100_000):  # bound the walk; real files have a handful of top-level boxes
            if offset == size:
                return False
            if offset > size:
                return True
            f.seek(offset)
            header = f.read(16)
            if len(header) < 8:
                return True
            box_size = int.from_bytes(header[:4], "big")
            if box_size == 1:
                if len(header) < 16:
                    return True
                box_size = int.from_bytes(header[8:16], "big")
            elif box_size == 0:
                return False  # "extends to the end of the file"
            if box_size < 8:
                return False  # not a box structure we understand; let the decoder judge it
            offset += box_size
    return False


def classify_open_failure(path: Path, err: FFmpegError) -> MediaRejected | None:
    """Turn an ffprobe/ffmpeg failure to open the input into a user-facing refusal, if it is one."""
    tail = err.stderr_tail
    whitelisted = re.search(r"\[([\w,]+) @ [^\]]+\] Format not on whitelist", tail)
    if whitelisted:
        name = whitelisted.group(1).split(",")[0]
        return MediaRejected(
            "unsupported_format",
            f"unsupported format: {name} files are not accepted; upload a video file "
            "(MP4, MOV, MKV, WebM, AVI, MPEG-TS, FLV, WMV, OGG, MPEG, MXF or DV)",
        )
    pixels = re.search(r"Picture size (\d+)x(\d+) exceeds specified max pixel count (\d+)", tail)
    if pixels:
        w, h, limit = pixels.groups()
        return MediaRejected(
            "over_limit", f"frame size {w}x{h} over the limit of {int(limit):,} pixels per frame"
        )
    if "moov atom not found" in tail and is_iso_bmff(path):
        return MediaRejected("truncated", TRUNCATED_MESSAGE)
    if "Invalid data found when processing input" in tail or "moov atom not found" in tail:
        return MediaRejected("not_a_video", "not a video: the file is not in a recognised video format")
    return None
