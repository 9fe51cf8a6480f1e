from __future__ import annotations

import re
from pathlib import Path

import pytest

from reelbase.media import Tools
from reelbase.media.thumbnails import extract_thumbnails, jpeg_size, make_storyboard, resize_image


def _mean_luma(tools: Tools, jpeg: Path) -> float:
    from reelbase.media import run_ffmpeg

    stderr = run_ffmpeg(["-f", "jpeg_pipe", "-i", str(jpeg), "-vf", "signalstats,metadata=print",
                         "-f", "null", "-"], tools=tools, timeout_s=30)
    return float(re.search(r"YAVG=([\d.]+)", stderr).group(1))


def _tile_luma(tools: Tools, sprite: Path, x: int, y: int, w: int, h: int) -> float:
    from reelbase.media import run_ffmpeg

    stderr = run_ffmpeg(["-f", "jpeg_pipe", "-i", str(sprite), "-vf", f"crop={w}:{h}:{x}:{y},signalstats,"
                         "metadata=print", "-f", "null", "-"], tools=tools, timeout_s=30)
    return float(re.search(r"YAVG=([\d.]+)", stderr).group(1))


def test_storyboard_from_keyframes_only(tools: Tools, media, tmp_path: Path) -> None:
    from reelbase.media import run_ffmpeg

    # Keyframes every 0.4 s, tiles every 1 s: only keyframes are decoded, and every tile is filled.
    src = tmp_path / "gop.mp4"
    run_ffmpeg([*media.pattern("320x240", 4), *media.x264, "-g", "10", str(src)], tools=tools, timeout_s=60)
    board = make_storyboard(src, tmp_path, tools=tools, duration_s=4.0, tile_width=80)
    assert (board.tiles, board.columns, board.rows, board.tile_height) == (4, 4, 1, 60)
    assert all(_tile_luma(tools, board.sprite_path, 80 * i, 0, 80, 60) > 60 for i in range(4))


def test_thumbnails_names_sizes_and_spread(tools: Tools, media, tmp_path: Path) -> None:
    thumbs = extract_thumbnails(media.clip_480, tmp_path, tools=tools, code="abc123", duration_s=3.0,
                                source_height=480)
    # 5 frames x the two heights not above the source (720 is skipped).
    assert len(thumbs) == 10
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"abc123_{h}_{i:02d}.jpg" for h in (360, 480) for i in range(1, 6))
    for t in thumbs:
        assert t.path.exists() and (t.width, t.height) == jpeg_size(t.path)
        assert t.height in (360, 480)
        assert t.width == {360: 640, 480: 854}[t.height]
    times = sorted({t.time_s for t in thumbs})
    assert len(times) == 5 and times[0] < 0.6 and times[-1] > 2.4
    assert [t.index for t in thumbs if t.height == 360] == [1, 2, 3, 4, 5]


def test_thumbnails_small_source_uses_own_height(tools: Tools, media, tmp_path: Path) -> None:
    thumbs = extract_thumbnails(media.clip, tmp_path, tools=tools, code="small", duration_s=3.0,
                                source_height=240, count=2)
    assert [(t.index, t.height, t.width) for t in thumbs] == [(1, 240, 320), (2, 240, 320)]
    assert (tmp_path / "small_240_01.jpg").exists()


def test_thumbnails_portrait_keep_aspect(tools: Tools, media, tmp_path: Path) -> None:
    (thumb,) = extract_thumbnails(media.portrait, tmp_path, tools=tools, code="p", duration_s=2.0,
                                  source_height=320, count=1)
    assert (thumb.width, thumb.height) == (180, 320)


def test_thumbnails_rotated_source_shown_upright(tools: Tools, media, tmp_path: Path) -> None:
    (thumb,) = extract_thumbnails(media.rotated, tmp_path, tools=tools, code="r", duration_s=1.0,
                                  source_height=320, count=1)
    assert (thumb.width, thumb.height) == (180, 320)


def test_thumbnails_skip_black_frames(tools: Tools, media, tmp_path: Path) -> None:
    thumbs = extract_thumbnails(media.dark_start, tmp_path, tools=tools, code="d", duration_s=3.0,
                                source_height=240)
    assert len(thumbs) == 5
    # The first 1.4 s are black; time_s is the seek time, the picture is the first frame at or after it.
    assert all(t.time_s > 1.36 for t in thumbs)
    assert all(_mean_luma(tools, t.path) > 60 for t in thumbs)
    assert not list(tmp_path.glob(".*"))  # rejected candidates were cleaned up


def test_thumbnails_one_frame_video(tools: Tools, media, tmp_path: Path) -> None:
    thumbs = extract_thumbnails(media.one_frame, tmp_path, tools=tools, code="one", duration_s=0.04,
                                source_height=240, count=3)
    assert [t.index for t in thumbs] == [1, 2, 3]
    assert all(t.time_s == 0.0 for t in thumbs)


def test_thumbnails_refuse_unsafe_code(tools: Tools, media, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsafe"):
        extract_thumbnails(media.clip, tmp_path, tools=tools, code="../x", duration_s=3, source_height=240)


def test_resize_image(tools: Tools, media, tmp_path: Path) -> None:
    (thumb,) = extract_thumbnails(media.clip_480, tmp_path, tools=tools, code="z", duration_s=3.0,
                                  source_height=480, count=1, heights=(480,))
    out = resize_image(thumb.path, tmp_path / "cache" / "z_300.jpg", tools=tools, height=300)
    assert jpeg_size(out) == (532, 300)
    with pytest.raises(ValueError, match="minimum 260"):
        resize_image(thumb.path, tmp_path / "x.jpg", tools=tools, height=259)
    assert not (tmp_path / "x.jpg").exists()


def test_storyboard_sprite_and_vtt(tools: Tools, media, tmp_path: Path) -> None:
    board = make_storyboard(media.clip, tmp_path, tools=tools, duration_s=3.0, interval_s=0.5,
                            tile_width=80, columns=4)
    assert (board.tiles, board.columns, board.rows) == (6, 4, 2)
    assert (board.tile_width, board.tile_height) == (80, 60)
    assert jpeg_size(board.sprite_path) == (320, 120)
    text = board.vtt_path.read_text()
    assert text.startswith("WEBVTT\n")
    cues = re.findall(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(\S+)", text)
    assert len(cues) == 6
    assert cues[0] == ("00:00:00.000", "00:00:00.500", "storyboard.jpg#xywh=0,0,80,60")
    assert cues[5] == ("00:00:02.500", "00:00:03.000", "storyboard.jpg#xywh=80,60,80,60")
    assert _tile_luma(tools, board.sprite_path, 80, 60, 80, 60) > 60  # the last tile is a picture, not padding
    # Tiles differ: the pattern moves, so the sprite is not one frame repeated.
    second = make_storyboard(media.clip, tmp_path / "b", tools=tools, duration_s=3.0, sprite_name="s.jpg")
    assert second.interval_s == 1.0 and second.tiles == 3
    assert "s.jpg#xywh=160,0,160,120" in second.vtt_path.read_text()


def test_storyboard_of_one_frame_video(tools: Tools, media, tmp_path: Path) -> None:
    board = make_storyboard(media.one_frame, tmp_path, tools=tools, duration_s=0.04)
    assert (board.tiles, board.columns, board.rows) == (1, 1, 1)
    assert jpeg_size(board.sprite_path) == (160, 120)
    assert "storyboard.jpg#xywh=0,0,160,120" in board.vtt_path.read_text()
