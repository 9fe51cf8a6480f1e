"""FFmpeg-backed media work: probing, thumbnails, quality, the streaming ladder and processing requests.

This package imports nothing from the rest of Reelbase. Functions take paths, options and callbacks and
return dataclasses; failures raise ``FFmpegError`` (a tool failed), ``MediaRejected`` (the input is
unacceptable, with a stable code and a message for the user) or ``InvalidProcessing`` (a processing request
is contradictory or out of range, with the field named). All three are ``MediaError``.

Modules: ``tools`` (finding ffmpeg, capabilities, limits), ``runner`` (subprocess, progress, safe input
flags), ``probe`` (metadata, interlace detection, decode check), ``thumbnails`` (posters, resizes,
storyboard), ``quality`` (no-reference and full-reference metrics), ``ladder`` + ``manifests`` (ABR ladder,
HLS/DASH), ``processing`` + ``processing_spec`` + ``filters`` (processing requests).
"""

from reelbase.media.errors import (
    FFmpegError,
    InvalidProcessing,
    MediaError,
    MediaRejected,
    ToolsNotFound,
)
from reelbase.media.ladder import LadderResult, Rendition, Rung, plan_ladder, transcode_ladder
from reelbase.media.probe import (
    AudioStream,
    InterlaceResult,
    ProbeResult,
    VideoStream,
    decode_check,
    detect_interlace,
    probe,
)
from reelbase.media.processing import ProcessedFile, process_video
from reelbase.media.processing_spec import ProcessingSpec, validate_processing
from reelbase.media.quality import (
    FullReferenceReport,
    QualityMetric,
    QualityReport,
    assess_quality,
    compare_quality,
)
from reelbase.media.runner import (
    ACCEPTED_FORMATS,
    RunResult,
    run_ffmpeg,
    run_ffmpeg_detailed,
    run_ffprobe,
    safe_input_args,
)
from reelbase.media.thumbnails import Storyboard, Thumbnail, extract_thumbnails, make_storyboard, resize_image
from reelbase.media.tools import Limits, Tools, find_tools, has_encoder, has_filter

__all__ = [
    "ACCEPTED_FORMATS",
    "AudioStream",
    "FFmpegError",
    "FullReferenceReport",
    "InterlaceResult",
    "InvalidProcessing",
    "LadderResult",
    "Limits",
    "MediaError",
    "MediaRejected",
    "ProbeResult",
    "ProcessedFile",
    "ProcessingSpec",
    "QualityMetric",
    "QualityReport",
    "Rendition",
    "Rung",
    "RunResult",
    "Storyboard",
    "Thumbnail",
    "Tools",
    "ToolsNotFound",
    "VideoStream",
    "assess_quality",
    "compare_quality",
    "decode_check",
    "detect_interlace",
    "extract_thumbnails",
    "find_tools",
    "has_encoder",
    "has_filter",
    "make_storyboard",
    "plan_ladder",
    "probe",
    "process_video",
    "resize_image",
    "run_ffmpeg",
    "run_ffmpeg_detailed",
    "run_ffprobe",
    "safe_input_args",
    "transcode_ladder",
    "validate_processing",
]
