from __future__ import annotations

import time
from pathlib import Path

import pytest

from reelbase.media import (
    ACCEPTED_FORMATS,
    FFmpegError,
    MediaRejected,
    Tools,
    run_ffmpeg,
    run_ffmpeg_detailed,
    run_ffprobe,
    safe_input_args,
)
from reelbase.media.runner import _parse_out_time_s


def test_safe_input_args_shape(tmp_path: Path) -> None:
    args = safe_input_args(tmp_path / "x.mp4")
    assert args[:4] == ["-protocol_whitelist", "file", "-format_whitelist", ACCEPTED_FORMATS]
    assert args[-2:] == ["-i", f"file:{(tmp_path / 'x.mp4').resolve()}"]
    assert "hls" not in ACCEPTED_FORMATS.split(",")
    assert "concat" not in ACCEPTED_FORMATS.split(",")
    assert "image2" not in ACCEPTED_FORMATS.split(",")


def test_parse_out_time_ignores_unknown_and_negative() -> None:
    assert _parse_out_time_s({"out_time_us": "-9223372036854775807"}) is None
    assert _parse_out_time_s({"out_time_us": "N/A"}) is None
    assert _parse_out_time_s({"out_time_ms": "1500000"}) == 1.5  # microseconds despite the name
    assert _parse_out_time_s({"out_time_us": "2000000", "out_time_ms": "9"}) == 2.0


def test_run_ffmpeg_reports_progress(tools: Tools, tmp_path: Path) -> None:
    seen: list[float] = []
    run_ffmpeg(
        ["-re", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=2.5", "-c:v", "libx264",
         "-preset", "ultrafast", str(tmp_path / "o.mp4")],
        tools=tools, timeout_s=30, duration_s=2.5, on_progress=seen.append,
    )
    assert seen[-1] == 1.0
    assert len(seen) >= 2  # -re makes it last ~2.5 s, so intermediate reports arrive
    assert seen == sorted(seen)
    assert all(0.0 <= f <= 1.0 for f in seen)


def test_run_ffmpeg_failure_raises_with_tail(tools: Tools, tmp_path: Path) -> None:
    with pytest.raises(FFmpegError) as info:
        run_ffmpeg(["-i", f"file:{tmp_path / 'missing.mp4'}", "-f", "null", "-"], tools=tools, timeout_s=30)
    assert info.value.returncode != 0
    assert "No such file" in info.value.stderr_tail
    assert info.value.cmd[0] == tools.ffmpeg
    assert len(info.value.stderr_tail) <= 2048


def test_run_ffmpeg_timeout_kills_process(tools: Tools) -> None:
    started = time.monotonic()
    with pytest.raises(MediaRejected) as info:
        run_ffmpeg(["-re", "-f", "lavfi", "-i", "testsrc2=s=64x64:r=10", "-f", "null", "-"],
                   tools=tools, timeout_s=1.0)
    assert info.value.code == "timeout"
    assert time.monotonic() - started < 10


def test_run_ffmpeg_callback_exception_cancels(tools: Tools) -> None:
    class Cancelled(Exception):
        pass

    def cancel(_: float) -> None:
        raise Cancelled

    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_ffmpeg(["-re", "-f", "lavfi", "-i", "testsrc2=s=64x64:r=10:d=30", "-f", "null", "-"],
                   tools=tools, timeout_s=60, duration_s=30, on_progress=cancel)
    assert time.monotonic() - started < 10


def test_run_ffmpeg_detailed_measures_memory(tools: Tools) -> None:
    result = run_ffmpeg_detailed(["-f", "lavfi", "-i", "testsrc2=s=64x64:d=0.2", "-f", "null", "-"],
                                 tools=tools, timeout_s=30)
    assert 1_000 < result.max_rss_kb < 1_000_000
    assert result.elapsed_s > 0


def test_run_ffprobe_returns_json(tools: Tools, media) -> None:
    data = run_ffprobe(["-show_format", *safe_input_args(media.clip)], tools=tools, timeout_s=30)
    assert data["format"]["nb_streams"] == 2


def test_run_ffprobe_failure_raises(tools: Tools, media) -> None:
    with pytest.raises(FFmpegError, match="ffprobe"):
        run_ffprobe(["-show_format", *safe_input_args(media.text_mp4)], tools=tools, timeout_s=30)


@pytest.mark.parametrize("name", ["hls_mp4", "concat_mp4"])
def test_format_whitelist_refuses_playlists_named_mp4(tools: Tools, media, name: str) -> None:
    path = getattr(media, name)
    with pytest.raises(FFmpegError) as info:
        run_ffprobe(["-show_format", *safe_input_args(path)], tools=tools, timeout_s=30)
    assert "Format not on whitelist" in info.value.stderr_tail
    # The same file without the whitelist is opened as a playlist and its neighbour is read: the check
    # above is what stands between an upload and the other files on disk.
    data = run_ffprobe(["-show_format", "-i", str(path)], tools=tools, timeout_s=30)
    assert data["format"]["format_name"] in ("hls", "concat")
