"""Processing requests (Pixop's process-video) as real ffmpeg work.

``validate_processing`` (in ``processing_spec``) turns the request into a ``ProcessingSpec`` before any
work; ``process_video`` runs it: one ffmpeg pass, or two when stabilising with vid.stab (motion detection,
then the transform with the encode). The filter chain and encoder options come from ``filters``.

What the "Pixop" names become here, honestly: ``deint`` is bwdif, ``denoise`` is hqdn3d at moderate
strength, ``dejit`` is vid.stab, ``pabsr1``/``dvres`` are the best conventional upscaler in the build (zimg
spline36, or lanczos) plus light sharpening (``dvres`` adds a gentle denoise first) - not neural networks -
and ``filmgrain`` is ffmpeg's temporal noise generator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reelbase.media.filters import (
    audio_codec_args,
    detect_chain,
    encode_chain,
    muxer_args,
    video_codec_args,
)
from reelbase.media.probe import ProbeResult, probe
from reelbase.media.processing_spec import (
    MAX_HEIGHT,
    MAX_WIDTH,
    ProcessingSpec,
    validate_processing,
)
from reelbase.media.runner import run_ffmpeg, safe_input_args
from reelbase.media.tools import Limits, Tools, has_filter

EXTENSIONS = {"mov": "mov", "mxf": "mxf", "mp4": "mp4", "mts": "mts"}
DETECT_SHARE = 0.3  # of the progress bar, when stabilising in two passes

__all__ = ["ProcessedFile", "ProcessingSpec", "process_video", "processing_command", "validate_processing"]


@dataclass(frozen=True)
class ProcessedFile:
    path: Path
    size_bytes: int
    info: ProbeResult  # the output, probed
    spec: ProcessingSpec
    passes: int


def _input_args(src: Path, spec: ProcessingSpec, limits: Limits | None) -> list[str]:
    # -ss before -i seeks the input (accurate when transcoding: frames before it are decoded and dropped).
    seek = ["-ss", f"{spec.start_ms / 1000:.3f}"] if spec.start_ms else []
    return [*seek, *safe_input_args(src, limits=limits)]


def processing_command(src: str | Path, out_name: str, spec: ProcessingSpec, *, tools: Tools,
                       limits: Limits | None = None) -> list[str]:
    """The encoding pass's ffmpeg arguments (output relative to the working directory)."""
    chain = encode_chain(spec, vidstab=has_filter(tools, "vidstabtransform"), zscale=has_filter(tools, "zscale"))
    return [
        *_input_args(Path(src), spec, limits), "-t", f"{spec.duration_s:.3f}",
        "-map", "0:v:0", "-vf", ",".join(chain),
        *video_codec_args(spec), *audio_codec_args(spec), *muxer_args(spec), out_name,
    ]


def process_video(
    src: str | Path,
    dst_dir: str | Path,
    spec: ProcessingSpec,
    *,
    tools: Tools,
    on_progress: Callable[[float], None] | None = None,
    timeout_s: float,
    limits: Limits | None = None,
    name: str = "processed",
) -> ProcessedFile:
    """Render ``spec`` from ``src`` into ``dst_dir/{name}.{container}`` and probe the result.

    ``on_progress`` gets 0..1 across all passes; ``timeout_s`` applies to each pass. Raises ``FFmpegError``
    or ``MediaRejected("timeout")``; a partial output may remain in ``dst_dir`` (the caller's scratch).
    """
    src = Path(src).resolve()
    dst = Path(dst_dir)
    dst.mkdir(parents=True, exist_ok=True)
    out_name = f"{name}.{EXTENSIONS[spec.container]}"
    passes = 1
    two_pass = spec.stabilizer is not None and has_filter(tools, "vidstabdetect")
    share = DETECT_SHARE if two_pass else 0.0

    def scaled(offset: float, span: float) -> Callable[[float], None] | None:
        if on_progress is None:
            return None
        return lambda fraction: on_progress(offset + span * fraction)

    if two_pass:
        run_ffmpeg(
            [*_input_args(src, spec, limits), "-t", f"{spec.duration_s:.3f}", "-map", "0:v:0",
             "-vf", ",".join(detect_chain(spec)), "-f", "null", "-"],
            tools=tools, timeout_s=timeout_s, duration_s=spec.duration_s, on_progress=scaled(0.0, share),
            cwd=dst,
        )
        passes = 2
    run_ffmpeg(processing_command(src, out_name, spec, tools=tools, limits=limits), tools=tools,
               timeout_s=timeout_s, duration_s=spec.duration_s, on_progress=scaled(share, 1.0 - share), cwd=dst)
    (dst / "transforms.trf").unlink(missing_ok=True)
    out = dst / out_name
    info = probe(out, tools=tools, limits=Limits(max_width=MAX_WIDTH, max_height=MAX_HEIGHT,
                                                 max_pixels=MAX_WIDTH * MAX_HEIGHT))
    return ProcessedFile(path=out, size_bytes=out.stat().st_size, info=info, spec=spec, passes=passes)
