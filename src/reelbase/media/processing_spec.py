"""Resolving a processing request (Pixop's process-video body) against its source into a ``ProcessingSpec``.

``processing_request.parse_processing`` first checks what the request alone decides; here the source
decides the rest, before any work starts: the defaults, and what depends on the source's size, rate and
duration (a ``2x`` tag past 8K, a width that contradicts ``2x``, ``display`` against a frame of another
shape, a clip past the end, a ProRes bitrate outside what its encoder can target at that size).
Errors are ``InvalidProcessing(field, message)`` with the field as a dotted path of the request.

Defaults follow the table and its note ("Any of container, codec, chroma subsampling and bitrate will be
assumed based on source video metadata and target resolution when not specified"): chroma subsampling,
bit depth, frame rate and scanning are inherited from the source; the codec is the source's when the
container takes it and it can encode the requested pixel format (else the first that can: H.264, HEVC,
then FFV1, the only one for 4:1:1 or 14/16 bits; a lone ProRes or DNx profile picks its codec); the
container is the source's when it can carry the codec, else mov; the bitrate is derived from the source's
bits per pixel (``_auto_bitrate``). When an *inherited* value is impossible for the codec (8-bit into
ProRes) the nearest possible one is used; an *explicit* one is refused, naming what could encode it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from reelbase.media.errors import InvalidProcessing
from reelbase.media.probe import InterlaceResult, ProbeResult
from reelbase.media.processing_request import (  # noqa: F401 - the tables, for the pages' forms
    ASPECT_TAGS,
    BIT_DEPTHS,
    CHROMA_BASE,
    CLARITY_LEVELS,
    CODECS,
    CONTAINER_CODECS,
    DEINTERLACERS,
    DENOISERS,
    DNX_PROFILES,
    FIXED_ASPECTS,
    FRAME_RATE_CONVERTERS,
    FRAME_RATE_TAGS,
    MAX_HEIGHT,
    MAX_WIDTH,
    MIN_SIDE,
    POST_PROCESSORS,
    PRORES_PROFILES,
    RESOLUTION_TAGS,
    SCALERS,
    SCAN_TAGS,
    SUPER_RESOLUTION,
    ProcessingRequest,
    can_interlace,
    codec_formats,
    default_profile,
    encodes,
    interlace_refusal,
    parse_processing,
    pix_fmt,
    refuse_format,
)

DNXHD_SIZES = ((1920, 1080), (1280, 720), (1440, 1080), (960, 720))  # frame sizes DNxHD (not HR) defines
XDCAM_SIZES = ((1920, 1080), (1280, 720))
# Relative bits needed for the same quality, H.264 = 1 (rough industry rules of thumb).
CODEC_EFFICIENCY = {"h264": 1.0, "hevc": 0.6, "mpeg2": 2.0, "xdcam": 2.0, "vp9": 0.65, "av1": 0.5,
                    "mpeg4": 1.4}
NO_BITRATE = ("prores", "dnxhd", "ffv1")  # without a requested bitrate their profile (or losslessness) decides
PRORES_BITS_PER_MB = (128, 8192)  # what FFmpeg's prores_ks accepts as -bits_per_mb


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
    bitrate: int | None  # bit/s; None where the codec fixes it (DNx, FFV1, ProRes unless one was asked for)
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
    unused: tuple[tuple[str, str], ...] = ()  # (request field, why it was not used)

    @property
    def duration_s(self) -> float:
        return (self.end_ms - self.start_ms) / 1000


def _even(x: float) -> int:
    return max(MIN_SIDE, int(round(x / 2)) * 2)


def display_dar(source: ProbeResult) -> Fraction:
    """The display aspect ratio as the viewer sees it (rotation applied)."""
    dar = Fraction(source.video.display_aspect_ratio.replace(":", "/"))
    return 1 / dar if source.video.rotation in (90, 270) else dar


def prores_macroblocks(width: int, height: int) -> int:
    return math.ceil(width / 16) * math.ceil(height / 16)


def prores_bits_per_mb(bitrate: int, width: int, height: int, fps: Fraction) -> int:
    """The prores_ks ``-bits_per_mb`` that targets ``bitrate`` at this frame size and rate."""
    return int(round(bitrate / (float(fps) * prores_macroblocks(width, height))))


def _source_codec_and_container(source: ProbeResult) -> tuple[str | None, str]:
    codec = {"h264": "h264", "hevc": "hevc", "prores": "prores", "dnxhd": "dnxhd",
             "mpeg2video": "mpeg2", "ffv1": "ffv1"}.get(source.video.codec_name)
    fmt = source.format_name
    container = "mxf" if "mxf" in fmt else "mts" if "mpegts" in fmt else (
        "mp4" if fmt.startswith("mov") and codec in CONTAINER_CODECS["mp4"] else "mov")
    return codec, container


def _profile_of(req: ProcessingRequest, codec: str) -> str | None:
    return req.prores_profile if codec == "prores" else req.dnx_profile if codec == "dnxhd" else None


def _choose_codec(req: ProcessingRequest, container: str | None, src_codec: str | None) -> str:
    allowed = CONTAINER_CODECS[container] if container else CODECS
    by_profile = "prores" if req.prores_profile and not req.dnx_profile else (
        "dnxhd" if req.dnx_profile and not req.prores_profile else None)
    order = [by_profile, src_codec, "mpeg2" if container == "mxf" else "h264", "h264", "hevc", "ffv1", *CODECS]
    candidates = list(dict.fromkeys(c for c in order if c and c in allowed))
    if req.mbps is not None:  # a requested bitrate: codecs that take one first
        candidates.sort(key=lambda c: c in ("dnxhd", "ffv1"))
    if req.chroma or req.bits:
        fitting = [c for c in candidates if encodes(c, req.chroma, req.bits, _profile_of(req, c))]
        if fitting:
            return fitting[0]
    return candidates[0]


def _container_and_codec(req: ProcessingRequest, source: ProbeResult) -> tuple[str, str]:
    src_codec, src_container = _source_codec_and_container(source)
    codec = req.codec or _choose_codec(req, req.container, src_codec)
    if req.container:
        return req.container, codec
    if codec in CONTAINER_CODECS[src_container]:
        return src_container, codec
    return next(c for c in ("mov", "mp4", "mxf", "mts") if codec in CONTAINER_CODECS[c]), codec


def _pixel_format(codec: str, profile: str | None, req: ProcessingRequest,
                  source: ProbeResult) -> tuple[str, int, str | None]:
    v = source.video
    chroma = req.chroma or (v.chroma_subsampling if v.chroma_subsampling in CHROMA_BASE else "4:2:0")
    bits = req.bits or (v.bit_depth if v.bit_depth in BIT_DEPTHS else 8)
    profile = profile or default_profile(codec, chroma, bits)
    formats = codec_formats(codec, profile)
    if pix_fmt(chroma, bits) in formats:
        return chroma, bits, profile
    if (req.chroma or req.bits) and not encodes(codec, req.chroma, req.bits, profile):
        raise refuse_format(codec, profile, req.chroma, req.bits)
    possible = [(c, b) for c in CHROMA_BASE for b in BIT_DEPTHS if pix_fmt(c, b) in formats
                and (req.chroma is None or c == req.chroma) and (req.bits is None or b == req.bits)]
    chroma, bits = min(possible, key=lambda cb: (cb[0] != chroma, abs(cb[1] - bits), -cb[1]))
    return chroma, bits, profile


def _check_aspect(req: ProcessingRequest, source: ProbeResult, w: int, h: int, fit: str) -> None:
    """An aspect ratio tag beside a frame that is already fully given must describe the same shape."""
    aspect = req.aspect
    if aspect is None:
        return
    sw, sh = source.video.display_width, source.video.display_height
    ratio = {"display": display_dar(source), "storage": Fraction(sw, sh), **FIXED_ASPECTS}[aspect]
    kept = (aspect == "display" and fit in ("pad", "keep_sar")) or (aspect == "storage" and fit == "keep_sar")
    if kept or abs(w / h - float(ratio)) <= 0.01 * float(ratio):
        return
    of = f"of {req.resolution_tag}" if req.resolution_tag else "of resolution.width and resolution.height"
    raise InvalidProcessing("resolution.aspectRatioTag", f"{aspect} ({float(ratio):.3f}) contradicts the {w}x{h} "
                            f"frame {of}")


def _resolution(req: ProcessingRequest, source: ProbeResult) -> tuple[int, int, str]:
    sw, sh = source.video.display_width, source.video.display_height
    tag, width, height = req.resolution_tag, req.width, req.height
    if tag:
        preset = RESOLUTION_TAGS[tag]
        if isinstance(preset, tuple):
            w, h, fit = preset[0], preset[1], "pad"
        else:
            w, h = sw * preset, sh * preset
            if w > MAX_WIDTH or h > MAX_HEIGHT:
                raise InvalidProcessing("resolution.tag", f"{tag} of {sw}x{sh} is {w}x{h}, over the maximum "
                                        f"{MAX_WIDTH}x{MAX_HEIGHT}")
            w, h, fit = _even(w), _even(h), "keep_sar"
            for name, given, expected in (("width", width, w), ("height", height, h)):
                if given is not None and abs(given - expected) > 1:
                    raise InvalidProcessing("resolution.tag", f"{tag} of {sw}x{sh} is {w}x{h}, which contradicts "
                                            f"resolution.{name} {given}")
        _check_aspect(req, source, w, h, fit)
        return w, h, fit
    if width is None and height is None:
        return _even(sw), _even(sh), "keep_sar"
    if width is not None and height is not None:
        _check_aspect(req, source, width, height, "exact")
        return _even(width), _even(height), "exact"
    dar = display_dar(source)
    ratio = {"display": dar, "storage": Fraction(sw, sh), None: dar, **FIXED_ASPECTS}[req.aspect]
    w, h = (width, width / ratio) if width is not None else (height * ratio, height)
    if w > MAX_WIDTH or h > MAX_HEIGHT:
        raise InvalidProcessing("resolution.width" if width is not None else "resolution.height",
                                f"{round(w)}x{round(h)} is over the maximum {MAX_WIDTH}x{MAX_HEIGHT}")
    return _even(w), _even(h), "exact"


def _auto_bitrate(source: ProbeResult, codec: str, width: int, height: int, fps: Fraction) -> int:
    """Bits/s for lossy codecs: the source's bits per pixel (normalised to H.264 by ``CODEC_EFFICIENCY``,
    clamped to 0.04-0.25, intra-only sources counting as 0.25) carried to the output size, rate and codec."""
    v = source.video
    pixels_per_s = v.width * v.height * max(v.avg_frame_rate, 1.0)
    src_bits = v.bit_rate or source.bit_rate
    eff = CODEC_EFFICIENCY.get(v.codec_name.replace("mpeg2video", "mpeg2"))
    bpp = 0.25 if eff is None else min(0.25, max(0.04, (src_bits or 0.1 * pixels_per_s * eff) / pixels_per_s / eff))
    return int(round(bpp * CODEC_EFFICIENCY[codec] * width * height * float(fps), -3))


def _bitrate(req: ProcessingRequest, *, codec: str, container: str, width: int, height: int, fps: Fraction,
             source: ProbeResult) -> int | None:
    if req.mbps is None:
        return None if codec in NO_BITRATE else 50_000_000 if codec == "xdcam" else (
            _auto_bitrate(source, codec, width, height, fps))
    bps = int(round(req.mbps * 1_000_000))
    if codec == "xdcam":
        if abs(req.mbps - 50) > 1e-9:
            raise InvalidProcessing("bitrate.mbps", "XDCAM HD422 is 50 Mb/s")
        return 50_000_000
    if codec == "ffv1":
        raise InvalidProcessing("bitrate.mbps", "ffv1 is lossless: its bitrate follows from the picture and "
                                "FFmpeg's ffv1 encoder takes no target; leave it out")
    if codec == "dnxhd":
        raise InvalidProcessing("bitrate.mbps", "DNxHD/DNxHR rates are fixed by the profile, frame size and frame "
                                "rate, and FFmpeg's dnxhd encoder takes no other; leave it out")
    if codec == "prores":
        if container == "mxf":
            raise InvalidProcessing("bitrate.mbps", "a ProRes bitrate is targeted by FFmpeg's prores_ks encoder, "
                                    "but FFmpeg 6's MXF muxer needs the profile that only prores_aw reports, and "
                                    "prores_aw has no bitrate control; use mov for a ProRes bitrate, or leave it out")
        low, high = (b * prores_macroblocks(width, height) * float(fps) for b in PRORES_BITS_PER_MB)
        if not low <= bps <= high:
            raise InvalidProcessing("bitrate.mbps", f"ProRes at {width}x{height} and {float(fps):g} fps takes "
                                    f"{low / 1e6:.2f}-{high / 1e6:.2f} Mb/s (FFmpeg's prores_ks targets "
                                    f"{PRORES_BITS_PER_MB[0]}-{PRORES_BITS_PER_MB[1]} bits per macroblock)")
    return bps


def _clip_range(req: ProcessingRequest, duration_ms: int) -> tuple[int, int]:
    start, end = req.start_ms, req.end_ms if req.end_ms is not None else duration_ms
    if start >= duration_ms:
        raise InvalidProcessing("range.startPositionMilliseconds",
                                f"{start} ms is past the end of the {duration_ms} ms video")
    if end > duration_ms:
        raise InvalidProcessing("range.endPositionMilliseconds",
                                f"{end} ms is past the end of the {duration_ms} ms video")
    return start, end


def resolve_processing(req: ProcessingRequest, *, source: ProbeResult, interlace: InterlaceResult | None = None,
                       params: dict[str, Any] | None = None) -> ProcessingSpec:
    """Decide everything ``req`` left open from ``source``; ``params`` is the request as given (kept)."""
    v = source.video
    unused = list(req.unused)
    container, codec = _container_and_codec(req, source)
    for name, profile, owner in (("appleProresProfile", req.prores_profile, "prores"),
                                 ("dnxhdHrProfile", req.dnx_profile, "dnxhd")):
        if profile and codec != owner:
            unused.append((name, f"applies only to codec {owner}; the codec is {codec}"))
    chroma, bits, profile = _pixel_format(codec, _profile_of(req, codec), req, source)
    prores = profile if codec == "prores" else None
    dnx = profile if codec == "dnxhd" else None
    width, height, fit = _resolution(req, source)
    if codec == "xdcam" and (width, height) not in XDCAM_SIZES:
        if req.resolution_tag or req.width or req.height:
            raise InvalidProcessing("resolution", "XDCAM HD422 is 1920x1080 or 1280x720")
        width, height, fit = (1920, 1080, "pad") if v.display_height > 720 else (1280, 720, "pad")
    if dnx and dnx.startswith("dnxhd_"):
        sizes = DNXHD_SIZES[:1] if dnx == "dnxhd_444" else DNXHD_SIZES[:2] if dnx == "dnxhd_hqx" else DNXHD_SIZES
        if (width, height) not in sizes:
            raise InvalidProcessing("dnxhdHrProfile", f"{dnx} needs a frame of "
                                    f"{' or '.join(f'{w}x{h}' for w, h in sizes)}, not {width}x{height}; "
                                    "DNxHR profiles take any size")
    source_fps = Fraction(v.avg_frame_rate_fraction) if v.avg_frame_rate > 0 else Fraction(25)
    converter = req.frame_rate_converter
    if req.frame_rate is None:
        frame_rate = source_fps  # a converter alone makes a variable rate constant
    else:
        frame_rate, converter = req.frame_rate, converter or "fps"
    try:
        bitrate = _bitrate(req, codec=codec, container=container, width=width, height=height, fps=frame_rate,
                           source=source)
    except InvalidProcessing as exc:
        if req.codec is None and (req.chroma or req.bits) and codec in ("dnxhd", "ffv1"):
            wanted = " ".join(x for x in (req.chroma, f"{req.bits}-bit" if req.bits else None) if x)
            raise InvalidProcessing(exc.field, f"{exc.message} ({codec} was chosen because it is the only codec "
                                    f"here that encodes {wanted})") from None
        raise
    start, end = _clip_range(req, source.duration_ms)
    src_interlaced = v.scan_type == "interlaced" or (
        v.scan_type == "unknown" and interlace is not None and interlace.scan_type == "interlaced")
    src_order = v.field_order if v.field_order in ("tff", "bff") else (
        interlace.field_order if interlace and interlace.field_order in ("tff", "bff") else None)
    deinterlacer = req.deinterlacer
    reworked = bool(deinterlacer or req.denoiser or req.stabilizer or converter or req.post_processor
                    or req.clarity != "none" or req.scaler != "scale"
                    or (width, height) != (_even(v.display_width), _even(v.display_height)))
    requested = req.scanning
    interlaceable = can_interlace(codec, container)
    if requested is not None and requested[0] == "interlaced" and not interlaceable:
        raise InvalidProcessing("scanning", interlace_refusal(codec, container))
    if requested is None:  # auto: keep the source's scanning unless the picture is being reworked
        keep = src_interlaced and not reworked and interlaceable
        requested = ("interlaced", src_order or "tff") if keep else ("progressive", None)
    scan_type, field_order = requested
    if src_interlaced and not deinterlacer and (
            reworked or scan_type == "progressive" or field_order != (src_order or "tff")):
        deinterlacer = "bwdif"  # filters, progressive output and a field swap need whole frames
    return ProcessingSpec(
        container=container, codec=codec, prores_profile=prores, dnx_profile=dnx,
        chroma_subsampling=chroma, bit_depth=bits, pix_fmt=pix_fmt(chroma, bits), bitrate=bitrate,
        width=width, height=height, fit=fit, scan_type=scan_type, field_order=field_order,
        deinterlacer=deinterlacer, denoiser=req.denoiser, stabilizer=req.stabilizer, scaler=req.scaler,
        clarity_boost=req.clarity, frame_rate=frame_rate, frame_rate_converter=converter,
        post_processor=req.post_processor, start_ms=start, end_ms=end, source_width=v.display_width,
        source_height=v.display_height, source_frame_rate=source_fps, source_dar=display_dar(source),
        source_interlaced=src_interlaced, source_field_order=src_order, has_audio=source.has_audio,
        request=dict(params or {}), unused=tuple(unused),
    )


def validate_processing(params: Any, *, source: ProbeResult, interlace: InterlaceResult | None = None,
                        unknown: str = "refuse") -> ProcessingSpec:
    """Check ``params`` (Pixop's process-video body) against the table and the ``source``; resolve defaults.

    ``interlace`` (from ``detect_interlace``) decides the source's scanning when its metadata does not;
    ``unknown="ignore"`` lists unknown fields in ``spec.unused`` instead of refusing them. Raises
    ``InvalidProcessing(field, message)`` for the first problem found; does no ffmpeg work.
    """
    request = parse_processing(params, unknown=unknown)
    return resolve_processing(request, source=source, interlace=interlace, params=params)
