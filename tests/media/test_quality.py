from __future__ import annotations

import math
from pathlib import Path

import pytest

from reelbase.media import Tools, has_filter, run_ffmpeg
from reelbase.media.quality import (
    assess_quality,
    compare_quality,
    label_for,
    score_value,
)


def _variant(media, tools: Tools, name: str, *args: str) -> Path:
    out = media.root / name
    if not out.exists():
        run_ffmpeg(["-i", str(media.clip), *args, str(out)], tools=tools, timeout_s=60)
    return out


def test_score_curves_and_labels() -> None:
    assert score_value("blur", 2.0) == 5.0
    assert score_value("blur", 7.0) == 3.5
    assert score_value("blur", 99.0) == 0.0
    assert score_value("blockiness", 155.0) == 0.0
    assert score_value("noise", 1.5) == 4.5
    assert [label_for(s) for s in (0.0, 1.5, 2.0, 3.99, 4.0, 5.0)] == [
        "bad", "poor", "fair", "good", "excellent", "excellent"]


def test_assess_quality_clean_clip(tools: Tools, media) -> None:
    report = assess_quality(media.clip, tools=tools, duration_s=3.0, samples=4)
    assert report.samples == 4
    assert [m.name for m in report.metrics] == ["blur", "blockiness", "noise"]
    by_name = {m.name: m for m in report.metrics}
    assert by_name["noise"].sample_mean < 2.0
    assert by_name["blockiness"].score >= 3.5
    assert report.overall_score >= 3.0
    assert report.overall_label in ("good", "excellent")
    for m in report.metrics:
        assert 0 <= m.score <= 5 and m.label == label_for(m.score)


@pytest.mark.slow
def test_assess_quality_ranks_defects(tools: Tools, media) -> None:
    clean = assess_quality(media.clip, tools=tools, duration_s=3.0, samples=3)
    blurred = assess_quality(_variant(media, tools, "blurred.mp4", "-vf", "gblur=sigma=3", "-c:v", "libx264",
                                      "-crf", "12", "-preset", "ultrafast"), tools=tools, duration_s=3.0,
                             samples=3)
    noisy = assess_quality(_variant(media, tools, "noisy.mp4", "-vf", "noise=alls=25:allf=t", "-c:v",
                                    "libx264", "-crf", "12", "-preset", "ultrafast"), tools=tools,
                           duration_s=3.0, samples=3)
    blocky = assess_quality(_variant(media, tools, "blocky.mpg", "-c:v", "mpeg2video", "-q:v", "31"),
                            tools=tools, duration_s=3.0, samples=3)

    def metric(report, name):
        return next(m for m in report.metrics if m.name == name)

    assert metric(blurred, "blur").sample_mean > metric(clean, "blur").sample_mean + 1
    assert metric(blurred, "blur").score < metric(clean, "blur").score
    assert metric(noisy, "noise").sample_mean > 2 * metric(clean, "noise").sample_mean
    assert metric(noisy, "noise").score < metric(clean, "noise").score
    assert metric(blocky, "blockiness").sample_mean > 2 * metric(clean, "blockiness").sample_mean
    for worse in (blurred, noisy, blocky):
        assert worse.overall_score < clean.overall_score


def test_compare_quality_identical_and_degraded(tools: Tools, media) -> None:
    same = compare_quality(media.clip, media.clip, tools=tools, vmaf=False)
    assert math.isinf(same.psnr_db) and same.ssim == 1.0 and same.vmaf is None
    assert same.frames == 75
    small = _variant(media, tools, "small.mp4", "-vf", "scale=160:120", "-c:v", "libx264", "-crf", "35",
                     "-preset", "ultrafast")
    worse = compare_quality(media.clip, small, tools=tools, vmaf=False)
    assert 15 < worse.psnr_db < 40 and 0.3 < worse.ssim < 0.99


@pytest.mark.slow
def test_compare_quality_vmaf(tools: Tools, media) -> None:
    if not has_filter(tools, "libvmaf"):
        with pytest.raises(ValueError):
            compare_quality(media.clip, media.clip, tools=tools, vmaf=True)
        return
    small = _variant(media, tools, "small.mp4", "-vf", "scale=160:120", "-c:v", "libx264", "-crf", "35",
                     "-preset", "ultrafast")
    good = compare_quality(media.clip, media.clip, tools=tools)
    bad = compare_quality(media.clip, small, tools=tools, vmaf=True)
    assert good.vmaf is not None and bad.vmaf is not None
    assert good.vmaf > 90 and bad.vmaf < good.vmaf - 10


def test_compare_quality_clip_and_frame_rate(tools: Tools, media, tmp_path: Path) -> None:
    # A 1 s clip from 1.0 s at 50 fps: the reference is seeked and resampled to match.
    clip = tmp_path / "clip50.mp4"
    run_ffmpeg(["-ss", "1", "-t", "1", "-i", str(media.clip), "-vf", "fps=50", "-c:v", "libx264", "-crf", "10",
                "-preset", "ultrafast", str(clip)], tools=tools, timeout_s=60)
    aligned = compare_quality(media.clip, clip, tools=tools, vmaf=False, reference_start_s=1.0)
    misaligned = compare_quality(media.clip, clip, tools=tools, vmaf=False)
    assert aligned.psnr_db > 35
    assert aligned.psnr_db > misaligned.psnr_db + 5
