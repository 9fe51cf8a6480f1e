"""Reading a processing request (Pixop's process-video body) into what it explicitly asks for, before
its source is known (a request may arrive while the source is still being ingested).

Decided here: values outside the table, and real contradictions between values given twice - a resolution
tag or a width/height that describe another frame than the other values, a scanning or frame-rate tag that
explicit values disagree with, a container FFmpeg cannot put the codec in, a pixel format no codec (or the
chosen one) can encode. Values that say the same thing twice are accepted: the document's own example
gives ``hd_1080p`` together with 1920 x 1080 and 16:9, ``interlaced_tff`` with interlaced/top_field, and
``film`` with 24.0 fps. Options that do not apply to what was chosen (a ProRes profile with codec h264, a
clarity boost without a super-resolution scaler, the ``auto`` scanning tag beside explicit values) are
accepted and listed in ``unused``; so are unknown fields when the caller ignores them.

The tables of what FFmpeg 6 can do are checked against the bundled build (``ffmpeg -h encoder=...`` and
real muxing): each impossible pair carries the reason that the refusal quotes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from reelbase.media.errors import InvalidProcessing

CODECS = ("h264", "prores", "dnxhd", "xdcam", "hevc", "mpeg2", "ffv1")
CONTAINERS = ("mov", "mxf", "mp4", "mts")
_TS_DATA = ("MPEG-TS has no stream type for {}: FFmpeg writes it as a private data stream that no player, "
            "FFmpeg included, reads back as video")
NOT_MUXABLE = {
    ("mxf", "hevc"): "FFmpeg 6's MXF muxer has no essence container for HEVC",
    ("mxf", "ffv1"): "FFmpeg 6's MXF muxer has no essence container for FFV1",
    ("mp4", "prores"): "FFmpeg's MP4 muxer has no sample entry for ProRes (a QuickTime codec)",
    ("mp4", "dnxhd"): "FFmpeg's MP4 muxer has no sample entry for DNxHD/HR",
    ("mp4", "ffv1"): "FFmpeg's MP4 muxer has no sample entry for FFV1",
    ("mts", "prores"): _TS_DATA.format("ProRes"),
    ("mts", "dnxhd"): _TS_DATA.format("DNxHD/HR"),
    ("mts", "ffv1"): _TS_DATA.format("FFV1"),
}
CONTAINER_CODECS = {c: tuple(k for k in CODECS if (c, k) not in NOT_MUXABLE) for c in CONTAINERS}
PRORES_PROFILES = {"proxy": 0, "lt": 1, "standard": 2, "hq": 3, "4444": 4, "4444xq": 5}
DNX_PROFILES = ("dnxhd_lb", "dnxhd_sq", "dnxhd_hq", "dnxhd_hqx", "dnxhd_444",
                "dnxhr_lb", "dnxhr_sq", "dnxhr_hq", "dnxhr_hqx", "dnxhr_444")
CHROMA_BASE = {"4:2:0": "yuv420p", "4:2:2": "yuv422p", "4:4:4": "yuv444p", "4:1:1": "yuv411p",
               "4:1:0": "yuv410p", "4:4:0": "yuv440p"}
BIT_DEPTHS = (8, 10, 12, 14, 16)
_FFV1 = {f"{c}{'' if b == 8 else f'{b}le'}" for c in ("yuv420p", "yuv422p", "yuv444p") for b in BIT_DEPTHS}
CODEC_PIX_FMTS = {  # from `ffmpeg -h encoder=...` of ffmpeg 6.0, restricted to planar YUV
    "h264": {"yuv420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv422p10le", "yuv444p10le"},
    "hevc": {"yuv420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv422p10le", "yuv444p10le",
             "yuv420p12le", "yuv422p12le", "yuv444p12le"},
    "mpeg2": {"yuv420p", "yuv422p"},
    "xdcam": {"yuv422p"},
    "ffv1": _FFV1 | {"yuv411p", "yuv410p", "yuv440p", "yuv440p10le", "yuv440p12le"},
}
ENCODERS = {"h264": "libx264", "hevc": "libx265", "prores": "prores_ks", "dnxhd": "dnxhd",
            "xdcam": "mpeg2video", "mpeg2": "mpeg2video", "ffv1": "ffv1"}
SCAN_TAGS = {"auto": None, "progressive": ("progressive", None), "interlaced_tff": ("interlaced", "tff"),
             "interlaced_bff": ("interlaced", "bff")}
DEINTERLACERS = {"deint": "bwdif", "yadif": "yadif", "bwdif": "bwdif", "weston3f": "w3fdif"}
DENOISERS = ("denoise", "hqdn3d")
SCALERS = ("pabsr1", "dvres", "scale")
SUPER_RESOLUTION = ("pabsr1", "dvres")
RESOLUTION_TAGS = {"hd_1080p": (1920, 1080), "uhd_4k": (3840, 2160), "uhd_8k": (7680, 4320),
                   "2x": 2, "3x": 3, "4x": 4}
ASPECT_TAGS = ("display", "storage", "16:9", "4:3")
FIXED_ASPECTS = {"16:9": Fraction(16, 9), "4:3": Fraction(4, 3)}
CLARITY_LEVELS = ("none", "marginal", "very_low", "low", "medium", "high", "very_high")
FRAME_RATE_TAGS = {"film_ntsc": Fraction(24000, 1001), "film": Fraction(24), "video_pal": Fraction(25),
                   "video_ntsc": Fraction(30000, 1001), "video_hd": Fraction(30), "video_pal_fast": Fraction(50),
                   "video_ntsc_fast": Fraction(60000, 1001), "video_hd_fast": Fraction(60)}
FRAME_RATE_CONVERTERS = ("fps", "fblend", "mcinterpolate")
POST_PROCESSORS = ("filmgrain",)
MAX_WIDTH, MAX_HEIGHT, MIN_SIDE = 7680, 4320, 16
ASPECT_TOLERANCE = 0.01  # frames are rounded to even sizes: 854x480 is 16:9
# The request's fields; objects list the keys they take.
FIELDS: dict[str, tuple[str, ...] | None] = {
    "mediaContainerCodec": ("container", "codec"), "appleProresProfile": None, "dnxhdHrProfile": None,
    "scanning": ("tag", "scanningType", "interlacedFieldOrder"), "chromaSubsampling": ("yuv", "bits"),
    "bitrate": ("mbps",), "deinterlacer": None, "denoiser": None, "stabilizer": None, "scaler": None,
    "resolution": ("tag", "width", "height", "aspectRatioTag"), "clarityBoost": None,
    "frameRateConverter": None, "frameRate": ("tag", "fps"), "postProcessor": None,
    "range": ("startPositionMilliseconds", "endPositionMilliseconds"),
}
IGNORED = "not a field of the processing request; ignored"


@dataclass(frozen=True)
class ProcessingRequest:
    """What a request asks for explicitly (None: not given, to be decided from the source)."""

    container: str | None
    codec: str | None
    prores_profile: str | None
    dnx_profile: str | None
    scanning: tuple[str, str | None] | None  # ("interlaced", "tff"), ...; None: auto
    chroma: str | None
    bits: int | None
    mbps: float | None
    deinterlacer: str | None  # ffmpeg filter name
    denoiser: str | None
    stabilizer: str | None
    scaler: str
    clarity: str
    resolution_tag: str | None
    width: int | None
    height: int | None
    aspect: str | None
    frame_rate: Fraction | None
    frame_rate_converter: str | None
    post_processor: str | None
    start_ms: int
    end_ms: int | None
    unused: tuple[tuple[str, str], ...]  # (field, why it does not apply), in the order found


def _obj(params: dict, name: str, unknown: str, unused: list[tuple[str, str]]) -> dict:
    value = params.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidProcessing(name, "must be an object")
    for key in value:
        if key not in (FIELDS[name] or ()):
            if unknown != "ignore":
                raise InvalidProcessing(f"{name}.{key}", "unknown field")
            unused.append((f"{name}.{key}", IGNORED))
    return value


def _choice(value: Any, name: str, allowed: tuple[str, ...] | dict) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise InvalidProcessing(name, f"must be one of {', '.join(allowed)}")
    return value


def _number(value: Any, name: str, low: float, high: float, *, integer: bool = False) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidProcessing(name, "must be a number")
    if integer and value != int(value):
        raise InvalidProcessing(name, "must be a whole number")
    if not low <= value <= high:
        raise InvalidProcessing(name, f"must be between {low:g} and {high:g}")
    return value


def pix_fmt(chroma: str, bits: int) -> str:
    return CHROMA_BASE[chroma] + ("" if bits == 8 else f"{bits}le")


def codec_formats(codec: str, profile: str | None) -> set[str]:
    """Pixel formats FFmpeg encodes for ``codec`` with ``profile`` (ProRes/DNx profiles fix the format)."""
    if codec == "prores":
        return {"yuv444p10le"} if profile in ("4444", "4444xq") else {"yuv422p10le"}
    if codec == "dnxhd":
        profile = profile or "dnxhr_sq"
        return {"yuv444p10le"} if profile.endswith("444") else {"yuv422p10le"} if profile.endswith("hqx") \
            else {"yuv422p"}
    return CODEC_PIX_FMTS[codec]


def default_profile(codec: str, chroma: str, bits: int) -> str | None:
    if codec == "prores":
        return "4444" if chroma == "4:4:4" else "hq" if bits > 8 else "standard"
    if codec == "dnxhd":
        return "dnxhr_444" if chroma == "4:4:4" else "dnxhr_hqx" if bits > 8 else "dnxhr_sq"
    return None


def _profiles(codec: str) -> tuple[str | None, ...]:
    return tuple(PRORES_PROFILES) if codec == "prores" else DNX_PROFILES if codec == "dnxhd" else (None,)


def encodes(codec: str, chroma: str | None, bits: int | None, profile: str | None = None) -> bool:
    """Whether ``codec`` (with ``profile``, or any profile when None) encodes the given chroma/bits."""
    for p in ((profile,) if profile else _profiles(codec)):
        for fmt in codec_formats(codec, p):
            if any(fmt == pix_fmt(c, b) for c in CHROMA_BASE for b in BIT_DEPTHS
                   if (chroma is None or c == chroma) and (bits is None or b == bits)):
                return True
    return False


def _wanted(chroma: str | None, bits: int | None) -> str:
    return " ".join(x for x in (chroma, f"{bits}-bit" if bits else None) if x)


def _capable(chroma: str | None, bits: int | None) -> list[str]:
    return [c for c in CODECS if encodes(c, chroma, bits)]


def refuse_format(codec: str, profile: str | None, chroma: str | None, bits: int | None) -> InvalidProcessing:
    """The refusal of an explicit chroma subsampling/bit depth ``codec`` cannot encode, naming what can."""
    field = "chromaSubsampling.yuv" if chroma and not encodes(codec, chroma, None, profile) else \
        "chromaSubsampling.bits"
    label = codec + (f" ({profile})" if profile else "")
    formats = set().union(*(codec_formats(codec, p) for p in ((profile,) if profile else _profiles(codec))))
    depths: dict[str, list[int]] = {}
    for c in CHROMA_BASE:
        depths[c] = [b for b in BIT_DEPTHS if pix_fmt(c, b) in formats]
    takes = ", ".join(f"{c} at {'/'.join(map(str, bs))} bits" for c, bs in depths.items() if bs)
    what = chroma if field == "chromaSubsampling.yuv" else f"{chroma} at {bits} bits" if chroma else f"{bits} bits"
    message = f"{label} cannot encode {what}: FFmpeg's {ENCODERS[codec]} takes {takes}"
    others = [p for p in _profiles(codec) if p and p != profile and encodes(codec, chroma, bits, p)]
    if profile and others:
        message += f"; the {', '.join(others)} profiles encode {_wanted(chroma, bits)}"
    capable = [c for c in _capable(chroma, bits) if c != codec]
    if capable:
        message += f"; {', '.join(capable)} can encode {_wanted(chroma, bits)}"
    return InvalidProcessing(field, message)


def refuse_pair(container: str, codec: str) -> InvalidProcessing:
    return InvalidProcessing("mediaContainerCodec.codec",
                             f"{codec} cannot be stored in {container}: {NOT_MUXABLE[(container, codec)]}; "
                             f"{container} takes {', '.join(CONTAINER_CODECS[container])}")


def _agrees(w: float, h: float, ratio: Fraction) -> bool:
    return abs(w / h - float(ratio)) <= ASPECT_TOLERANCE * float(ratio)


def _scanning(params: dict, unknown: str, unused: list) -> tuple[str, str | None] | None:
    scanning = _obj(params, "scanning", unknown, unused)
    tag = _choice(scanning.get("tag"), "scanning.tag", SCAN_TAGS)
    kind = _choice(scanning.get("scanningType"), "scanning.scanningType", ("progressive", "interlaced"))
    order_name = _choice(scanning.get("interlacedFieldOrder"), "scanning.interlacedFieldOrder",
                         ("top_field", "bottom_field"))
    order = {"top_field": "tff", "bottom_field": "bff", None: None}[order_name]
    from_tag = SCAN_TAGS[tag] if tag else None
    if order and kind != "interlaced" and not (from_tag and from_tag[0] == "interlaced"):
        raise InvalidProcessing("scanning.interlacedFieldOrder", "only allowed when scanningType is interlaced")
    explicit = None if kind is None else ("progressive", None) if kind == "progressive" else (
        "interlaced", order or (from_tag[1] if from_tag else None) or "tff")
    if tag == "auto" and (kind or order):
        unused.append(("scanning.tag", "auto is replaced by the explicit scanningType/interlacedFieldOrder"))
        return explicit
    if from_tag and (explicit or order):
        if (explicit and from_tag != explicit) or (order and from_tag[1] != order):
            raise InvalidProcessing("scanning.tag", f"{tag} contradicts scanning.scanningType/interlacedFieldOrder "
                                    f"({kind or 'interlaced'}{', ' + order_name if order_name else ''}); "
                                    "give a tag or explicit values")
    return from_tag if tag else explicit


def _resolution(params: dict, unknown: str, unused: list) -> tuple[str | None, int | None, int | None, str | None]:
    res = _obj(params, "resolution", unknown, unused)
    tag = _choice(res.get("tag"), "resolution.tag", RESOLUTION_TAGS)
    width = _number(res.get("width"), "resolution.width", MIN_SIDE, MAX_WIDTH, integer=True)
    height = _number(res.get("height"), "resolution.height", MIN_SIDE, MAX_HEIGHT, integer=True)
    aspect = _choice(res.get("aspectRatioTag"), "resolution.aspectRatioTag", ASPECT_TAGS)
    w = int(width) if width is not None else None
    h = int(height) if height is not None else None
    frame = RESOLUTION_TAGS.get(tag or "")
    if isinstance(frame, tuple):
        for name, given, expected in (("width", w, frame[0]), ("height", h, frame[1])):
            if given is not None and given != expected:
                raise InvalidProcessing("resolution.tag", f"{tag} is {frame[0]}x{frame[1]}, which contradicts "
                                        f"resolution.{name} {given}")
        w, h = frame
    elif not tag and w is None and h is None and aspect:
        raise InvalidProcessing("resolution.aspectRatioTag", "needs resolution.width or resolution.height")
    if aspect in FIXED_ASPECTS and w is not None and h is not None and not _agrees(w, h, FIXED_ASPECTS[aspect]):
        raise InvalidProcessing("resolution.aspectRatioTag", f"{aspect} contradicts the {w}x{h} frame "
                                f"{'of ' + tag if tag else 'of resolution.width and resolution.height'}")
    return tag, (int(width) if width is not None else None), (int(height) if height is not None else None), aspect


def _frame_rate(params: dict, unknown: str, unused: list) -> Fraction | None:
    fr = _obj(params, "frameRate", unknown, unused)
    tag = _choice(fr.get("tag"), "frameRate.tag", FRAME_RATE_TAGS)
    if fr.get("fps") == 0:
        raise InvalidProcessing("frameRate.fps", "must be greater than 0")
    fps = _number(fr.get("fps"), "frameRate.fps", 0.001, 999)
    target = FRAME_RATE_TAGS[tag] if tag else None
    if target is not None and fps is not None and abs(float(target) - fps) > 0.01:
        raise InvalidProcessing("frameRate.tag", f"{tag} is {float(target):.3f} fps, not {fps:g}")
    if target is None and fps is not None:
        target = Fraction(fps).limit_denominator(1001)
    return target


def _range(params: dict, unknown: str, unused: list) -> tuple[int, int | None]:
    rng = _obj(params, "range", unknown, unused)
    start = _number(rng.get("startPositionMilliseconds"), "range.startPositionMilliseconds", 0, 1e12, integer=True)
    end = _number(rng.get("endPositionMilliseconds"), "range.endPositionMilliseconds", 0, 1e12, integer=True)
    if end is not None and end <= (start or 0):
        raise InvalidProcessing("range.endPositionMilliseconds", "must be after startPositionMilliseconds")
    return int(start or 0), (int(end) if end is not None else None)


def parse_processing(params: Any, *, unknown: str = "refuse") -> ProcessingRequest:
    """Check ``params`` against the table alone; ``unknown="ignore"`` lists unknown fields in ``unused``
    instead of refusing them. Raises ``InvalidProcessing(field, message)`` for the first problem found."""
    if not isinstance(params, dict):
        raise InvalidProcessing("body", "must be a JSON object")
    unused: list[tuple[str, str]] = []
    for key in params:
        if key not in FIELDS:
            if unknown != "ignore":
                raise InvalidProcessing(key, "unknown field")
            unused.append((key, IGNORED))
    mcc = _obj(params, "mediaContainerCodec", unknown, unused)
    container = _choice(mcc.get("container"), "mediaContainerCodec.container", CONTAINERS)
    codec = _choice(mcc.get("codec"), "mediaContainerCodec.codec", CODECS)
    if container and codec and (container, codec) in NOT_MUXABLE:
        raise refuse_pair(container, codec)
    prores = _choice(params.get("appleProresProfile"), "appleProresProfile", PRORES_PROFILES)
    dnx = _choice(params.get("dnxhdHrProfile"), "dnxhdHrProfile", DNX_PROFILES)
    cs = _obj(params, "chromaSubsampling", unknown, unused)
    chroma = _choice(cs.get("yuv"), "chromaSubsampling.yuv", CHROMA_BASE)
    bits = cs.get("bits")
    if bits is not None and (isinstance(bits, bool) or bits not in BIT_DEPTHS):
        raise InvalidProcessing("chromaSubsampling.bits", "must be one of 8, 10, 12, 14, 16")
    bits = int(bits) if bits is not None else None
    if chroma or bits:
        _check_format(container, codec, prores if codec == "prores" else dnx if codec == "dnxhd" else None,
                      chroma, bits)
    mbps = _number(_obj(params, "bitrate", unknown, unused).get("mbps"), "bitrate.mbps", 0.01, 4000.0)
    scanning = _scanning(params, unknown, unused)
    if codec and scanning and scanning[0] == "interlaced" and not can_interlace(codec, container):
        raise InvalidProcessing("scanning", interlace_refusal(codec, container))
    scaler = _choice(params.get("scaler"), "scaler", SCALERS) or "scale"
    clarity = _choice(params.get("clarityBoost"), "clarityBoost", CLARITY_LEVELS) or "none"
    if clarity != "none" and scaler not in SUPER_RESOLUTION:
        unused.append(("clarityBoost", f"applies only with the pabsr1 or dvres scaler, not {scaler}"))
        clarity = "none"
    tag, width, height, aspect = _resolution(params, unknown, unused)
    frame_rate = _frame_rate(params, unknown, unused)
    start, end = _range(params, unknown, unused)
    return ProcessingRequest(
        container=container, codec=codec, prores_profile=prores, dnx_profile=dnx, scanning=scanning,
        chroma=chroma, bits=bits, mbps=mbps,
        deinterlacer=DEINTERLACERS.get(_choice(params.get("deinterlacer"), "deinterlacer", DEINTERLACERS) or ""),
        denoiser=_choice(params.get("denoiser"), "denoiser", DENOISERS),
        stabilizer=_choice(params.get("stabilizer"), "stabilizer", ("dejit",)),
        scaler=scaler, clarity=clarity, resolution_tag=tag, width=width, height=height, aspect=aspect,
        frame_rate=frame_rate,
        frame_rate_converter=_choice(params.get("frameRateConverter"), "frameRateConverter", FRAME_RATE_CONVERTERS),
        post_processor=_choice(params.get("postProcessor"), "postProcessor", POST_PROCESSORS),
        start_ms=start, end_ms=end, unused=tuple(unused),
    )


def _check_format(container: str | None, codec: str | None, profile: str | None, chroma: str | None,
                  bits: int | None) -> None:
    """Refuse an explicit chroma/bit depth that the chosen codec, or every codec the container takes, cannot
    encode. Sound before the source is known: a codec's default profile follows the requested format."""
    if codec:
        if not encodes(codec, chroma, bits, profile):
            raise refuse_format(codec, profile, chroma, bits)
        return
    capable = _capable(chroma, bits)
    if not capable:  # no codec of the table: e.g. 4:1:1 at 10 bits
        field = "chromaSubsampling.yuv" if chroma and not _capable(chroma, None) else "chromaSubsampling.bits"
        raise InvalidProcessing(field, f"no codec here encodes {_wanted(chroma, bits)}")
    if container and not any(c in CONTAINER_CODECS[container] for c in capable):
        reasons = "; ".join(NOT_MUXABLE[(container, c)] for c in capable)
        raise InvalidProcessing("chromaSubsampling", f"{_wanted(chroma, bits)} is encoded here only by "
                                f"{', '.join(capable)}, which {container} cannot carry ({reasons}); use mov")


def can_interlace(codec: str, container: str | None) -> bool:
    return codec != "hevc" and not (codec == "prores" and container == "mxf")


def interlace_refusal(codec: str, container: str | None) -> str:
    if codec == "hevc":
        return ("interlaced output is not available for hevc (FFmpeg's libx265 codes frames only); "
                "use h264, mpeg2, xdcam, prores, dnxhd or ffv1")
    return (f"interlaced {codec} in {container} is not available: FFmpeg 6's MXF muxer describes ProRes "
            "as progressive whatever its fields; use mov for interlaced ProRes")
