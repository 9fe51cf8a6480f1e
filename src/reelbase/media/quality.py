"""Video quality: no-reference assessment of an upload, full-reference comparison of a processed copy.

No-reference metrics (``assess_quality``)
----------------------------------------
``samples`` frames are taken at the centres of equal parts of the video, one seek each, converted to 8-bit
4:2:0, and measured with:

* ``blur`` - ffmpeg ``blurdetect`` (mean edge width, larger is blurrier). Sharp video reads 3-5, a Gaussian
  blur of sigma 3 on 640x360 reads ~9.
* ``blockiness`` - ffmpeg ``blockdetect`` (strength of 8x8 block edges, larger is blockier). Clean H.264 reads
  1-5, MPEG-2 starved of bitrate reads over 100.
* ``noise`` - an estimate of the noise standard deviation in luma code values (0-255): the RMS difference
  between the frame and the frame after ffmpeg's ``nlmeans`` spatial denoiser (``s=3:p=3:r=7``), computed by
  the ``psnr`` filter (``sqrt(mse.y)``), on a central crop of at most 640x360 (nlmeans is slow on whole
  HD frames). Detail that nlmeans keeps does not count; grain it removes does.
  Clean video reads ~1, uniform noise of amplitude 8 reads ~4, of amplitude 25 ~6 (nlmeans stops short of
  removing heavy noise, so the estimate saturates; it stays monotonic).

Each sample mean becomes a subjective score 0-5 by linear interpolation between the breakpoints in
``SCORE_CURVES`` (value -> score; below the first / above the last breakpoint the end score holds):

=========== ==== ==== ==== ==== ==== ====
score         5    4    3    2    1    0
blur         4.0  6.0  8.0 10.0 13.0 16.0
blockiness   3.0  5.0 10.0 20.0 50.0 100.0
noise        1.0  2.0  3.5  5.0  8.0 12.0
=========== ==== ==== ==== ==== ==== ====

Labels by score: [0, 1) bad, [1, 2) poor, [2, 3) fair, [3, 4) good, [4, 5] excellent. The overall score is
the mean of the metric scores (as Pixop reports it) but never more than 1.0 above the worst metric, so one
severe defect is not averaged away. The curves were set on synthetic references (testsrc2 clean, blurred,
noised, starved MPEG-2); they rank videos sensibly but are not calibrated against viewer panels.

Full-reference metrics (``compare_quality``)
-------------------------------------------
PSNR (luma, dB) and SSIM (all planes) from ffmpeg's ``psnr``/``ssim``, and VMAF from ``libvmaf`` when the ffmpeg
build has it. The distorted video is scaled (bicubic) to the reference size and both are compared frame by
frame from their first frame; a reference with another frame rate is resampled to the distorted one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from reelbase.media.errors import FFmpegError
from reelbase.media.runner import run_ffmpeg, run_ffprobe, safe_input_args
from reelbase.media.tools import Limits, Tools, has_filter

SCORE_CURVES: dict[str, list[tuple[float, float]]] = {
    "blur": [(4.0, 5), (6.0, 4), (8.0, 3), (10.0, 2), (13.0, 1), (16.0, 0)],
    "blockiness": [(3.0, 5), (5.0, 4), (10.0, 3), (20.0, 2), (50.0, 1), (100.0, 0)],
    "noise": [(1.0, 5), (2.0, 4), (3.5, 3), (5.0, 2), (8.0, 1), (12.0, 0)],
}
LABELS = ((1.0, "bad"), (2.0, "poor"), (3.0, "fair"), (4.0, "good"), (math.inf, "excellent"))
# nlmeans costs seconds per 1080p frame, so the noise is measured on a central crop of at most 640x360
# (noise is much the same all over a frame; the crop keeps the native scale, which downscaling would not).
_SAMPLE_GRAPH = (
    "[0:v:0]format=yuv420p,split[a][b];"
    "[b]crop=w='min(iw,640)':h='min(ih,360)',split[c1][c2];[c2]nlmeans=s=3:p=3:r=7[d];"
    "[c1][d]psnr,metadata=print[n];[a]blurdetect,blockdetect,metadata=print[m]"
)
_META = re.compile(r"lavfi\.(blur|block|psnr\.mse\.y)=([\d.]+)")


@dataclass(frozen=True)
class QualityMetric:
    name: str  # "blur", "blockiness", "noise"
    sample_mean: float
    score: float  # 0..5
    label: str  # bad / poor / fair / good / excellent


@dataclass(frozen=True)
class QualityReport:
    metrics: list[QualityMetric]
    overall_score: float
    overall_label: str
    samples: int  # frames actually measured


@dataclass(frozen=True)
class FullReferenceReport:
    psnr_db: float  # luma PSNR averaged over frames; inf for identical videos
    ssim: float  # SSIM over all planes, 0..1
    vmaf: float | None  # 0..100, None when libvmaf is unavailable or not asked for
    frames: int


def score_value(metric: str, value: float) -> float:
    """Map a raw metric value to 0..5 with the curve in ``SCORE_CURVES`` (see module docstring)."""
    curve = SCORE_CURVES[metric]
    if value <= curve[0][0]:
        return float(curve[0][1])
    for (x0, y0), (x1, y1) in zip(curve, curve[1:]):
        if value <= x1:
            return round(y0 + (y1 - y0) * (value - x0) / (x1 - x0), 2)
    return float(curve[-1][1])


def label_for(score: float) -> str:
    return next(label for bound, label in LABELS if score < bound)


def _measure_frame(path: Path, time_s: float, *, tools: Tools, limits: Limits | None,
                   timeout_s: float) -> dict[str, float] | None:
    stderr = run_ffmpeg(
        ["-ss", f"{time_s:.3f}", *safe_input_args(path, limits=limits),
         "-filter_complex", _SAMPLE_GRAPH, "-map", "[m]", "-frames:v", "1", "-f", "null", "-",
         "-map", "[n]", "-frames:v", "1", "-f", "null", "-"],
        tools=tools, timeout_s=timeout_s,
    )
    values: dict[str, float] = {}
    for key, value in _META.findall(stderr):
        values.setdefault(key, float(value))  # the first frame's values; psnr may flush a second one
    return values if len(values) == 3 else None


def assess_quality(
    path: str | Path,
    *,
    tools: Tools,
    duration_s: float,
    samples: int = 10,
    limits: Limits | None = None,
    timeout_s: float = 300,
) -> QualityReport:
    """No-reference quality of the video at ``path`` from ``samples`` evenly spaced frames.

    Returns per-metric sample means, scores and labels and an overall score (see the module docstring
    for what is measured and how it maps). Raises ``FFmpegError`` if no frame could be measured.
    """
    path = Path(path)
    last = max(0.0, duration_s - 0.1)
    times = [min(last, duration_s * (i + 0.5) / samples) for i in range(max(1, samples))]
    measured = [m for t in times if (m := _measure_frame(path, t, tools=tools, limits=limits,
                                                          timeout_s=timeout_s))]
    if not measured:
        measured = [m for m in [_measure_frame(path, 0.0, tools=tools, limits=limits, timeout_s=timeout_s)] if m]
    if not measured:
        raise FFmpegError([tools.ffmpeg, "quality"], 0, f"{path}: no frame could be measured")
    means = {
        "blur": sum(m["blur"] for m in measured) / len(measured),
        "blockiness": sum(m["block"] for m in measured) / len(measured),
        "noise": sum(math.sqrt(m["psnr.mse.y"]) for m in measured) / len(measured),
    }
    metrics = []
    for name, mean in means.items():
        score = score_value(name, mean)
        metrics.append(QualityMetric(name=name, sample_mean=round(mean, 4), score=score, label=label_for(score)))
    scores = [m.score for m in metrics]
    overall = round(min(sum(scores) / len(scores), min(scores) + 1.0), 2)
    return QualityReport(metrics=metrics, overall_score=overall, overall_label=label_for(overall),
                         samples=len(measured))


def _video_info(path: Path, tools: Tools) -> tuple[int, int, float]:
    data = run_ffprobe(["-select_streams", "v:0", "-show_streams", *safe_input_args(path)], tools=tools,
                       timeout_s=60)
    stream = (data.get("streams") or [{}])[0]
    num, _, den = (stream.get("avg_frame_rate") or "0/1").partition("/")
    fps = int(num) / int(den) if den and int(den) else 0.0
    return int(stream.get("width") or 0), int(stream.get("height") or 0), fps


_PSNR = re.compile(r"PSNR y:(inf|[\d.]+)")
_SSIM = re.compile(r"SSIM Y:[\d.]+ .*All:([\d.]+)")
_VMAF = re.compile(r"VMAF score: ([\d.]+)")
_FRAMES = re.compile(r"frame=\s*(\d+)")


def compare_quality(
    reference: str | Path,
    distorted: str | Path,
    *,
    tools: Tools,
    vmaf: bool | None = None,
    reference_start_s: float = 0.0,
    vmaf_subsample: int = 1,
    timeout_s: float = 3600,
) -> FullReferenceReport:
    """PSNR, SSIM and (when available) VMAF of ``distorted`` against ``reference``.

    ``vmaf=None`` computes VMAF if this ffmpeg has libvmaf, ``False`` skips it, ``True`` requires it
    (``ValueError`` if missing). ``reference_start_s`` skips the start of the reference, for a distorted
    video that is a clip of it. ``vmaf_subsample`` > 1 scores every n-th frame (much faster on long
    videos). Raises ``FFmpegError`` when ffmpeg fails.
    """
    reference, distorted = Path(reference), Path(distorted)
    available = has_filter(tools, "libvmaf")
    if vmaf and not available:
        raise ValueError("this ffmpeg has no libvmaf filter")
    use_vmaf = available if vmaf is None else vmaf
    width, height, ref_fps = _video_info(reference, tools)
    _, _, dist_fps = _video_info(distorted, tools)
    resample = f"fps={dist_fps:.6f}," if dist_fps and ref_fps and abs(dist_fps - ref_fps) > 0.01 else ""
    n = 3 if use_vmaf else 2
    graph = (
        f"[1:v:0]scale={width}:{height}:flags=bicubic,format=yuv420p,setsar=1,setpts=PTS-STARTPTS,"
        f"split={n}" + "".join(f"[d{i}]" for i in range(n)) + ";"
        f"[0:v:0]{resample}format=yuv420p,setsar=1,setpts=PTS-STARTPTS,split={n}"
        + "".join(f"[r{i}]" for i in range(n)) + ";"
        "[d0][r0]psnr=shortest=1[p];[d1][r1]ssim=shortest=1[s]"
        + (f";[d2][r2]libvmaf=n_threads=2:n_subsample={vmaf_subsample}:shortest=1[v]" if use_vmaf else "")
    )
    seek = ["-ss", f"{reference_start_s:.3f}"] if reference_start_s > 0 else []
    args = [*seek, *safe_input_args(reference), *safe_input_args(distorted), "-filter_complex", graph,
            "-map", "[p]", "-f", "null", "-", "-map", "[s]", "-f", "null", "-"]
    if use_vmaf:
        args += ["-map", "[v]", "-f", "null", "-"]
    stderr = run_ffmpeg(args, tools=tools, timeout_s=timeout_s)
    psnr, ssim = _PSNR.findall(stderr), _SSIM.findall(stderr)
    vmaf_scores = _VMAF.findall(stderr) if use_vmaf else []
    if not psnr or not ssim or (use_vmaf and not vmaf_scores):
        raise FFmpegError([tools.ffmpeg, "compare"], 0, "metric summary missing\n" + stderr[-2048:])
    frames = _FRAMES.findall(stderr)
    return FullReferenceReport(
        psnr_db=math.inf if psnr[-1] == "inf" else round(float(psnr[-1]), 3),
        ssim=round(float(ssim[-1]), 5),
        vmaf=round(float(vmaf_scores[-1]), 3) if vmaf_scores else None,
        frames=int(frames[-1]) if frames else 0,
    )
