from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reelbase.media import Limits, Tools, probe, run_ffmpeg, run_ffprobe
from reelbase.media.ladder import (
    LadderResult,
    limit_ladder_args,
    per_rung_args,
    plan_ladder,
    transcode_ladder,
)

MPD = "{urn:mpeg:dash:schema:mpd:2011}"


def _keyframe_times(tools: Tools, path: Path) -> list[float]:
    data = run_ffprobe(["-select_streams", "v:0", "-skip_frame", "nokey", "-show_entries", "frame=pts_time",
                        "-i", str(path)], tools=tools, timeout_s=60)
    return [round(float(f["pts_time"]), 3) for f in data["frames"]]


def _top_level_boxes(path: Path) -> list[str]:
    data, boxes, offset = path.read_bytes(), [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset:offset + 4], "big")
        boxes.append(data[offset + 4:offset + 8].decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


# --- planning ------------------------------------------------------------------------------------------


def test_plan_ladder_1080p() -> None:
    rungs = plan_ladder(1920, 1080)
    assert [(r.label, r.width, r.height) for r in rungs] == [
        (360, 640, 360), (480, 854, 480), (720, 1280, 720), (1080, 1920, 1080)]
    assert all(r.maxrate > r.video_bitrate and r.bufsize == 2 * r.maxrate for r in rungs)
    assert [r.video_bitrate for r in rungs] == sorted(r.video_bitrate for r in rungs)
    assert {r.audio_bitrate for r in rungs} == {128_000}


def test_plan_ladder_never_above_source() -> None:
    assert [r.label for r in plan_ladder(1280, 720)] == [360, 480, 720]
    assert [r.label for r in plan_ladder(1000, 700)] == [360, 480]
    assert [r.label for r in plan_ladder(3840, 2160, sd_only=True)] == [360, 480]


def test_plan_ladder_small_source_keeps_own_height() -> None:
    (rung,) = plan_ladder(320, 240)
    assert (rung.label, rung.width, rung.height) == (240, 320, 240)
    assert rung.video_bitrate < plan_ladder(640, 360)[0].video_bitrate
    (odd,) = plan_ladder(321, 241)
    assert odd.width % 2 == 0 and odd.height % 2 == 0


def test_plan_ladder_portrait_counts_short_side() -> None:
    rungs = plan_ladder(1080, 1920)
    assert [(r.label, r.width, r.height) for r in rungs] == [
        (360, 360, 640), (480, 480, 854), (720, 720, 1280), (1080, 1080, 1920)]
    (phone,) = plan_ladder(180, 320)
    assert (phone.width, phone.height) == (180, 320)


def test_plan_ladder_high_frame_rate_gets_more_bits() -> None:
    assert plan_ladder(1280, 720, fps=60)[-1].maxrate == int(plan_ladder(1280, 720)[-1].maxrate * 1.5)


# --- encoding ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ladder(tools: Tools, media, tmp_path_factory: pytest.TempPathFactory) -> tuple[LadderResult, list[float]]:
    out = tmp_path_factory.mktemp("ladder")
    progress: list[float] = []
    result = transcode_ladder(
        media.clip_480, out, tools=tools, rungs=plan_ladder(854, 480), fps=30, duration_s=3.0, has_audio=True,
        on_progress=progress.append, timeout_s=120, segment_s=2,
    )
    return result, progress


@pytest.mark.slow
def test_ladder_renditions(tools: Tools, ladder) -> None:
    result, progress = ladder
    assert [(r.label, r.width, r.height) for r in result.rungs] == [(360, 640, 360), (480, 854, 480)]
    assert progress and progress[-1] == 1.0
    for r in result.rungs:
        assert r.mp4_path is not None and r.mp4_path.name == f"{r.label}.mp4"
        info = probe(r.mp4_path, tools=tools, limits=Limits())
        assert (info.video.width, info.video.height) == (r.width, r.height)
        assert info.video.display_aspect_ratio == "427:240"  # the source's 854:480, kept via SAR
        assert info.video.codec_name == "h264" and info.video.pix_fmt == "yuv420p"
        assert info.audio and info.audio[0].codec_name == "aac"
        assert r.size_bytes == r.mp4_path.stat().st_size
        assert r.bitrate == pytest.approx(r.size_bytes * 8 / info.duration_s, rel=0.1)
        assert r.codecs and r.codecs.startswith("avc1.")
        # faststart: the index comes before the media data
        boxes = _top_level_boxes(r.mp4_path)
        assert boxes.index("moov") < boxes.index("mdat")
    assert result.rungs[0].bitrate < result.rungs[1].bitrate


@pytest.mark.slow
def test_ladder_keyframes_aligned(tools: Tools, ladder) -> None:
    result, _ = ladder
    low, high = (_keyframe_times(tools, r.mp4_path) for r in result.rungs)
    assert low == high == [0.0, 2.0]  # -g of 2 s at 30 fps, no scene-cut keyframes
    seg_low = sorted(result.hls_master.parent.glob("chunk-stream0-*.m4s"))
    seg_high = sorted(result.hls_master.parent.glob("chunk-stream1-*.m4s"))
    assert len(seg_low) == len(seg_high) == 2  # 2 s segments on the same keyframes


@pytest.mark.slow
def test_ladder_hls_master(ladder) -> None:
    result, _ = ladder
    text = result.hls_master.read_text()
    assert text.startswith("#EXTM3U\n")
    variants = re.findall(r"#EXT-X-STREAM-INF:(.*)\n(\S+)", text)
    assert len(variants) == 2
    for (attrs, uri), rendition in zip(variants, result.rungs):
        assert re.search(r"(^|,)BANDWIDTH=\d+", attrs)
        assert f"RESOLUTION={rendition.width}x{rendition.height}" in attrs
        assert re.search(r'CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"', attrs)
        assert 'AUDIO="audio"' in attrs
        assert rendition.hls_playlist is not None and uri == rendition.hls_playlist.name
        playlist = rendition.hls_playlist.read_text()
        assert "#EXT-X-MAP:URI=" in playlist and "#EXT-X-ENDLIST" in playlist
        for segment in re.findall(r"^(\S+\.m4s)$", playlist, re.M):
            assert (rendition.hls_playlist.parent / segment).exists()
    bandwidths = [int(re.search(r"(?:^|,)BANDWIDTH=(\d+)", a).group(1)) for a, _ in variants]
    assert bandwidths == sorted(bandwidths) and bandwidths[0] > 100_000
    audio_uri = re.search(r'#EXT-X-MEDIA:TYPE=AUDIO.*URI="([^"]+)"', text).group(1)
    assert (result.hls_master.parent / audio_uri).exists()


@pytest.mark.slow
def test_ladder_dash_manifest(ladder) -> None:
    result, _ = ladder
    root = ET.parse(result.dash_manifest).getroot()
    assert root.tag == f"{MPD}MPD" and root.get("type") == "static"
    sets = root.findall(f".//{MPD}AdaptationSet")
    assert [s.get("contentType") for s in sets] == ["video", "audio"]
    reps = sets[0].findall(f"{MPD}Representation")
    assert [(int(r.get("width")), int(r.get("height"))) for r in reps] == [(640, 360), (854, 480)]
    assert all(int(r.get("bandwidth")) > 100_000 for r in reps)
    init = reps[0].find(f"{MPD}SegmentTemplate").get("initialization").replace("$RepresentationID$", "0")
    assert (result.dash_manifest.parent / init).exists()
    # HLS and DASH share one set of segments: nothing but .m4s media besides the manifests
    kinds = {p.suffix for p in result.dash_manifest.parent.iterdir()}
    assert kinds == {".m4s", ".mpd", ".m3u8"}


@pytest.mark.slow
def test_ladder_mp4_only_without_audio(tools: Tools, media, tmp_path: Path) -> None:
    result = transcode_ladder(media.no_audio, tmp_path, tools=tools, rungs=plan_ladder(320, 240), fps=25,
                              duration_s=2.0, has_audio=False, hls=False, dash=False, timeout_s=60)
    assert result.hls_master is None and result.dash_manifest is None
    assert not (tmp_path / "dash").exists()
    (r,) = result.rungs
    assert r.mp4_path == tmp_path / "240.mp4" and r.hls_playlist is None
    info = probe(r.mp4_path, tools=tools, limits=Limits())
    assert not info.has_audio and (info.video.width, info.video.height) == (320, 240)


@pytest.mark.slow
def test_ladder_hls_only_no_audio(tools: Tools, media, tmp_path: Path) -> None:
    result = transcode_ladder(media.no_audio, tmp_path, tools=tools, rungs=plan_ladder(320, 240), fps=25,
                              duration_s=2.0, has_audio=False, mp4=False, dash=False, timeout_s=60)
    assert result.dash_manifest is None and not (tmp_path / "dash" / "manifest.mpd").exists()
    text = result.hls_master.read_text()
    assert "AUDIO=" not in text and "#EXT-X-MEDIA" not in text
    assert re.search(r'RESOLUTION=320x240,CODECS="avc1\.[0-9a-f]{6}"', text)
    (r,) = result.rungs
    assert r.mp4_path is None and r.size_bytes > 0 and r.bitrate > 0
    assert not list(tmp_path.glob("*.mp4"))


@pytest.mark.slow
def test_ladder_portrait_and_webm(tools: Tools, media, tmp_path: Path) -> None:
    result = transcode_ladder(media.portrait, tmp_path, tools=tools, rungs=plan_ladder(180, 320), fps=30,
                              duration_s=2.0, has_audio=True, hls=False, dash=False, webm=True, timeout_s=120)
    (r,) = result.rungs
    assert (r.width, r.height) == (180, 320)
    assert result.webm_path == tmp_path / "320.webm".replace("320", str(r.label))
    info = probe(result.webm_path, tools=tools, limits=Limits())
    assert info.format_name.startswith("matroska")
    assert info.video.codec_name == "vp9" and (info.video.width, info.video.height) == (180, 320)
    assert info.audio[0].codec_name == "opus"


@pytest.mark.slow
def test_ladder_rotated_phone_video_is_upright(tools: Tools, media, tmp_path: Path) -> None:
    src = probe(media.rotated, tools=tools, limits=Limits()).video
    rungs = plan_ladder(src.display_width, src.display_height)
    result = transcode_ladder(media.rotated, tmp_path, tools=tools, rungs=rungs, fps=30, duration_s=1.0,
                              has_audio=False, hls=False, dash=False, timeout_s=60)
    out = probe(result.rungs[0].mp4_path, tools=tools, limits=Limits()).video
    # ffmpeg turned the pictures before scaling: square pixels, portrait shape, no rotation flag left.
    assert (out.width, out.height, out.sample_aspect_ratio, out.rotation) == (180, 320, "1:1", 0)


@pytest.mark.slow
def test_ladder_webm_only(tools: Tools, media, tmp_path: Path) -> None:
    result = transcode_ladder(media.no_audio, tmp_path, tools=tools, rungs=plan_ladder(320, 240), fps=25,
                              duration_s=2.0, has_audio=False, mp4=False, hls=False, dash=False, webm=True,
                              timeout_s=60)
    assert result.rungs == [] and result.webm_path == tmp_path / "240.webm"
    assert probe(result.webm_path, tools=tools, limits=Limits()).video.codec_name == "vp9"


@pytest.mark.slow
def test_ladder_deinterlaces_interlaced_source(tools: Tools, media, tmp_path: Path) -> None:
    result = transcode_ladder(media.interlaced, tmp_path, tools=tools, rungs=plan_ladder(320, 240), fps=25,
                              duration_s=2.0, has_audio=False, hls=False, dash=False, timeout_s=60)
    info = probe(result.rungs[0].mp4_path, tools=tools, limits=Limits())
    assert info.video.scan_type == "progressive"


def test_ladder_refuses_empty_work(tools: Tools, media, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        transcode_ladder(media.clip, tmp_path, tools=tools, rungs=[], fps=25, duration_s=3, has_audio=True,
                         timeout_s=10)
    with pytest.raises(ValueError):
        transcode_ladder(media.clip, tmp_path, tools=tools, rungs=plan_ladder(320, 240), fps=25, duration_s=3,
                         has_audio=True, mp4=False, hls=False, dash=False, timeout_s=10)


@pytest.mark.slow
def test_reference_commands_for_benchmark(tools: Tools, media, tmp_path: Path) -> None:
    rungs = plan_ladder(854, 480)
    (tmp_path / "limit").mkdir()
    (tmp_path / "each").mkdir()
    run_ffmpeg(limit_ladder_args(media.clip_480, tmp_path / "limit", rungs, fps=30, has_audio=True),
               tools=tools, timeout_s=120)
    commands = per_rung_args(media.clip_480, tmp_path / "each", rungs, fps=30, has_audio=True)
    assert len(commands) == 2
    for command in commands:
        run_ffmpeg(command, tools=tools, timeout_s=120)
    for folder in ("limit", "each"):
        heights = [probe(tmp_path / folder / f"{r.label}.mp4", tools=tools, limits=Limits()).video.height
                   for r in rungs]
        assert heights == [360, 480]
        assert _keyframe_times(tools, tmp_path / folder / "480.mp4") == [0.0, 2.0]
