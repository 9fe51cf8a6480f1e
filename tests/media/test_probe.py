from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reelbase.media import (
    Limits,
    MediaRejected,
    Tools,
    decode_check,
    detect_interlace,
    probe,
    run_ffmpeg_detailed,
    safe_input_args,
)

LIMITS = Limits()


def test_probe_describes_clip(tools: Tools, media) -> None:
    result = probe(media.clip, tools=tools, limits=LIMITS)
    assert result.format_name.startswith("mov,mp4")
    assert "QuickTime" in result.format_long_name
    assert 2950 <= result.duration_ms <= 3100
    assert result.size_bytes == media.clip.stat().st_size
    assert result.bit_rate and result.bit_rate > 0
    v = result.video
    assert (v.codec_name, v.width, v.height) == ("h264", 320, 240)
    assert v.codec_long_name.startswith("H.264")
    assert v.pix_fmt == "yuv420p" and v.chroma_subsampling == "4:2:0" and v.bit_depth == 8
    assert v.display_aspect_ratio == "4:3" and v.sample_aspect_ratio == "1:1"
    assert v.storage_aspect_ratio == "4:3"
    assert v.avg_frame_rate == 25.0 and v.avg_frame_rate_fraction == "25/1"
    assert v.total_frames == 75 and not v.total_frames_estimated
    assert v.scan_type == "progressive" and v.field_order == "progressive"
    assert v.stream_size_bytes and 0 < v.stream_size_bytes < result.size_bytes
    assert result.has_audio
    (a,) = result.audio
    assert (a.codec_name, a.channels, a.sample_rate) == ("aac", 1, 48000)
    assert a.bit_rate and 40_000 < a.bit_rate < 90_000


def test_probe_interlaced_metadata(tools: Tools, media) -> None:
    v = probe(media.interlaced, tools=tools, limits=LIMITS).video
    assert v.scan_type == "interlaced"
    assert v.field_order == "tff"


def test_probe_portrait_and_rotation(tools: Tools, media) -> None:
    portrait = probe(media.portrait, tools=tools, limits=LIMITS).video
    assert (portrait.width, portrait.height, portrait.rotation) == (180, 320, 0)
    assert portrait.display_aspect_ratio == "9:16"
    rotated = probe(media.rotated, tools=tools, limits=LIMITS).video
    assert (rotated.width, rotated.height) == (320, 180)
    assert rotated.rotation in (90, 270)
    assert (rotated.display_width, rotated.display_height) == (180, 320)


def test_probe_without_audio(tools: Tools, media) -> None:
    result = probe(media.no_audio, tools=tools, limits=LIMITS)
    assert not result.has_audio and result.audio == []
    assert result.nb_streams == 1


def test_probe_one_frame(tools: Tools, media) -> None:
    result = probe(media.one_frame, tools=tools, limits=LIMITS)
    assert result.video.total_frames == 1
    assert result.duration_ms <= 100


def test_probe_mpegts_upload(tools: Tools, media, tmp_path: Path) -> None:
    # MPEG-TS (camera .mts files) once crashed the static ffmpeg build here (iconv in its old glibc);
    # see tools.subprocess_env.
    ts = tmp_path / "camera.mts"
    run_ffmpeg_detailed([*safe_input_args(media.clip), "-c", "copy", "-f", "mpegts", str(ts)], tools=tools,
                        timeout_s=30)
    result = probe(ts, tools=tools, limits=LIMITS)
    assert result.format_name == "mpegts"
    assert (result.video.codec_name, result.video.width) == ("h264", 320)
    decode_check(ts, tools=tools, limits=LIMITS)


def test_probe_mkv_estimates_frames(tools: Tools, media, tmp_path: Path) -> None:
    mkv = tmp_path / "clip.mkv"
    run_ffmpeg_detailed([*safe_input_args(media.no_audio), "-c", "copy", str(mkv)], tools=tools, timeout_s=30)
    v = probe(mkv, tools=tools, limits=LIMITS).video
    assert v.total_frames == 50
    assert v.total_frames_estimated


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("text_mp4", "not_a_video", "not a video"),
        ("truncated", "truncated", "truncated file"),
        ("truncated_faststart", "truncated", "truncated file"),
        ("hls_mp4", "unsupported_format", "hls"),
        ("concat_mp4", "unsupported_format", "concat"),
        ("audio_only", "not_a_video", "not a video: no video stream"),
    ],
)
def test_probe_rejects_bad_input(tools: Tools, media, name: str, code: str, message: str) -> None:
    with pytest.raises(MediaRejected) as info:
        probe(getattr(media, name), tools=tools, limits=LIMITS)
    assert info.value.code == code
    assert message in info.value.message


def test_probe_rejects_empty_file(tools: Tools, tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaRejected, match="empty") as info:
        probe(empty, tools=tools, limits=LIMITS)
    assert info.value.code == "not_a_video"


def test_probe_rejects_random_bytes(tools: Tools, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mov"
    junk.write_bytes(bytes(range(256)) * 400)
    with pytest.raises(MediaRejected) as info:
        probe(junk, tools=tools, limits=LIMITS)
    assert info.value.code == "not_a_video"


def test_probe_limits(tools: Tools, media) -> None:
    with pytest.raises(MediaRejected) as info:
        probe(media.clip, tools=tools, limits=Limits(max_width=300, max_height=300))
    assert info.value.code == "over_limit"
    assert info.value.message == "resolution 320x240 over the limit 300x300"
    with pytest.raises(MediaRejected, match="duration 0:00:03 over the limit 0:00:02"):
        probe(media.clip, tools=tools, limits=Limits(max_duration_s=2))
    with pytest.raises(MediaRejected, match="2 streams, over the limit of 1"):
        probe(media.clip, tools=tools, limits=Limits(max_streams=1))


def _decode_in_fresh_process(tools: Tools, path: Path, *, max_pixels: int) -> tuple[str, int]:
    code = (
        "import resource\n"
        "from reelbase.media import Limits, MediaRejected, Tools, decode_check\n"
        f"tools = Tools(ffmpeg={tools.ffmpeg!r}, ffprobe={tools.ffprobe!r})\n"
        "try:\n"
        f"    decode_check({str(path)!r}, tools=tools, limits=Limits(max_pixels={max_pixels}))\n"
        "    verdict = 'ok'\n"
        "except MediaRejected as e:\n"
        "    verdict = e.code\n"
        "print(verdict, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    verdict, rss_kb = out.split()
    return verdict, int(rss_kb)


@pytest.mark.slow
def test_bomb_refused_cheaply(tools: Tools, media) -> None:
    bomb = media.bomb
    assert bomb.stat().st_size < 400_000
    small = Limits(max_width=16384, max_height=16384, max_pixels=3840 * 2160)
    # ffprobe gets -max_pixels too, so even reading the header does not allocate the frame.
    with pytest.raises(MediaRejected) as info:
        probe(bomb, tools=tools, limits=small)
    assert info.value.code == "over_limit" and "8192x8192" in info.value.message
    with pytest.raises(MediaRejected) as info:
        decode_check(bomb, tools=tools, limits=small)
    assert info.value.code == "over_limit"
    # Peak memory of the decoder, measured in a fresh interpreter whose only child is ffmpeg.
    refused_code, refused_kb = _decode_in_fresh_process(tools, bomb, max_pixels=3840 * 2160)
    assert refused_code == "over_limit"
    assert refused_kb < 150_000
    accepted_code, accepted_kb = _decode_in_fresh_process(tools, bomb, max_pixels=8192 * 8192)
    assert accepted_code == "ok"
    assert accepted_kb > 2 * refused_kb  # what the limit saves, on one frame
    # The default limits accept 8192x8192 exactly (it is the maximum, not over it).
    assert probe(bomb, tools=tools, limits=LIMITS).video.width == 8192


def test_decode_check_accepts_good_file(tools: Tools, media) -> None:
    decode_check(media.clip, tools=tools, limits=LIMITS)
    decode_check(media.clip, tools=tools, limits=LIMITS, seconds=1)


def test_decode_check_rejects_cut_stream(tools: Tools, media) -> None:
    with pytest.raises(MediaRejected) as info:
        decode_check(media.truncated_faststart, tools=tools, limits=LIMITS)
    assert info.value.code == "truncated"


def test_decode_check_rejects_corrupt_stream(tools: Tools, media, tmp_path: Path) -> None:
    # Overwrite bytes in the middle of the mdat of a faststart file: the index stays valid, the
    # H.264 data becomes garbage. Without -xerror ffmpeg would exit 0.
    data = bytearray(media.faststart.read_bytes())
    start = len(data) // 3
    data[start:start + 20_000] = bytes((i * 151 + 7) % 256 for i in range(20_000))
    bad = tmp_path / "corrupt.mp4"
    bad.write_bytes(bytes(data))
    with pytest.raises(MediaRejected) as info:
        decode_check(bad, tools=tools, limits=LIMITS)
    assert info.value.code == "corrupt"
    assert "damaged" in info.value.message


def test_detect_interlace(tools: Tools, media) -> None:
    interlaced = detect_interlace(media.interlaced, tools=tools, sample_frames=40)
    assert interlaced.scan_type == "interlaced" and interlaced.field_order == "tff"
    assert interlaced.tff > interlaced.progressive
    assert 40 <= interlaced.frames <= 42  # idet sees a frame or so past the output limit
    progressive = detect_interlace(media.clip, tools=tools, sample_frames=40)
    assert progressive.scan_type == "progressive"
    assert progressive.progressive > progressive.tff + progressive.bff


def test_detect_interlace_bottom_field_first(tools: Tools, media, tmp_path: Path) -> None:
    bff = tmp_path / "bff.mp4"
    run_ffmpeg_detailed(
        [*media.pattern("320x240", 1, 50), "-vf", "tinterlace=interleave_bottom,setfield=bff",
         *media.x264, str(bff)], tools=tools, timeout_s=60)
    result = detect_interlace(bff, tools=tools)
    assert (result.scan_type, result.field_order) == ("interlaced", "bff")


def _streamed_webm(tools: Tools, out: Path, seconds: float) -> Path:
    """A WebM written to a pipe, as MediaRecorder writes it: no Duration element in the header."""
    with out.open("wb") as fh:
        subprocess.run([tools.ffmpeg, "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                        f"testsrc2=s=160x120:r=15:d={seconds}", "-f", "lavfi", "-i", f"sine=d={seconds}",
                        "-c:v", "libvpx", "-b:v", "200k", "-c:a", "libopus", "-f", "webm", "pipe:1"],
                       stdout=fh, check=True, timeout=120)
    header = subprocess.run([tools.ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                             str(out)], capture_output=True, text=True, check=True).stdout.strip()
    assert header in ("", "N/A"), header  # the header really has no duration
    return out


def test_probe_reads_the_duration_of_a_streamed_webm_from_its_packets(tools: Tools, tmp_path: Path) -> None:
    result = probe(_streamed_webm(tools, tmp_path / "rec.webm", 3), tools=tools, limits=LIMITS)
    assert 2900 <= result.duration_ms <= 3100
    assert result.format_name.startswith("matroska")


def test_a_streamed_webm_cannot_slip_past_the_duration_limit(tools: Tools, tmp_path: Path) -> None:
    path = _streamed_webm(tools, tmp_path / "long.webm", 4)
    with pytest.raises(MediaRejected) as err:
        probe(path, tools=tools, limits=Limits(max_duration_s=2))
    assert err.value.code == "over_limit" and "duration" in str(err.value)
