"""Validating a processing request (Pixop's process-video body) into a concrete ``ProcessingSpec``.

Everything that can be decided without running ffmpeg is decided here, before any work starts: unknown
fields, values outside the table, contradictions (width + height + aspect tag; a tag together with explicit
values that disagree; a ProRes profile with another codec; fps 0; end before start; a clip past the end),
and what a codec cannot do (4:1:1 in H.264, 8-bit ProRes, 50 Mb/s being the only XDCAM HD422 rate).
Errors are ``InvalidProcessing(field, message)`` with the field as a dotted path of the request.

Defaults follow the table: chroma subsampling, bit depth, frame rate and scanning are inherited from the
source; container and codec from the source's when the pair is possible, otherwise mov/mp4 + H.264; the
bitrate is derived from the source's bits per pixel (see ``_auto_bitrate``). When an *inherited* value is
impossible for the codec (8-bit into ProRes) the nearest possible one is used; an *explicit* one is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from reelbase.media.errors import InvalidProcessing
from reelbase.media.probe import InterlaceResult, ProbeResult

CONTAINER_CODECS = {
    "mov": ("h264", "prores", "dnxhd", "xdcam", "hevc", "mpeg2", "ffv1"),
    "mxf": ("h264", "dnxhd", "xdcam", "mpeg2"),  # ffmpeg 6's MXF muxer cannot carry ProRes, HEVC or FFV1
    "mp4": ("h264", "hevc", "mpeg2"),
    "mts": ("h264", "hevc", "mpeg2", "xdcam"),
}
PRORES_PROFILES = {"proxy": 0, "lt": 1, "standard": 2, "hq": 3, "4444": 4, "4444xq": 5}
DNX_PROFILES = ("dnxhd_lb", "dnxhd_sq", "dnxhd_hq", "dnxhd_hqx", "dnxhd_444",
                "dnxhr_lb", "dnxhr_sq", "dnxhr_hq", "dnxhr_hqx", "dnxhr_444")
DNXHD_SIZES = ((1920, 1080), (1280, 720), (1440, 1080), (960, 720))  # frame sizes DNxHD (not HR) defines
XDCAM_SIZES = ((1920, 1080), (1280, 720))
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
SCAN_TAGS = {"auto": None, "progressive": ("progressive", None), "interlaced_tff": ("interlaced", "tff"),
             "interlaced_bff": ("interlaced", "bff")}
DEINTERLACERS = {"deint": "bwdif", "yadif": "yadif", "bwdif": "bwdif", "weston3f": "w3fdif"}
DENOISERS = ("denoise", "hqdn3d")
SCALERS = ("pabsr1", "dvres", "scale")
RESOLUTION_TAGS = {"hd_1080p": (1920, 1080), "uhd_4k": (3840, 2160), "uhd_8k": (7680, 4320),
                   "2x": 2, "3x": 3, "4x": 4}
ASPECT_TAGS = ("display", "storage", "16:9", "4:3")
CLARITY_LEVELS = ("none", "marginal", "very_low", "low", "medium", "high", "very_high")
FRAME_RATE_TAGS = {"film_ntsc": Fraction(24000, 1001), "film": Fraction(24), "video_pal": Fraction(25),
                   "video_ntsc": Fraction(30000, 1001), "video_hd": Fraction(30), "video_pal_fast": Fraction(50),
                   "video_ntsc_fast": Fraction(60000, 1001), "video_hd_fast": Fraction(60)}
FRAME_RATE_CONVERTERS = ("fps", "fblend", "mcinterpolate")
POST_PROCESSORS = ("filmgrain",)
MAX_WIDTH, MAX_HEIGHT, MIN_SIDE = 7680, 4320, 16
# Relative bits needed for the same quality, H.264 = 1 (rough industry rules of thumb).
CODEC_EFFICIENCY = {"h264": 1.0, "hevc": 0.6, "mpeg2": 2.0, "xdcam": 2.0, "vp9": 0.65, "av1": 0.5,
                    "mpeg4": 1.4}
_FIELDS = {"mediaContainerCodec", "appleProresProfile", "dnxhdHrProfile", "scanning", "chromaSubsampling",
           "bitrate", "deinterlacer", "denoiser", "stabilizer", "scaler", "resolution", "clarityBoost",
           "frameRateConverter", "frameRate", "postProcessor", "range"}


@dataclass(frozen=True)
class ProcessingSpec:
    """A processing request resolved against its source: every choice made, nothing left to default."""

    container: str
    codec: str
    prores_profile: str | None
    dnx_profile: str | None
    chroma_subsampling: str
    bit_depth: int
    pix_fmt: str
    bitrate: int | None  # bit/s; None where the codec fixes it (ProRes, DNx, FFV1)
    width: int
    height: int
    fit: str  # "exact" (square pixels), "pad" (fit inside and letterbox), "keep_sar" (k x the source)
    scan_type: str  # output: "progressive" or "interlaced"
    field_order: str | None  # "tff" / "bff" when interlaced
    deinterlacer: str | None  # ffmpeg filter name, also set when auto mode must deinterlace
    denoiser: str | None
    stabilizer: str | None
    scaler: str  # "scale", "pabsr1" or "dvres"
    clarity_boost: str
    frame_rate: Fraction  # output frames per second
    frame_rate_converter: str | None  # None: the frame rate is unchanged
    post_processor: str | None
    start_ms: int
    end_ms: int
    source_width: int
    source_height: int
    source_frame_rate: Fraction
    source_dar: Fraction
    source_interlaced: bool
    source_field_order: str | None
    has_audio: bool
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return (self.end_ms - self.start_ms) / 1000


def _obj(params: dict, name: str) -> dict:
    value = params.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidProcessing(name, "must be an object")
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


def _even(x: float) -> int:
    return max(MIN_SIDE, int(round(x / 2)) * 2)


def _pix_fmt(chroma: str, bits: int) -> str:
    return CHROMA_BASE[chroma] + ("" if bits == 8 else f"{bits}le")


def _codec_formats(codec: str, prores: str | None, dnx: str | None) -> set[str]:
    if codec == "prores":
        return {"yuv444p10le"} if prores in ("4444", "4444xq") else {"yuv422p10le"}
    if codec == "dnxhd":
        assert dnx is not None
        return {"yuv444p10le"} if dnx.endswith("444") else {"yuv422p10le"} if dnx.endswith("hqx") else {"yuv422p"}
    return CODEC_PIX_FMTS[codec]


def _container_and_codec(params: dict, source: ProbeResult) -> tuple[str, str]:
    mcc = _obj(params, "mediaContainerCodec")
    unknown = set(mcc) - {"container", "codec"}
    if unknown:
        raise InvalidProcessing(f"mediaContainerCodec.{sorted(unknown)[0]}", "unknown field")
    container = _choice(mcc.get("container"), "mediaContainerCodec.container", CONTAINER_CODECS)
    codec = _choice(mcc.get("codec"), "mediaContainerCodec.codec", CONTAINER_CODECS["mov"])
    src_codec = {"h264": "h264", "hevc": "hevc", "prores": "prores", "dnxhd": "dnxhd",
                 "mpeg2video": "mpeg2", "ffv1": "ffv1"}.get(source.video.codec_name)
    src_container = "mxf" if "mxf" in source.format_name else "mts" if "mpegts" in source.format_name else (
        "mp4" if source.format_name.startswith("mov") and src_codec in CONTAINER_CODECS["mp4"] else "mov")
    if container and codec:
        if codec not in CONTAINER_CODECS[container]:
            raise InvalidProcessing("mediaContainerCodec.codec",
                                    f"{codec} cannot be stored in {container}; "
                                    f"{container} takes {', '.join(CONTAINER_CODECS[container])}")
        return container, codec
    if container:
        choices = CONTAINER_CODECS[container]
        return container, src_codec if src_codec in choices else ("mpeg2" if container == "mxf" else "h264")
    if codec:
        if codec in CONTAINER_CODECS[src_container]:
            return src_container, codec
        return next(c for c in ("mov", "mp4", "mxf", "mts") if codec in CONTAINER_CODECS[c]), codec
    codec = src_codec or "h264"
    return (src_container, codec) if codec in CONTAINER_CODECS[src_container] else ("mov", codec)


def _scanning(params: dict) -> tuple[str, str | None] | None:
    """The requested output scanning, or None for auto."""
    scanning = _obj(params, "scanning")
    unknown = set(scanning) - {"tag", "scanningType", "interlacedFieldOrder"}
    if unknown:
        raise InvalidProcessing(f"scanning.{sorted(unknown)[0]}", "unknown field")
    tag = _choice(scanning.get("tag"), "scanning.tag", SCAN_TAGS)
    kind = _choice(scanning.get("scanningType"), "scanning.scanningType", ("progressive", "interlaced"))
    order_name = _choice(scanning.get("interlacedFieldOrder"), "scanning.interlacedFieldOrder",
                         ("top_field", "bottom_field"))
    order = {"top_field": "tff", "bottom_field": "bff", None: None}[order_name]
    if order and kind != "interlaced" and not (tag or "").startswith("interlaced"):
        raise InvalidProcessing("scanning.interlacedFieldOrder", "only allowed when scanningType is interlaced")
    explicit = None if kind is None else ("progressive", None) if kind == "progressive" else (
        "interlaced", order or "tff")
    from_tag = SCAN_TAGS[tag] if tag else None
    if tag and (explicit or order):
        if from_tag is None or (explicit and from_tag[0] != explicit[0]) or (order and from_tag[1] != order):
            raise InvalidProcessing("scanning.tag", "contradicts scanning.scanningType/interlacedFieldOrder; "
                                    "give a tag or explicit values")
    return from_tag if tag else explicit


def _resolution(params: dict, source: ProbeResult) -> tuple[int, int, str]:
    res = _obj(params, "resolution")
    unknown = set(res) - {"tag", "width", "height", "aspectRatioTag"}
    if unknown:
        raise InvalidProcessing(f"resolution.{sorted(unknown)[0]}", "unknown field")
    tag = _choice(res.get("tag"), "resolution.tag", RESOLUTION_TAGS)
    width = _number(res.get("width"), "resolution.width", MIN_SIDE, MAX_WIDTH, integer=True)
    height = _number(res.get("height"), "resolution.height", MIN_SIDE, MAX_HEIGHT, integer=True)
    aspect = _choice(res.get("aspectRatioTag"), "resolution.aspectRatioTag", ASPECT_TAGS)
    sw, sh = source.video.display_width, source.video.display_height
    if tag:
        if width is not None or height is not None or aspect:
            raise InvalidProcessing("resolution.tag", "give either a tag or width/height, not both")
        preset = RESOLUTION_TAGS[tag]
        if isinstance(preset, tuple):
            return preset[0], preset[1], "pad"
        w, h = sw * preset, sh * preset
        if w > MAX_WIDTH or h > MAX_HEIGHT:
            raise InvalidProcessing("resolution.tag", f"{tag} of {sw}x{sh} is {w}x{h}, over the maximum "
                                    f"{MAX_WIDTH}x{MAX_HEIGHT}")
        return _even(w), _even(h), "keep_sar"
    if width is None and height is None:
        if aspect:
            raise InvalidProcessing("resolution.aspectRatioTag", "needs resolution.width or resolution.height")
        return _even(sw), _even(sh), "keep_sar"
    if width is not None and height is not None:
        if aspect:
            raise InvalidProcessing("resolution.aspectRatioTag",
                                    "width, height and an aspect ratio tag together are contradictory")
        return _even(width), _even(height), "exact"
    dar = display_dar(source)
    ratio = {"display": dar, "storage": Fraction(sw, sh), "16:9": Fraction(16, 9), "4:3": Fraction(4, 3),
             None: dar}[aspect]
    w, h = (width, width / ratio) if width is not None else (height * ratio, height)
    if w > MAX_WIDTH or h > MAX_HEIGHT:
        raise InvalidProcessing("resolution.width" if width is not None else "resolution.height",
                                f"{round(w)}x{round(h)} is over the maximum {MAX_WIDTH}x{MAX_HEIGHT}")
    return _even(w), _even(h), "exact"


def display_dar(source: ProbeResult) -> Fraction:
    """The display aspect ratio as the viewer sees it (rotation applied)."""
    dar = Fraction(source.video.display_aspect_ratio.replace(":", "/"))
    return 1 / dar if source.video.rotation in (90, 270) else dar


def _frame_rate(params: dict, source_fps: Fraction) -> tuple[Fraction, str | None]:
    fr = _obj(params, "frameRate")
    unknown = set(fr) - {"tag", "fps"}
    if unknown:
        raise InvalidProcessing(f"frameRate.{sorted(unknown)[0]}", "unknown field")
    tag = _choice(fr.get("tag"), "frameRate.tag", FRAME_RATE_TAGS)
    if fr.get("fps") == 0:
        raise InvalidProcessing("frameRate.fps", "must be greater than 0")
    fps = _number(fr.get("fps"), "frameRate.fps", 0.001, 999)
    converter = _choice(params.get("frameRateConverter"), "frameRateConverter", FRAME_RATE_CONVERTERS)
    target = FRAME_RATE_TAGS[tag] if tag else None
    if tag and fps is not None and abs(float(target) - fps) > 0.01:
        raise InvalidProcessing("frameRate.tag", f"{tag} is {float(target):.3f} fps, not {fps:g}")
    if target is None and fps is not None:
        target = Fraction(fps).limit_denominator(1001)
    if target is None:
        return source_fps, converter  # a converter alone makes a variable rate constant
    return target, converter or "fps"


def _auto_bitrate(source: ProbeResult, codec: str, width: int, height: int, fps: Fraction) -> int:
    """Bits/s for lossy codecs: the source's bits per pixel (normalised to H.264 by ``CODEC_EFFICIENCY``,
    clamped to 0.04-0.25, intra-only sources counting as 0.25) carried to the output size, rate and codec."""
    v = source.video
    pixels_per_s = v.width * v.height * max(v.avg_frame_rate, 1.0)
    src_bits = v.bit_rate or source.bit_rate
    eff = CODEC_EFFICIENCY.get(v.codec_name.replace("mpeg2video", "mpeg2"))
    bpp = 0.25 if eff is None else min(0.25, max(0.04, (src_bits or 0.1 * pixels_per_s * eff) / pixels_per_s / eff))
    return int(round(bpp * CODEC_EFFICIENCY[codec] * width * height * float(fps), -3))


def _clip_range(params: dict, duration_ms: int) -> tuple[int, int]:
    rng = _obj(params, "range")
    if set(rng) - {"startPositionMilliseconds", "endPositionMilliseconds"}:
        raise InvalidProcessing("range", "only startPositionMilliseconds and endPositionMilliseconds")
    start = _number(rng.get("startPositionMilliseconds"), "range.startPositionMilliseconds", 0, 1e12, integer=True)
    end = _number(rng.get("endPositionMilliseconds"), "range.endPositionMilliseconds", 0, 1e12, integer=True)
    start, end = int(start or 0), int(end if end is not None else duration_ms)
    if start >= duration_ms:
        raise InvalidProcessing("range.startPositionMilliseconds",
                                f"{start} ms is past the end of the {duration_ms} ms video")
    if end > duration_ms:
        raise InvalidProcessing("range.endPositionMilliseconds",
                                f"{end} ms is past the end of the {duration_ms} ms video")
    if end <= start:
        raise InvalidProcessing("range.endPositionMilliseconds", "must be after startPositionMilliseconds")
    return start, end


def validate_processing(params: dict, *, source: ProbeResult,
                        interlace: InterlaceResult | None = None) -> ProcessingSpec:
    """Check ``params`` (Pixop's process-video body) against the table and the ``source``; resolve defaults.

    ``interlace`` (from ``detect_interlace``) decides the source's scanning when its metadata does not.
    Raises ``InvalidProcessing(field, message)`` for the first problem found; does no ffmpeg work.
    """
    if not isinstance(params, dict):
        raise InvalidProcessing("body", "must be a JSON object")
    for key in params:
        if key not in _FIELDS:
            raise InvalidProcessing(key, "unknown field")
    v = source.video
    container, codec = _container_and_codec(params, source)
    prores = _choice(params.get("appleProresProfile"), "appleProresProfile", PRORES_PROFILES)
    dnx = _choice(params.get("dnxhdHrProfile"), "dnxhdHrProfile", DNX_PROFILES)
    if prores and codec != "prores":
        raise InvalidProcessing("appleProresProfile", f"only allowed with codec prores, not {codec}")
    if dnx and codec != "dnxhd":
        raise InvalidProcessing("dnxhdHrProfile", f"only allowed with codec dnxhd, not {codec}")
    cs = _obj(params, "chromaSubsampling")
    if set(cs) - {"yuv", "bits"}:
        raise InvalidProcessing(f"chromaSubsampling.{sorted(set(cs) - {'yuv', 'bits'})[0]}", "unknown field")
    chroma_req = _choice(cs.get("yuv"), "chromaSubsampling.yuv", CHROMA_BASE)
    bits_req = cs.get("bits")
    if bits_req is not None and (isinstance(bits_req, bool) or bits_req not in BIT_DEPTHS):
        raise InvalidProcessing("chromaSubsampling.bits", "must be one of 8, 10, 12, 14, 16")
    chroma = chroma_req or (v.chroma_subsampling if v.chroma_subsampling in CHROMA_BASE else "4:2:0")
    bits = int(bits_req or (v.bit_depth if v.bit_depth in BIT_DEPTHS else 8))
    if codec == "prores" and not prores:
        prores = "4444" if chroma == "4:4:4" else "hq" if bits > 8 else "standard"
    if codec == "dnxhd" and not dnx:
        dnx = "dnxhr_444" if chroma == "4:4:4" else "dnxhr_hqx" if bits > 8 else "dnxhr_sq"
    formats = _codec_formats(codec, prores, dnx)
    wanted = _pix_fmt(chroma, bits)
    if wanted not in formats:
        label = codec + (f" ({prores or dnx})" if prores or dnx else "")
        possible = sorted({(c, b) for c in CHROMA_BASE for b in BIT_DEPTHS if _pix_fmt(c, b) in formats})
        if chroma_req and not any(c == chroma for c, _ in possible):
            raise InvalidProcessing("chromaSubsampling.yuv", f"{label} cannot encode {chroma}; possible: "
                                    f"{', '.join(sorted({c for c, _ in possible}))}")
        if bits_req and not any(b == bits and (c == chroma or not chroma_req) for c, b in possible):
            raise InvalidProcessing("chromaSubsampling.bits", f"{label} cannot encode {chroma} at {bits} bits; "
                                    f"possible: {', '.join(f'{c} {b}-bit' for c, b in possible)}")
        chroma, bits = min(possible, key=lambda cb: (cb[0] != chroma, abs(cb[1] - bits), -cb[1]))
    width, height, fit = _resolution(params, source)
    if codec == "xdcam" and (width, height) not in XDCAM_SIZES:
        if _obj(params, "resolution"):
            raise InvalidProcessing("resolution", "XDCAM HD422 is 1920x1080 or 1280x720")
        width, height, fit = (1920, 1080, "pad") if v.display_height > 720 else (1280, 720, "pad")
    if dnx and dnx.startswith("dnxhd_"):
        sizes = DNXHD_SIZES[:1] if dnx == "dnxhd_444" else DNXHD_SIZES[:2] if dnx == "dnxhd_hqx" else DNXHD_SIZES
        if (width, height) not in sizes:
            raise InvalidProcessing("dnxhdHrProfile", f"{dnx} needs a frame of "
                                    f"{' or '.join(f'{w}x{h}' for w, h in sizes)}, not {width}x{height}; "
                                    "DNxHR profiles take any size")
    source_fps = Fraction(v.avg_frame_rate_fraction) if v.avg_frame_rate > 0 else Fraction(25)
    frame_rate, converter = _frame_rate(params, source_fps)
    mbps = _number(_obj(params, "bitrate").get("mbps"), "bitrate.mbps", 0.01, 4000.0)
    if set(_obj(params, "bitrate")) - {"mbps"}:
        raise InvalidProcessing("bitrate", "only mbps is accepted")
    if mbps is not None and codec in ("prores", "dnxhd", "ffv1"):
        raise InvalidProcessing("bitrate.mbps", f"the {codec} bitrate follows from its profile; leave it out")
    if mbps is not None and codec == "xdcam" and abs(mbps - 50) > 1e-9:
        raise InvalidProcessing("bitrate.mbps", "XDCAM HD422 is 50 Mb/s")
    bitrate = None if codec in ("prores", "dnxhd", "ffv1") else 50_000_000 if codec == "xdcam" else (
        int(mbps * 1_000_000) if mbps is not None else _auto_bitrate(source, codec, width, height, frame_rate))
    deinterlacer = DEINTERLACERS.get(_choice(params.get("deinterlacer"), "deinterlacer", DEINTERLACERS) or "")
    denoiser = _choice(params.get("denoiser"), "denoiser", DENOISERS)
    stabilizer = _choice(params.get("stabilizer"), "stabilizer", ("dejit",))
    scaler = _choice(params.get("scaler"), "scaler", SCALERS) or "scale"
    clarity = _choice(params.get("clarityBoost"), "clarityBoost", CLARITY_LEVELS) or "none"
    if clarity != "none" and scaler not in ("pabsr1", "dvres"):
        raise InvalidProcessing("clarityBoost", "only applies with the pabsr1 or dvres scaler")
    post = _choice(params.get("postProcessor"), "postProcessor", POST_PROCESSORS)
    start, end = _clip_range(params, source.duration_ms)
    src_interlaced = v.scan_type == "interlaced" or (
        v.scan_type == "unknown" and interlace is not None and interlace.scan_type == "interlaced")
    src_order = v.field_order if v.field_order in ("tff", "bff") else (
        interlace.field_order if interlace and interlace.field_order in ("tff", "bff") else None)
    requested = _scanning(params)
    reworked = bool(deinterlacer or denoiser or stabilizer or converter or post or clarity != "none"
                    or (width, height) != (_even(v.display_width), _even(v.display_height)) or scaler != "scale")
    if requested is None:  # auto: keep the source's scanning unless the picture is being reworked
        requested = ("interlaced", src_order or "tff") if src_interlaced and not reworked else ("progressive", None)
    scan_type, field_order = requested
    if scan_type == "interlaced" and codec == "hevc":
        raise InvalidProcessing("scanning", "interlaced output is not available for hevc; use h264, mpeg2, "
                                "xdcam, prores, dnxhd or ffv1")
    if src_interlaced and not deinterlacer and (
            reworked or scan_type == "progressive" or field_order != (src_order or "tff")):
        deinterlacer = "bwdif"  # filters, progressive output and a field swap need whole frames
    return ProcessingSpec(
        container=container, codec=codec, prores_profile=prores, dnx_profile=dnx,
        chroma_subsampling=chroma, bit_depth=bits, pix_fmt=_pix_fmt(chroma, bits), bitrate=bitrate,
        width=width, height=height, fit=fit, scan_type=scan_type, field_order=field_order,
        deinterlacer=deinterlacer, denoiser=denoiser, stabilizer=stabilizer, scaler=scaler,
        clarity_boost=clarity, frame_rate=frame_rate, frame_rate_converter=converter, post_processor=post,
        start_ms=start, end_ms=end, source_width=v.display_width, source_height=v.display_height,
        source_frame_rate=source_fps, source_dar=display_dar(source), source_interlaced=src_interlaced,
        source_field_order=src_order,
        has_audio=source.has_audio, request=dict(params),
    )
