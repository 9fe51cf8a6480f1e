from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import pytest

from reelbase.media import InvalidProcessing, Limits, ProbeResult, Tools, probe
from reelbase.media.filters import encode_chain
from reelbase.media.processing import process_video, validate_processing
from reelbase.media.quality import compare_quality

ONE_SECOND = {"range": {"startPositionMilliseconds": 1000, "endPositionMilliseconds": 2000}}


@pytest.fixture(scope="module")
def source(tools: Tools, media) -> ProbeResult:
    return probe(media.clip, tools=tools, limits=Limits())


@pytest.fixture(scope="module")
def interlaced_source(tools: Tools, media) -> ProbeResult:
    return probe(media.interlaced, tools=tools, limits=Limits())


def _with_video(result: ProbeResult, **changes) -> ProbeResult:
    """The same probe result describing a different source (a value, not a mock)."""
    return dataclasses.replace(result, video=dataclasses.replace(result.video, **changes))


# --- validation ----------------------------------------------------------------------------------------


def test_defaults_inherit_from_source(source: ProbeResult) -> None:
    spec = validate_processing({}, source=source)
    assert (spec.container, spec.codec) == ("mp4", "h264")
    assert (spec.chroma_subsampling, spec.bit_depth, spec.pix_fmt) == ("4:2:0", 8, "yuv420p")
    assert (spec.width, spec.height) == (320, 240)
    assert spec.frame_rate == Fraction(25) and spec.frame_rate_converter is None
    assert spec.scan_type == "progressive" and spec.deinterlacer is None
    assert (spec.start_ms, spec.end_ms) == (0, source.duration_ms)
    assert spec.bitrate and 50_000 < spec.bitrate < 2_000_000


def test_defaults_adapt_to_codec(source: ProbeResult) -> None:
    prores = validate_processing({"mediaContainerCodec": {"codec": "prores"}}, source=source)
    assert prores.container == "mov" and prores.prores_profile == "standard"
    assert (prores.chroma_subsampling, prores.bit_depth) == ("4:2:2", 10)  # nearest ProRes can do
    assert prores.bitrate is None
    deep = validate_processing({"mediaContainerCodec": {"codec": "prores"}},
                               source=_with_video(source, bit_depth=10, chroma_subsampling="4:2:2"))
    assert deep.prores_profile == "hq"
    mxf = validate_processing({"mediaContainerCodec": {"container": "mxf"}}, source=source)
    assert mxf.codec == "h264"
    xdcam = validate_processing({"mediaContainerCodec": {"codec": "xdcam"}}, source=source)
    assert (xdcam.width, xdcam.height, xdcam.fit) == (1280, 720, "pad") and xdcam.bitrate == 50_000_000


def test_resolution_forms(source: ProbeResult) -> None:
    def size(res: dict) -> tuple[int, int]:
        spec = validate_processing({"resolution": res}, source=source)
        return spec.width, spec.height

    assert size({"tag": "hd_1080p"}) == (1920, 1080)
    assert size({"tag": "2x"}) == (640, 480)
    assert size({"width": 640, "aspectRatioTag": "16:9"}) == (640, 360)
    assert size({"height": 480}) == (640, 480)  # display aspect of the source (4:3) by default
    assert size({"height": 360, "aspectRatioTag": "storage"}) == (480, 360)
    assert size({"width": 200, "height": 100}) == (200, 100)


def test_frame_rate_forms(source: ProbeResult) -> None:
    spec = validate_processing({"frameRate": {"tag": "film_ntsc"}}, source=source)
    assert spec.frame_rate == Fraction(24000, 1001) and spec.frame_rate_converter == "fps"
    spec = validate_processing({"frameRate": {"fps": 50}, "frameRateConverter": "mcinterpolate"}, source=source)
    assert spec.frame_rate == 50 and spec.frame_rate_converter == "mcinterpolate"
    spec = validate_processing({"frameRate": {"tag": "video_pal", "fps": 25.0}}, source=source)
    assert spec.frame_rate == 25


def test_interlaced_source_auto_scanning(interlaced_source: ProbeResult) -> None:
    kept = validate_processing({}, source=interlaced_source)
    assert (kept.scan_type, kept.field_order, kept.deinterlacer) == ("interlaced", "tff", None)
    resized = validate_processing({"resolution": {"tag": "2x"}}, source=interlaced_source)
    assert (resized.scan_type, resized.deinterlacer) == ("progressive", "bwdif")
    swapped = validate_processing({"scanning": {"tag": "interlaced_bff"}}, source=interlaced_source)
    assert (swapped.field_order, swapped.deinterlacer) == ("bff", "bwdif")
    chosen = validate_processing({"deinterlacer": "weston3f"}, source=interlaced_source)
    assert chosen.deinterlacer == "w3fdif" and chosen.scan_type == "progressive"


@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        ({"resolution": {"width": 640, "height": 480, "aspectRatioTag": "16:9"}}, "resolution.aspectRatioTag",
         "contradicts the 640x480 frame"),
        ({"resolution": {"tag": "hd_1080p", "width": 1280}}, "resolution.tag", "contradicts resolution.width 1280"),
        ({"resolution": {"tag": "2x", "height": 400}}, "resolution.tag", "640x480, which contradicts"),
        ({"resolution": {"width": 8000}}, "resolution.width", "between 16 and 7680"),
        ({"resolution": {"aspectRatioTag": "16:9"}}, "resolution.aspectRatioTag", "needs"),
        ({"mediaContainerCodec": {"container": "mp4"}, "chromaSubsampling": {"yuv": "4:1:1"}},
         "chromaSubsampling", "only by ffv1, which mp4 cannot carry"),
        ({"mediaContainerCodec": {"container": "mxf", "codec": "prores"}, "bitrate": {"mbps": 2}}, "bitrate.mbps",
         "use mov for a ProRes bitrate"),
        ({"mediaContainerCodec": {"codec": "dnxhd"}, "dnxhdHrProfile": "dnxhd_sq"}, "dnxhdHrProfile",
         "1920x1080"),
        ({"frameRate": {"fps": 0}}, "frameRate.fps", "greater than 0"),
        ({"frameRate": {"fps": 1000}}, "frameRate.fps", "between"),
        ({"frameRate": {"tag": "film", "fps": 25}}, "frameRate.tag", "not 25"),
        ({"range": {"startPositionMilliseconds": 2000, "endPositionMilliseconds": 1000}},
         "range.endPositionMilliseconds", "after"),
        ({"range": {"endPositionMilliseconds": 10_000}}, "range.endPositionMilliseconds", "past the end"),
        ({"range": {"startPositionMilliseconds": 5_000}}, "range.startPositionMilliseconds", "past the end"),
        ({"mediaContainerCodec": {"codec": "h264"}, "chromaSubsampling": {"yuv": "4:1:1"}}, "chromaSubsampling.yuv",
         "h264 cannot encode 4:1:1"),
        ({"mediaContainerCodec": {"codec": "prores"}, "chromaSubsampling": {"bits": 8}},
         "chromaSubsampling.bits", "cannot encode"),
        ({"mediaContainerCodec": {"codec": "prores"}, "appleProresProfile": "hq",
          "chromaSubsampling": {"yuv": "4:4:4"}}, "chromaSubsampling.yuv", "cannot encode 4:4:4"),
        ({"chromaSubsampling": {"bits": 9}}, "chromaSubsampling.bits", "one of"),
        ({"mediaContainerCodec": {"container": "mp4", "codec": "prores"}}, "mediaContainerCodec.codec",
         "cannot be stored in mp4"),
        ({"mediaContainerCodec": {"container": "avi"}}, "mediaContainerCodec.container", "one of"),
        ({"mediaContainerCodec": {"codec": "xdcam"}, "bitrate": {"mbps": 20}}, "bitrate.mbps", "50 Mb/s"),
        ({"mediaContainerCodec": {"codec": "ffv1"}, "bitrate": {"mbps": 20}}, "bitrate.mbps", "leave it out"),
        ({"bitrate": {"mbps": 0}}, "bitrate.mbps", "between 0.01 and 4000"),
        ({"mediaContainerCodec": {"codec": "hevc"}, "scanning": {"tag": "interlaced_tff"}}, "scanning",
         "not available for hevc"),
        ({"scanning": {"tag": "progressive", "scanningType": "interlaced"}}, "scanning.tag", "contradicts"),
        ({"scanning": {"scanningType": "progressive", "interlacedFieldOrder": "top_field"}},
         "scanning.interlacedFieldOrder", "only allowed"),
        ({"deinterlacer": "magic"}, "deinterlacer", "one of"),
        ({"sharpen": True}, "sharpen", "unknown field"),
    ],
)
def test_validation_refuses(source: ProbeResult, params: dict, field: str, fragment: str) -> None:
    with pytest.raises(InvalidProcessing) as info:
        validate_processing(params, source=source)
    assert info.value.field == field
    assert fragment in info.value.message


def test_validation_refuses_upscale_past_8k(source: ProbeResult) -> None:
    big = _with_video(source, width=3840, height=2160, display_aspect_ratio="16:9")
    with pytest.raises(InvalidProcessing, match="15360x8640, over the maximum") as info:
        validate_processing({"resolution": {"tag": "4x"}}, source=big)
    assert info.value.field == "resolution.tag"


def test_filter_chain_order(source: ProbeResult) -> None:
    spec = validate_processing(
        {"denoiser": "hqdn3d", "scaler": "pabsr1", "resolution": {"tag": "2x"}, "clarityBoost": "low",
         "frameRate": {"fps": 50}, "frameRateConverter": "fblend", "postProcessor": "filmgrain"},
        source=source)
    chain = encode_chain(spec, vidstab=True, zscale=True)
    names = [step.split("=")[0] for step in chain]
    assert names[0] == "hqdn3d"
    assert names.index("framerate") < names.index("zscale")  # rate change before the upscale
    assert names.index("zscale") < names.index("noise")
    assert chain[-1] == "format=yuv420p" and chain[-2] == "setfield=prog"
    assert any(step.startswith("unsharp=lx=7") for step in chain)


# --- rendering -----------------------------------------------------------------------------------------


def _render(tools: Tools, media, tmp_path: Path, params: dict, *, src: Path | None = None):
    src = src or media.clip
    info = probe(src, tools=tools, limits=Limits())
    spec = validate_processing(params, source=info)
    progress: list[float] = []
    result = process_video(src, tmp_path, spec, tools=tools, on_progress=progress.append, timeout_s=120)
    assert progress and progress[-1] == 1.0
    return result


@pytest.mark.slow
@pytest.mark.parametrize(
    ("params", "expect"),
    [
        ({}, ("mp4", "h264", "yuv420p", "aac")),
        ({"mediaContainerCodec": {"codec": "prores"}, "appleProresProfile": "proxy"},
         ("mov", "prores", "yuv422p10le", "pcm_s24le")),
        ({"mediaContainerCodec": {"container": "mxf", "codec": "dnxhd"}, "dnxhdHrProfile": "dnxhr_lb"},
         ("mxf", "dnxhd", "yuv422p", "pcm_s24le")),
        ({"mediaContainerCodec": {"codec": "hevc"}, "chromaSubsampling": {"yuv": "4:2:2", "bits": 10},
          "bitrate": {"mbps": 1.5}}, ("mp4", "hevc", "yuv422p10le", "aac")),
        ({"mediaContainerCodec": {"container": "mts", "codec": "mpeg2"}}, ("mpegts", "mpeg2video", "yuv420p", "aac")),
        ({"mediaContainerCodec": {"codec": "ffv1"}, "chromaSubsampling": {"yuv": "4:4:4", "bits": 10}},
         ("mov", "ffv1", "yuv444p10le", "pcm_s24le")),
    ],
    ids=["h264-mp4", "prores-mov", "dnxhr-mxf", "hevc-mp4", "mpeg2-mts", "ffv1-mov"],
)
def test_codecs_and_containers(tools: Tools, media, tmp_path: Path, params: dict, expect: tuple) -> None:
    result = _render(tools, media, tmp_path, {**params, **ONE_SECOND})
    container, codec, pix_fmt, audio = expect
    info = result.info
    assert result.path.suffix == "." + {"mpegts": "mts"}.get(container, container)
    assert info.format_name.startswith(container) or container in info.format_name
    assert (info.video.codec_name, info.video.pix_fmt) == (codec, pix_fmt)
    assert (info.video.width, info.video.height) == (320, 240)
    assert 950 <= info.duration_ms <= 1100  # the 1 s clip range
    assert [a.codec_name for a in info.audio] == [audio]


@pytest.mark.slow
def test_xdcam_hd422(tools: Tools, media, tmp_path: Path) -> None:
    result = _render(tools, media, tmp_path, {"mediaContainerCodec": {"container": "mxf", "codec": "xdcam"},
                                              "range": {"endPositionMilliseconds": 480}})
    v = result.info.video
    assert result.info.format_name == "mxf"
    assert (v.codec_name, v.pix_fmt, v.profile) == ("mpeg2video", "yuv422p", "4:2:2")
    assert (v.width, v.height) == (1280, 720)


@pytest.mark.slow
def test_dnxhd_class_profile_at_hd(tools: Tools, media, tmp_path: Path) -> None:
    result = _render(tools, media, tmp_path, {"mediaContainerCodec": {"container": "mov", "codec": "dnxhd"},
                                              "dnxhdHrProfile": "dnxhd_lb", "resolution": {"tag": "hd_1080p"},
                                              "range": {"endPositionMilliseconds": 200}})
    v = result.info.video
    assert (v.codec_name, v.width, v.height, v.pix_fmt) == ("dnxhd", 1920, 1080, "yuv422p")
    assert v.profile == "DNXHD"


@pytest.mark.slow
def test_deinterlace_and_denoise(tools: Tools, media, tmp_path: Path) -> None:
    result = _render(tools, media, tmp_path, {"deinterlacer": "yadif", "denoiser": "denoise",
                                              "frameRate": {"tag": "video_pal_fast"}}, src=media.interlaced)
    v = result.info.video
    assert v.scan_type == "progressive"
    assert v.avg_frame_rate == 50  # 25i deinterlaced at field rate: every field becomes a frame


@pytest.mark.slow
def test_interlaced_output(tools: Tools, media, tmp_path: Path) -> None:
    result = _render(tools, media, tmp_path, {"mediaContainerCodec": {"container": "mov", "codec": "mpeg2"},
                                              "scanning": {"scanningType": "interlaced",
                                                           "interlacedFieldOrder": "bottom_field"},
                                              **ONE_SECOND})
    assert (result.info.video.scan_type, result.info.video.field_order) == ("interlaced", "bff")


@pytest.mark.slow
def test_stabilize_two_passes(tools: Tools, media, tmp_path: Path) -> None:
    result = _render(tools, media, tmp_path, {"stabilizer": "dejit", **ONE_SECOND})
    assert result.passes == 2
    assert not (tmp_path / "transforms.trf").exists()
    assert 950 <= result.info.duration_ms <= 1100


@pytest.mark.slow
def test_super_resolution_upscale_with_grain(tools: Tools, media, tmp_path: Path) -> None:
    result = _render(tools, media, tmp_path, {"scaler": "pabsr1", "resolution": {"tag": "2x"},
                                              "clarityBoost": "medium", "postProcessor": "filmgrain",
                                              **ONE_SECOND})
    assert (result.info.video.width, result.info.video.height) == (640, 480)


@pytest.mark.slow
def test_letterbox_to_hd(tools: Tools, media, tmp_path: Path) -> None:
    result = _render(tools, media, tmp_path, {"resolution": {"tag": "hd_1080p"},
                                              "range": {"endPositionMilliseconds": 400}})
    v = result.info.video
    assert (v.width, v.height, v.sample_aspect_ratio) == (1920, 1080, "1:1")


@pytest.mark.slow
def test_frame_rate_conversion_and_quality(tools: Tools, media, tmp_path: Path) -> None:
    result = _render(tools, media, tmp_path, {"frameRateConverter": "mcinterpolate", "frameRate": {"fps": 30},
                                              **ONE_SECOND})
    assert result.info.video.avg_frame_rate == 30
    assert 28 <= result.info.video.total_frames <= 32
    # Full-reference quality against the matching second of the source, resampled to 30 fps.
    report = compare_quality(media.clip, result.path, tools=tools, vmaf=False, reference_start_s=1.0)
    assert report.psnr_db > 20 and report.ssim > 0.7
