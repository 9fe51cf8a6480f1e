"""Still images from a video: poster thumbnails, on-demand resizes, and the seek-preview storyboard.

Thumbnails are taken one seek at a time (``-ss`` before the input), so their cost depends on how many are
asked for, not on the length of the video. Each candidate frame is measured with ``signalstats`` in the
same ffmpeg run that writes it; a near-black frame (fade, title card, lens cap) is discarded and a later
moment is tried instead.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from reelbase.media.errors import MediaRejected
from reelbase.media.runner import run_ffmpeg, run_ffprobe, safe_input_args
from reelbase.media.tools import Limits, Tools

MIN_RESIZE_HEIGHT = 260
MAX_RESIZE_HEIGHT = 4320
# A frame is "near-black" when nine pixels in ten have a luma below this value (0-255 scale; video black
# is 16). signalstats' YHIGH is that 90th percentile.
BLACK_YHIGH = 40.0
JPEG_QUALITY = "3"  # mjpeg qscale: 2 (best) .. 31; 3 is visually lossless at thumbnail sizes
_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_STAT_RE = re.compile(r"lavfi\.signalstats\.(YHIGH|YAVG)=([\d.]+)")


@dataclass(frozen=True)
class Thumbnail:
    path: Path
    index: int  # 1..count, in time order
    height: int
    width: int
    time_s: float  # the seek time: the picture is the first frame at or after it


@dataclass(frozen=True)
class Storyboard:
    sprite_path: Path
    vtt_path: Path
    tile_width: int
    tile_height: int
    columns: int
    rows: int
    tiles: int
    interval_s: float


def jpeg_size(path: str | Path) -> tuple[int, int]:
    """(width, height) read from a JPEG's start-of-frame marker."""
    data = Path(path).read_bytes()
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        i += 2 + length
    raise ValueError(f"{path}: no JPEG frame header")


def _thumbnail_heights(source_height: int, heights: tuple[int, ...]) -> list[int]:
    chosen = sorted({h for h in heights if h <= source_height})
    return chosen or [source_height - source_height % 2]


def _scale_to(height: int) -> str:
    # Square pixels at the display aspect ratio, even width (JPEG chroma subsampling wants it).
    return f"scale=w='max(2,trunc(oh*dar/2)*2)':h={height}:flags=lanczos,setsar=1,format=yuvj420p"


def _grab(
    path: Path, time_s: float, outputs: dict[int, Path], *, tools: Tools, limits: Limits | None,
    timeout_s: float,
) -> tuple[float, float] | None:
    """Write the frame at ``time_s`` at every height in ``outputs``; return its (YHIGH, YAVG)."""
    labels = [f"o{h}" for h in outputs]
    graph = (
        f"[0:v:0]format=yuv420p,signalstats,metadata=print,split={len(outputs)}"
        + "".join(f"[s{h}]" for h in outputs) + ";"
        + ";".join(f"[s{h}]{_scale_to(h)}[o{h}]" for h in outputs)
    )
    args = ["-ss", f"{time_s:.3f}", *safe_input_args(path, limits=limits), "-filter_complex", graph]
    for label, out in zip(labels, outputs.values()):
        args += ["-map", f"[{label}]", "-frames:v", "1", "-q:v", JPEG_QUALITY, "-f", "image2", "-update", "1",
                 str(out)]
    stderr = run_ffmpeg(args, tools=tools, timeout_s=timeout_s)
    stats = dict(_STAT_RE.findall(stderr))
    if not all(out.exists() and out.stat().st_size > 0 for out in outputs.values()) or "YHIGH" not in stats:
        return None  # seek landed past the last frame (duration metadata longer than the stream)
    return float(stats["YHIGH"]), float(stats["YAVG"])


def _candidate_times(slot: int, count: int, duration_s: float) -> list[float]:
    """Times to try for one slot: its centre, either side, then onwards through the rest of the video."""
    last = max(0.0, duration_s - 0.1)
    seg = duration_s / count
    centre = seg * (slot + 0.5)
    times = [centre, centre + 0.3 * seg, centre - 0.3 * seg]
    step = max(seg * 0.3, 0.1)
    t = centre + 0.6 * seg
    while t < last and len(times) < 12:
        times.append(t)
        t += step
    return [min(max(0.0, x), last) for x in times]


def extract_thumbnails(
    path: str | Path,
    out_dir: str | Path,
    *,
    tools: Tools,
    code: str,
    duration_s: float,
    source_height: int,
    count: int = 5,
    heights: tuple[int, ...] = (360, 480, 720),
    limits: Limits | None = None,
    timeout_s: float = 300,
) -> list[Thumbnail]:
    """Write ``count`` thumbnails spread over the video, each at every height of ``heights`` that is not
    above ``source_height`` (the displayed height; if all are above it, once at the source height).

    Files are ``{code}_{height}_{nn}.jpg`` (nn = 01..count) in ``out_dir``. Slot *i* takes the frame at the
    centre of the *i*-th of ``count`` equal parts; a near-black frame is replaced by one a little later,
    and if none is found the brightest candidate is kept, so exactly ``count`` indexes are always returned.
    Returns one ``Thumbnail`` per file, ordered by index then height. ``code`` must be a simple token
    (letters, digits, ``-``, ``_``) because it becomes part of file names.
    """
    if not _CODE_RE.fullmatch(code):
        raise ValueError(f"unsafe thumbnail code {code!r}")
    if count < 1:
        raise ValueError("count must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = Path(path)
    chosen_heights = _thumbnail_heights(source_height, heights)
    results: list[Thumbnail] = []
    for slot in range(count):
        final = {h: out_dir / f"{code}_{h}_{slot + 1:02d}.jpg" for h in chosen_heights}
        trial = {h: out_dir / f".{code}_{h}_{slot + 1:02d}.try.jpg" for h in chosen_heights}
        chosen: tuple[float, dict[int, Path]] | None = None
        fallback: tuple[float, float, dict[int, Path]] | None = None  # brightest dark frame: (YAVG, t, files)
        for attempt, t in enumerate(_candidate_times(slot, count, max(duration_s, 0.0)) + [0.0]):
            files = {h: p.with_name(p.name.replace(".try", f".try{attempt}")) for h, p in trial.items()}
            stats = _grab(path, t, files, tools=tools, limits=limits, timeout_s=timeout_s)
            if stats is None:
                _remove(files.values())
                continue
            yhigh, yavg = stats
            if yhigh >= BLACK_YHIGH:
                chosen = (t, files)
                break
            if fallback is None or yavg > fallback[0]:
                if fallback is not None:
                    _remove(fallback[2].values())
                fallback = (yavg, t, files)
            else:
                _remove(files.values())
        if chosen is None:
            if fallback is None:
                raise MediaRejected("corrupt", "no picture could be decoded from the video")
            chosen = fallback[1], fallback[2]
        elif fallback is not None:
            _remove(fallback[2].values())
        t, files = chosen
        for h, tmp in files.items():
            tmp.replace(final[h])
            width, height = jpeg_size(final[h])
            results.append(Thumbnail(path=final[h], index=slot + 1, height=height, width=width,
                                     time_s=round(t, 3)))
    return results


def _remove(paths: object) -> None:
    for p in paths:  # type: ignore[attr-defined]
        Path(p).unlink(missing_ok=True)


def resize_image(src: str | Path, dst: str | Path, *, tools: Tools, height: int, timeout_s: float = 60) -> Path:
    """Write ``src`` (a JPEG we produced) scaled to ``height`` (aspect kept, even width) as JPEG ``dst``.

    Raises ``ValueError`` for a height below 260 or above 4320. The result is written to a temporary name
    and renamed, so a concurrent reader of ``dst`` (a cache) never sees half a file.
    """
    if height < MIN_RESIZE_HEIGHT:
        raise ValueError(f"height {height} is below the minimum {MIN_RESIZE_HEIGHT}")
    if height > MAX_RESIZE_HEIGHT:
        raise ValueError(f"height {height} is above the maximum {MAX_RESIZE_HEIGHT}")
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp.jpg")
    run_ffmpeg(
        ["-protocol_whitelist", "file", "-f", "jpeg_pipe", "-i", f"file:{Path(src).resolve()}",
         "-vf", _scale_to(height), "-frames:v", "1", "-q:v", JPEG_QUALITY, "-f", "image2", "-update", "1",
         str(tmp)],
        tools=tools, timeout_s=timeout_s,
    )
    tmp.replace(dst)
    return dst


def _max_keyframe_gap(path: Path, *, tools: Tools, limits: Limits | None, packets: int = 900) -> float | None:
    """Largest distance between keyframes among the first ``packets`` video packets (demuxing only)."""
    data = run_ffprobe(["-select_streams", "v:0", "-show_entries", "packet=pts_time,flags",
                        "-read_intervals", f"%+#{packets}", *safe_input_args(path, limits=limits)],
                       tools=tools, timeout_s=120)
    keys = sorted(float(p["pts_time"]) for p in data.get("packets", [])
                  if "K" in p.get("flags", "") and p.get("pts_time") not in (None, "N/A"))
    if len(data.get("packets", [])) < packets:  # the whole video was read: its end bounds the last gap
        ends = [float(p["pts_time"]) for p in data.get("packets", []) if p.get("pts_time") not in (None, "N/A")]
        keys.append(max(ends, default=0.0))
    if len(keys) < 2:
        return None
    return max(b - a for a, b in zip(keys, keys[1:]))


def _vtt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def make_storyboard(
    path: str | Path,
    out_dir: str | Path,
    *,
    tools: Tools,
    duration_s: float,
    interval_s: float | None = None,
    tile_width: int = 160,
    columns: int = 10,
    sprite_name: str = "storyboard.jpg",
    vtt_name: str = "storyboard.vtt",
    max_tiles: int = 100,
    limits: Limits | None = None,
    timeout_s: float = 1800,
) -> Storyboard:
    """Write one sprite JPEG of ``tile_width``-wide tiles (``columns`` per row) and a WebVTT map.

    One tile every ``interval_s`` seconds (default: at least 1 s, and at most ``max_tiles`` tiles). Each VTT
    cue covers one interval and points at ``{sprite_name}#xywh=x,y,w,h``; ``sprite_name`` is how the player
    will find the sprite relative to the VTT. When keyframes come at least as often as tiles (checked on the
    first packets, without decoding) only keyframes are decoded (``-skip_frame nokey``): a tile then shows
    the keyframe nearest its time, and a long video is not decoded in full.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    duration_s = max(duration_s, 0.04)
    interval = interval_s or max(1.0, duration_s / max_tiles)
    tiles = max(1, min(max_tiles, math.ceil(duration_s / interval - 1e-9)))
    columns = max(1, min(columns, tiles))
    rows = math.ceil(tiles / columns)
    tile_width -= tile_width % 2
    sprite = out_dir / sprite_name
    gap = _max_keyframe_gap(Path(path), tools=tools, limits=limits)
    skip = ["-skip_frame", "nokey"] if gap is not None and gap <= interval else []
    graph = (
        f"fps=1/{interval:.6f}:round=down:eof_action=pass,"
        f"scale=w={tile_width}:h='max(2,trunc(ow/dar/2)*2)',setsar=1,"
        f"tile={columns}x{rows},format=yuvj420p"
    )
    run_ffmpeg(
        [*skip, *safe_input_args(path, limits=limits), "-map", "0:v:0", "-vf", graph, "-frames:v", "1",
         "-q:v", "4", "-f", "image2", "-update", "1", str(sprite)],
        tools=tools, timeout_s=timeout_s,
    )
    _, sprite_h = jpeg_size(sprite)
    tile_height = sprite_h // rows
    lines = ["WEBVTT", ""]
    for i in range(tiles):
        start, end = i * interval, min(duration_s, (i + 1) * interval)
        x, y = (i % columns) * tile_width, (i // columns) * tile_height
        lines += [f"{_vtt_time(start)} --> {_vtt_time(end)}",
                  f"{sprite_name}#xywh={x},{y},{tile_width},{tile_height}", ""]
    vtt = out_dir / vtt_name
    vtt.write_text("\n".join(lines), encoding="utf-8")
    return Storyboard(sprite_path=sprite, vtt_path=vtt, tile_width=tile_width, tile_height=tile_height,
                      columns=columns, rows=rows, tiles=tiles, interval_s=interval)
