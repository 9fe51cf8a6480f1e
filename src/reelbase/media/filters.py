"""Turning a ``ProcessingSpec`` into ffmpeg filter chains and encoder options (pure functions, no I/O).

Filter order, and why:
1. deinterlace (bwdif/yadif/w3fdif): every later filter needs whole frames; field-rate output (one frame
   per field) when the target needs at least ~2x the source frame rate, so motion is not thrown away;
2. denoise (hqdn3d) at the source size, before scaling spreads the noise and before stabilisation, whose
   motion search is misled by grain;
3. stabilise (vid.stab two passes: detect on exactly the frames of steps 1-2, then transform; ``deshake``
   in one pass when the build lacks vid.stab);
4. frame rate conversion before upscaling (fewer pixels for minterpolate) or after downscaling;
5. scale (bicubic, or for the "super resolution" names the best conventional upscaler in the build:
   zimg's spline36 via ``zscale``, else swscale lanczos, then a light ``unsharp``; it is not a neural
   network and invents no detail), then the clarity boost (``unsharp``, larger radius = local contrast);
6. film grain (``noise``, temporal + uniform, mostly luma) at the output size, so grain is not scaled;
7. interlace when asked: from 2F progressive frames with ``interlace`` (a real interlaced picture), or by
   flagging F frames (``setfield``, i.e. progressive segmented frames) when no more motion exists;
8. ``format`` to the target pixel format (chroma subsampling + bit depth).
vid.stab, noise and framerate work on 8-bit frames; ffmpeg converts around them when the target is deeper.
"""

from __future__ import annotations

from fractions import Fraction

from reelbase.media.processing_spec import PRORES_PROFILES, ProcessingSpec, prores_bits_per_mb

DENOISE = {"denoise": "hqdn3d=3:2.25:4.5:3.4", "hqdn3d": "hqdn3d"}  # moderate (0.75x defaults) / defaults
CLARITY = {"marginal": 0.25, "very_low": 0.4, "low": 0.6, "medium": 0.8, "high": 1.1, "very_high": 1.5}
FILM_GRAIN = "noise=c0s=8:c0f=t+u:c1s=2:c1f=t+u:c2s=2:c2f=t+u"
TRANSFORMS_FILE = "transforms.trf"  # relative: ffmpeg runs in the output directory, nothing to escape
# 1080p bitrates (Mb/s) of Avid's DNxHD classes by frame rate; scaled by area for the other frame sizes
# and snapped by ffmpeg's table (any of its listed rates is accepted for a size and pixel format).
DNXHD_1080_MBPS = {
    "dnxhd_lb": {24: 36, 25: 36, 30: 45, 50: 75, 60: 90},
    "dnxhd_sq": {24: 115, 25: 120, 30: 145, 50: 240, 60: 290},
    "dnxhd_hq": {24: 175, 25: 185, 30: 220, 50: 365, 60: 440},
    "dnxhd_hqx": {24: 175, 25: 185, 30: 185, 50: 365, 60: 440},
    "dnxhd_444": {24: 350, 25: 390, 30: 440, 50: 730, 60: 880},
}
DNXHD_720_MBPS = {
    "dnxhd_lb": {24: 60, 25: 60, 30: 75, 50: 110, 60: 145},
    "dnxhd_sq": {24: 90, 25: 90, 30: 110, 50: 180, 60: 220},
    "dnxhd_hq": {24: 90, 25: 90, 30: 110, 50: 180, 60: 220},
    "dnxhd_hqx": {24: 90, 25: 90, 30: 90, 50: 180, 60: 220},
}
DNXHD_1440_MBPS = {"dnxhd_lb": 63, "dnxhd_sq": 84, "dnxhd_hq": 110, "dnxhd_hqx": 110}
DNXHD_960_MBPS = {"dnxhd_lb": 42, "dnxhd_sq": 60, "dnxhd_hq": 75, "dnxhd_hqx": 75}


def _rate(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def needed_rate(spec: ProcessingSpec) -> Fraction:
    """Progressive frames per second needed before interlacing (2F for a true interlaced output)."""
    if spec.scan_type == "interlaced" and motion_rate(spec) >= spec.frame_rate * Fraction(19, 10):
        return spec.frame_rate * 2
    return spec.frame_rate


def _field_rate_deinterlace(spec: ProcessingSpec) -> bool:
    target = spec.frame_rate * 2 if spec.scan_type == "interlaced" else spec.frame_rate
    return spec.deinterlacer is not None and target >= spec.source_frame_rate * Fraction(19, 10)


def motion_rate(spec: ProcessingSpec) -> Fraction:
    """Distinct moments per second available after deinterlacing."""
    return spec.source_frame_rate * (2 if _field_rate_deinterlace(spec) else 1)


def pre_chain(spec: ProcessingSpec) -> list[str]:
    """Filters before stabilisation: shared by the vid.stab detect pass and the encode pass."""
    chain = []
    if spec.deinterlacer:
        field_rate = _field_rate_deinterlace(spec)
        chain.append({
            "bwdif": f"bwdif=mode={'send_field' if field_rate else 'send_frame'}:deint=all",
            "yadif": f"yadif=mode={'send_field' if field_rate else 'send_frame'}:deint=all",
            "w3fdif": f"w3fdif=mode={'field' if field_rate else 'frame'}:deint=all",
        }[spec.deinterlacer])
    if spec.denoiser:
        chain.append(DENOISE[spec.denoiser])
    if spec.scaler == "dvres":
        chain.append("hqdn3d=2:1.5:3:2.25")  # "restoration": a gentle clean-up before the upscale
    return chain


def detect_chain(spec: ProcessingSpec) -> list[str]:
    return [*pre_chain(spec), f"vidstabdetect=shakiness=5:accuracy=15:result={TRANSFORMS_FILE}"]


def _scale(spec: ProcessingSpec, *, zscale: bool) -> list[str]:
    w, h = spec.width, spec.height
    if spec.fit == "pad":
        # Fit the picture inside the frame at its display aspect ratio and letterbox/pillarbox the rest.
        dar = spec.source_dar
        if Fraction(w, h) > dar:
            fw, fh = int(round(h * dar / 2)) * 2, h
        else:
            fw, fh = w, int(round(w / dar / 2)) * 2
    else:
        fw, fh = w, h
    unchanged = (fw, fh) == (spec.source_width, spec.source_height)
    steps: list[str] = []
    if spec.scaler in ("pabsr1", "dvres"):
        steps.append(f"zscale=w={fw}:h={fh}:filter=spline36" if zscale
                     else f"scale={fw}:{fh}:flags=lanczos+accurate_rnd+full_chroma_int")
        steps.append("unsharp=5:5:0.4:5:5:0.0")
    elif not unchanged:
        steps.append(f"scale={fw}:{fh}:flags=bicubic")
    if spec.fit in ("exact", "pad") and steps:
        steps.append("setsar=1")
    if spec.fit == "pad" and (fw, fh) != (w, h):
        steps.append(f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:black")
    if spec.clarity_boost != "none":
        amount = CLARITY[spec.clarity_boost]
        steps.append(f"unsharp=lx=7:ly=7:la={amount}:cx=5:cy=5:ca={amount / 3:.3f}")
    return steps


def _convert_rate(spec: ProcessingSpec) -> list[str]:
    target = needed_rate(spec)
    if spec.frame_rate_converter is None and target == motion_rate(spec):
        return []
    r = _rate(target)
    return [{
        None: f"fps={r}",
        "fps": f"fps={r}",
        "fblend": f"framerate=fps={r}",
        "mcinterpolate": f"minterpolate=fps={r}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1",
    }[spec.frame_rate_converter]]


def encode_chain(spec: ProcessingSpec, *, vidstab: bool, zscale: bool) -> list[str]:
    """The whole video filter chain of the encoding pass."""
    chain = pre_chain(spec)
    if spec.stabilizer:
        chain.append(f"vidstabtransform=input={TRANSFORMS_FILE}:smoothing=10:optzoom=1:interpol=bicubic,"
                     "unsharp=5:5:0.8:3:3:0.4" if vidstab else "deshake")
    scale = _scale(spec, zscale=zscale)
    rate = _convert_rate(spec)
    upscaling = spec.width * spec.height > spec.source_width * spec.source_height
    chain += (rate + scale) if upscaling else (scale + rate)
    if spec.post_processor == "filmgrain":
        chain.append(FILM_GRAIN)
    if spec.scan_type == "interlaced":
        order = spec.field_order or "tff"
        if needed_rate(spec) != spec.frame_rate:
            chain.append(f"interlace=scan={order}:lowpass=complex")
        chain.append(f"setfield={order}")
    else:
        chain.append("setfield=prog")
    chain.append(f"format={spec.pix_fmt}")
    return chain


def _dnxhd_mbps(spec: ProcessingSpec) -> int:
    assert spec.dnx_profile is not None
    fps = min((24, 25, 30, 50, 60), key=lambda f: abs(f - float(spec.frame_rate)))
    if (spec.width, spec.height) == (1920, 1080):
        return DNXHD_1080_MBPS[spec.dnx_profile][fps]
    if (spec.width, spec.height) == (1280, 720):
        return DNXHD_720_MBPS.get(spec.dnx_profile, DNXHD_720_MBPS["dnxhd_hq"])[fps]
    if spec.width == 1440:
        return DNXHD_1440_MBPS.get(spec.dnx_profile, 110)
    return DNXHD_960_MBPS.get(spec.dnx_profile, 75)


def video_codec_args(spec: ProcessingSpec) -> list[str]:
    """Encoder options for the video stream (pixel format is set by the filter chain)."""
    interlaced = spec.scan_type == "interlaced"
    order = "tt" if spec.field_order != "bff" else "bb"
    b = spec.bitrate
    if spec.codec == "h264":
        args = ["-c:v", "libx264", "-preset", "medium", "-b:v", str(b), "-maxrate", str(int(b * 1.5)),
                "-bufsize", str(b * 2)]
        if interlaced:
            args += ["-flags", "+ildct+ilme", "-x264-params", "tff=1" if order == "tt" else "bff=1"]
    elif spec.codec == "hevc":
        args = ["-c:v", "libx265", "-preset", "medium", "-b:v", str(b), "-maxrate", str(int(b * 1.5)),
                "-bufsize", str(b * 2), "-x265-params", "log-level=error"]
        if spec.container in ("mov", "mp4"):
            args += ["-tag:v", "hvc1"]  # what Apple players require for HEVC in MP4/MOV
    elif spec.codec == "prores":
        profile = str(PRORES_PROFILES[spec.prores_profile or "standard"])
        if spec.container == "mxf":
            # FFmpeg 6's MXF muxer labels ProRes by the stream's profile, which prores_ks leaves unset
            # ("could not get prores profile"); prores_aw sets it. Validation keeps bitrates (prores_aw
            # has no rate control) and interlacing (the muxer would label the fields progressive) out of MXF.
            args = ["-c:v", "prores_aw", "-profile:v", profile, "-vendor", "apl0"]
        else:
            args = ["-c:v", "prores_ks", "-profile:v", profile, "-vendor", "apl0"]
            if b is not None:  # prores_ks has no -b:v; it spends a budget of bits per 16x16 macroblock
                args += ["-bits_per_mb", str(prores_bits_per_mb(b, spec.width, spec.height, spec.frame_rate))]
        if interlaced:
            args += ["-flags", "+ildct"]
    elif spec.codec == "dnxhd":
        profile = spec.dnx_profile or "dnxhr_sq"
        args = ["-c:v", "dnxhd"]
        args += (["-profile:v", profile] if profile.startswith("dnxhr")
                 else ["-profile:v", "dnxhd", "-b:v", f"{_dnxhd_mbps(spec)}M"])
        if interlaced:
            args += ["-flags", "+ildct"]
    elif spec.codec == "xdcam":
        # Sony XDCAM HD422: MPEG-2 4:2:2 Profile @ High Level, 50 Mb/s CBR, long GOP of 12 with 2 B-frames.
        args = ["-c:v", "mpeg2video", "-profile:v", "0", "-level:v", "2", "-b:v", "50M", "-minrate", "50M",
                "-maxrate", "50M", "-bufsize", "17825792", "-rc_init_occupancy", "17825792", "-g", "12",
                "-bf", "2", "-intra_vlc", "1", "-non_linear_quant", "1", "-dc", "10", "-qmin", "1", "-qmax", "12"]
        if interlaced:
            args += ["-flags", "+ildct+ilme", "-top", "1" if order == "tt" else "0"]
    elif spec.codec == "mpeg2":
        args = ["-c:v", "mpeg2video", "-b:v", str(b), "-maxrate", str(int(b * 1.5)), "-bufsize", str(b * 2),
                "-g", "15", "-bf", "2"]
        if spec.chroma_subsampling == "4:2:2":
            args += ["-profile:v", "0"]  # 4:2:2 profile
        if interlaced:
            args += ["-flags", "+ildct+ilme", "-top", "1" if order == "tt" else "0"]
    else:  # ffv1: lossless, version 3 with per-slice CRCs (the archival setting)
        args = ["-c:v", "ffv1", "-level", "3", "-g", "1", "-slices", "4", "-slicecrc", "1"]
    return args + ["-field_order", order if interlaced else "progressive"]


def audio_codec_args(spec: ProcessingSpec) -> list[str]:
    if not spec.has_audio:
        return ["-an"]
    if spec.container in ("mov", "mxf"):
        return ["-map", "0:a:0", "-c:a", "pcm_s24le", "-ar", "48000"]  # professional delivery: PCM
    return ["-map", "0:a:0", "-c:a", "aac", "-b:a", "192k", "-ar", "48000"]


def muxer_args(spec: ProcessingSpec) -> list[str]:
    fmt = {"mov": "mov", "mxf": "mxf", "mp4": "mp4", "mts": "mpegts"}[spec.container]
    extra = ["-movflags", "+faststart"] if fmt in ("mov", "mp4") else []
    return [*extra, "-f", fmt]
