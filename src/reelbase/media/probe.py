"""Reading what an uploaded file is, and refusing what Reelbase will not process.

``probe`` reads container and stream metadata with ffprobe (safe input flags, ``-max_pixels``) and enforces
``Limits``; ``detect_interlace`` runs ffmpeg's ``idet`` heuristic over a sample of frames; ``decode_check``
decodes the video to nowhere with ``-xerror`` so that a damaged stream fails here instead of producing
garbage later. Refusals are ``MediaRejected`` with a code and a message for the uploader.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from reelbase.media.errors import FFmpegError, MediaRejected
from reelbase.media.refusals import (
    TRUNCATED_MESSAGE,
    classify_open_failure,
    is_iso_bmff,
    iso_bmff_truncated,
)
from reelbase.media.runner import run_ffmpeg, run_ffprobe, safe_input_args
from reelbase.media.tools import Limits, Tools

PROBE_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class VideoStream:
    index: int
    codec_name: str
    codec_long_name: str
    profile: str | None
    pix_fmt: str | None
    chroma_subsampling: str | None  # "4:2:0", "4:2:2", "4:4:4", "4:1:1", "4:1:0", "4:4:0", "4:0:0"
    bit_depth: int | None
    width: int
    height: int
    display_aspect_ratio: str  # "16:9"; from the metadata, else the storage aspect ratio
    sample_aspect_ratio: str  # "1:1" when not set
    storage_aspect_ratio: str  # width:height reduced
    rotation: int  # degrees clockwise the player must turn the picture (0, 90, 180, 270)
    field_order: str  # "progressive", "tff", "bff" or "unknown" (display order)
    scan_type: str  # "progressive", "interlaced" or "unknown", from the metadata only
    avg_frame_rate: float
    avg_frame_rate_fraction: str  # "30000/1001"
    total_frames: int
    total_frames_estimated: bool  # False: counted by the muxer (nb_frames / tags); True: duration x fps
    bit_rate: int | None
    stream_size_bytes: int | None
    stream_size_estimated: bool  # True when computed as bit_rate x duration

    @property
    def display_width(self) -> int:
        """Width as shown to the viewer (rotation applied), which is what renditions are planned on."""
        return self.height if self.rotation in (90, 270) else self.width

    @property
    def display_height(self) -> int:
        return self.width if self.rotation in (90, 270) else self.height


@dataclass(frozen=True)
class AudioStream:
    index: int
    codec_name: str
    codec_long_name: str
    channels: int
    channel_layout: str | None
    sample_rate: int
    bit_rate: int | None
    language: str | None


@dataclass(frozen=True)
class ProbeResult:
    format_name: str  # ffmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    format_long_name: str
    duration_ms: int
    size_bytes: int
    bit_rate: int | None
    nb_streams: int
    video: VideoStream
    audio: list[AudioStream] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.duration_ms / 1000

    @property
    def has_audio(self) -> bool:
        return bool(self.audio)


@dataclass(frozen=True)
class InterlaceResult:
    """idet's multi-frame verdict over a sample of frames."""

    scan_type: str  # "progressive", "interlaced" or "unknown"
    field_order: str  # "tff", "bff", "progressive" or "unknown"
    tff: int
    bff: int
    progressive: int
    undetermined: int

    @property
    def frames(self) -> int:
        return self.tff + self.bff + self.progressive + self.undetermined


# --- helpers -------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _pixel_formats(ffprobe: str) -> dict[str, tuple[str, int]]:
    """pix_fmt name -> (chroma subsampling, bit depth), from this ffprobe's own table."""
    data = run_ffprobe(["-show_pixel_formats"], tools=Tools(ffmpeg="", ffprobe=ffprobe), timeout_s=30)
    table: dict[str, tuple[str, int]] = {}
    for fmt in data.get("pixel_formats", []):
        components = fmt.get("components") or [{}]
        depth = int(components[0].get("bit_depth", 0))
        if fmt.get("flags", {}).get("rgb"):
            chroma = "4:4:4"
        elif fmt.get("nb_components", 3) <= 2:
            chroma = "4:0:0"  # gray (with or without alpha)
        else:
            w, h = fmt.get("log2_chroma_w", 0), fmt.get("log2_chroma_h", 0)
            horizontal = 4 >> w
            chroma = f"4:{horizontal}:{horizontal if h == 0 else 0}"
        table[fmt["name"]] = (chroma, depth)
    return table


def _ratio(text: str | None) -> Fraction | None:
    if not text or ":" not in text and "/" not in text:
        return None
    num, _, den = text.replace(":", "/").partition("/")
    try:
        value = Fraction(int(num), int(den))
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


def _ratio_text(value: Fraction) -> str:
    return f"{value.numerator}:{value.denominator}"


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _float(value: object) -> float | None:
    try:
        result = float(str(value))
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def _tag(stream: dict, name: str) -> str | None:
    """A stream tag, also under mkvmerge's per-language names such as NUMBER_OF_FRAMES-eng."""
    for key, value in (stream.get("tags") or {}).items():
        if key.upper() == name or key.upper().startswith(name + "-"):
            return value
    return None


_FIELD_ORDERS = {"progressive": "progressive", "tt": "tff", "bt": "tff", "bb": "bff", "tb": "bff"}


def _rotation(stream: dict) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return int(-round(float(side["rotation"]))) % 360  # ffprobe gives counter-clockwise degrees
    rotate = _int(_tag(stream, "ROTATE"))
    return rotate % 360 if rotate is not None else 0


def _check_limits(video: VideoStream, duration_s: float, nb_streams: int, limits: Limits) -> None:
    if nb_streams > limits.max_streams:
        raise MediaRejected(
            "over_limit", f"the file has {nb_streams} streams, over the limit of {limits.max_streams}"
        )
    if video.width > limits.max_width or video.height > limits.max_height:
        raise MediaRejected(
            "over_limit",
            f"resolution {video.width}x{video.height} over the limit {limits.max_width}x{limits.max_height}",
        )
    if video.width * video.height > limits.max_pixels:
        raise MediaRejected(
            "over_limit",
            f"frame size {video.width}x{video.height} over the limit of {limits.max_pixels:,} pixels",
        )
    if duration_s > limits.max_duration_s:
        raise MediaRejected(
            "over_limit",
            f"duration {_hms(duration_s)} over the limit {_hms(limits.max_duration_s)}",
        )


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _video_stream(stream: dict, *, duration_s: float, pix_table: dict[str, tuple[str, int]]) -> VideoStream:
    width, height = _int(stream.get("width")) or 0, _int(stream.get("height")) or 0
    pix_fmt = stream.get("pix_fmt")
    chroma, depth = pix_table.get(pix_fmt or "", (None, None))
    if depth is None and _int(stream.get("bits_per_raw_sample")):
        depth = _int(stream.get("bits_per_raw_sample"))
    storage = Fraction(width, height) if width and height else Fraction(1)
    sar = _ratio(stream.get("sample_aspect_ratio")) or Fraction(1)
    dar = _ratio(stream.get("display_aspect_ratio")) or storage * sar
    rate = _ratio(stream.get("avg_frame_rate")) or _ratio(stream.get("r_frame_rate")) or Fraction(0)
    field_order = _FIELD_ORDERS.get(stream.get("field_order") or "", "unknown")
    scan_type = {"progressive": "progressive", "unknown": "unknown"}.get(field_order, "interlaced")
    counted = _int(stream.get("nb_frames")) or _int(_tag(stream, "NUMBER_OF_FRAMES"))
    total = counted if counted else max(1, round(duration_s * float(rate))) if rate else 0
    bit_rate = _int(stream.get("bit_rate")) or _int(_tag(stream, "BPS"))
    exact_size = _int(_tag(stream, "NUMBER_OF_BYTES"))
    size = exact_size or (round(bit_rate * duration_s / 8) if bit_rate and duration_s else None)
    return VideoStream(
        index=int(stream.get("index", 0)),
        codec_name=stream.get("codec_name") or "unknown",
        codec_long_name=stream.get("codec_long_name") or "unknown",
        profile=stream.get("profile"),
        pix_fmt=pix_fmt,
        chroma_subsampling=chroma,
        bit_depth=depth,
        width=width,
        height=height,
        display_aspect_ratio=_ratio_text(dar),
        sample_aspect_ratio=_ratio_text(sar),
        storage_aspect_ratio=_ratio_text(storage),
        rotation=_rotation(stream),
        field_order=field_order,
        scan_type=scan_type,
        avg_frame_rate=float(rate),
        avg_frame_rate_fraction=f"{rate.numerator}/{rate.denominator}",
        total_frames=total,
        total_frames_estimated=not counted,
        bit_rate=bit_rate,
        stream_size_bytes=size,
        stream_size_estimated=size is not None and not exact_size,
    )


def _audio_stream(stream: dict) -> AudioStream:
    language = _tag(stream, "LANGUAGE")
    return AudioStream(
        index=int(stream.get("index", 0)),
        codec_name=stream.get("codec_name") or "unknown",
        codec_long_name=stream.get("codec_long_name") or "unknown",
        channels=_int(stream.get("channels")) or 0,
        channel_layout=stream.get("channel_layout"),
        sample_rate=_int(stream.get("sample_rate")) or 0,
        bit_rate=_int(stream.get("bit_rate")) or _int(_tag(stream, "BPS")),
        language=None if language in (None, "und") else language,
    )


# --- public API ----------------------------------------------------------------------------------------


def probe(path: str | Path, *, tools: Tools, limits: Limits, timeout_s: float = PROBE_TIMEOUT_S) -> ProbeResult:
    """Describe the file at ``path`` and check it against ``limits``.

    Raises ``MediaRejected`` with code ``not_a_video`` (empty, text, garbage, no video stream),
    ``truncated`` (an MP4/MOV cut short), ``unsupported_format`` (a container outside ACCEPTED_FORMATS,
    e.g. an HLS playlist named .mp4), ``over_limit`` (streams, resolution, pixels, duration) or
    ``timeout``; ``FFmpegError`` for any other ffprobe failure.
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise MediaRejected("not_a_video", "not a video: the file is empty")
    try:
        data = run_ffprobe(
            ["-show_format", "-show_streams", *safe_input_args(path, limits=limits)],
            tools=tools, timeout_s=timeout_s,
        )
    except FFmpegError as err:
        rejected = classify_open_failure(path, err)
        if rejected is not None:
            raise rejected from err
        raise
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    videos = [
        s for s in streams
        if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
    ]
    if not videos:
        raise MediaRejected("not_a_video", "not a video: no video stream")
    if is_iso_bmff(path) and iso_bmff_truncated(path):
        raise MediaRejected("truncated", TRUNCATED_MESSAGE)
    if not videos[0].get("width") or not videos[0].get("height"):
        codec = videos[0].get("codec_name") or "unknown"
        raise MediaRejected("unsupported_format", f"unsupported format: cannot decode the {codec} video stream")
    duration_s = _float(fmt.get("duration")) or _float(videos[0].get("duration")) or 0.0
    if duration_s <= 0:  # e.g. WebM from a browser's MediaRecorder: no Duration element in the header
        duration_s = packet_duration_s(path, tools=tools, limits=limits, timeout_s=timeout_s)
    video = _video_stream(videos[0], duration_s=duration_s, pix_table=_pixel_formats(tools.ffprobe))
    _check_limits(video, duration_s, len(streams), limits)
    return ProbeResult(
        format_name=fmt.get("format_name") or "unknown",
        format_long_name=fmt.get("format_long_name") or "unknown",
        duration_ms=round(duration_s * 1000),
        size_bytes=size,
        bit_rate=_int(fmt.get("bit_rate")),
        nb_streams=len(streams),
        video=video,
        audio=[_audio_stream(s) for s in streams if s.get("codec_type") == "audio"],
    )


def packet_duration_s(path: Path, *, tools: Tools, limits: Limits, timeout_s: float) -> float:
    """The end time of the last packet (pts + duration, over all streams), read by demuxing only
    (nothing is decoded): the duration of a file whose header does not tell it. The result goes
    through the duration limit like any other."""
    data = run_ffprobe(
        ["-show_entries", "packet=pts_time,duration_time", *safe_input_args(path, limits=limits)],
        tools=tools, timeout_s=timeout_s,
    )
    spans = [((_float(p.get("pts_time")) or 0.0), (_float(p.get("duration_time")) or 0.0))
             for p in data.get("packets") or [] if _float(p.get("pts_time")) is not None]
    if not spans:
        return 0.0
    first = min(start for start, _ in spans)
    return max(0.0, max(start + length for start, length in spans) - first)


_IDET_MULTI = re.compile(
    r"Multi frame detection:\s*TFF:\s*(\d+)\s*BFF:\s*(\d+)\s*Progressive:\s*(\d+)\s*Undetermined:\s*(\d+)"
)


def detect_interlace(
    path: str | Path,
    *,
    tools: Tools,
    sample_frames: int = 200,
    start_s: float = 0.0,
    limits: Limits | None = None,
    timeout_s: float = 600,
) -> InterlaceResult:
    """Guess scanning and field order from the pictures (ffmpeg ``idet``), ignoring the metadata.

    Looks at ``sample_frames`` frames from ``start_s`` (pass e.g. a quarter of the duration to skip
    titles). Interlaced when idet's multi-frame counts of TFF+BFF exceed progressive ones; "unknown" when
    idet could not decide on any frame (static or black pictures carry no combing to detect).
    """
    args = ["-ss", f"{start_s:.3f}"] if start_s > 0 else []
    stderr = run_ffmpeg(
        [*args, *safe_input_args(path, limits=limits), "-map", "0:v:0", "-an", "-sn", "-dn",
         "-frames:v", str(sample_frames), "-vf", "idet", "-f", "null", "-"],
        tools=tools, timeout_s=timeout_s,
    )
    matches = _IDET_MULTI.findall(stderr)
    if not matches:
        raise FFmpegError([tools.ffmpeg, "idet"], 0, "idet printed no summary\n" + stderr[-2048:])
    tff, bff, prog, undetermined = (int(x) for x in matches[-1])
    if tff + bff + prog == 0:
        scan, order = "unknown", "unknown"
    elif tff + bff > prog:
        scan, order = "interlaced", "tff" if tff >= bff else "bff"
    else:
        scan, order = "progressive", "progressive"
    return InterlaceResult(scan, order, tff, bff, prog, undetermined)


def decode_check(
    path: str | Path,
    *,
    tools: Tools,
    limits: Limits,
    seconds: float | None = None,
    timeout_s: float | None = None,
) -> None:
    """Decode the first video stream (all of it, or the first ``seconds``) and discard the frames.

    ``-xerror`` makes a corrupt stream fail instead of exiting 0 with garbage; ``-max_pixels`` refuses
    oversized frames before their buffers exist (a 200 KB file of 8192x8192 frames otherwise needs
    ~500 MB). Raises ``MediaRejected`` with ``over_limit``, ``truncated``, ``corrupt`` or ``timeout``.
    """
    path = Path(path)
    limit_args = ["-t", f"{seconds:.3f}"] if seconds else []
    try:
        run_ffmpeg(
            ["-xerror", *safe_input_args(path, limits=limits), *limit_args,
             "-map", "0:v:0", "-an", "-sn", "-dn", "-f", "null", "-"],
            tools=tools, timeout_s=timeout_s or limits.step_timeout_s,
        )
    except FFmpegError as err:
        rejected = classify_open_failure(path, err)
        if rejected is not None and rejected.code != "not_a_video":
            raise rejected from err
        if "partial file" in err.stderr_tail or (is_iso_bmff(path) and iso_bmff_truncated(path)):
            raise MediaRejected(
                "truncated", TRUNCATED_MESSAGE
            ) from err
        last = err.stderr_tail.strip().splitlines()[-1:] or [""]
        raise MediaRejected(
            "corrupt", f"the video stream is damaged and cannot be decoded ({last[0][:200]})"
        ) from err
