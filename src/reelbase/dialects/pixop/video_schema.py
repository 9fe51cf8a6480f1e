"""Pixop's video representation (``GET /videos/v1/video/{id}``), its list item and its progress
bodies, mapped from what the core stores:

* ``upload`` from the upload stage (``core.videos.status.upload_stage``);
* ``ingestion.metadata`` from ``video.media_info`` (the ffprobe result kept at ingest), the
  heuristic scanning from its ``interlace_detection`` (ffmpeg idet);
* ``ingestion.qualityAssessment`` from ``video.quality``: the no-reference metrics of an upload
  (blur, blockiness, noise: sample mean, 0-5 score, label; overall score), or, for a processed
  video, its full-reference scores against the source (PSNR dB, SSIM, VMAF) as metrics with no
  subjective score;
* ``processing.processingParameters`` from the request resolved against its source
  (``core.videos.status.processing_spec``), so defaults show as what was actually chosen; beside
  the document's keys, ``unusedParameters`` lists what the request gave that was not used (a
  profile for a codec that was not chosen, a field Pixop does not define), each with the reason;
* ``attributes`` are the video's free-form metadata (``template_fields``).

Statuses are NOT_STARTED, QUEUED, IN_PROGRESS, DONE, FAILED (NOT_APPLICABLE: processing of an
original). Fields the core cannot know are null: ``preset.name`` (Reelbase has no presets).
"""

from __future__ import annotations

from typing import Any

from reelbase.core.runtime import Runtime
from reelbase.core.videos import Stage, UploadStage, VideoRefs
from reelbase.dialects.pixop.schemas import date, number, url

FIELD_ORDER = {"tff": "top_field", "bff": "bottom_field"}
FULL_REFERENCE = (("psnr", "psnr_db"), ("ssim", "ssim"), ("vmaf", "vmaf"))


def status(value: str) -> str:
    return value.upper()


def upload_json(up: UploadStage) -> dict[str, Any]:
    return {
        "uploadState": {"updatedAt": date(up.updated_at), "uploadStatus": status(up.status)},
        "hasFinishedUploading": up.finished,
        "fileName": up.filename,
        "fileSize": up.size,
        "fileType": up.content_type,
        "fileContainerName": up.container_long_name,
    }


def ingestion_state(stage: Stage, *, progress: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "updatedAt": date(stage.updated_at),
        "ingestionStatus": status(stage.status),
        "videoMetadataAvailable": stage.metadata_available,
    }
    if progress:
        body["videoMetadataCommitted"] = stage.metadata_committed
        body["processingProgressPercent"] = float(stage.progress)
    return body


def processing_state(stage: Stage) -> dict[str, Any]:
    return {"updatedAt": date(stage.updated_at), "processingStatus": status(stage.status),
            "processingProgressPercent": float(stage.progress)}


def _scanning(kind: Any, order: Any) -> dict[str, Any]:
    return {"scanningType": kind, "interlacedFieldOrder": FIELD_ORDER.get(order) if isinstance(order, str) else None}


def metadata_json(info: dict[str, Any] | None) -> dict[str, Any] | None:
    if not info:
        return None
    v = info.get("video") or {}
    detected = info.get("interlace_detection") or {}
    return {
        "containerName": info.get("format_name"),
        "longContainerName": info.get("format_long_name"),
        "codecName": v.get("codec_name"),
        "longCodecName": v.get("codec_long_name"),
        "pixelFormat": {"name": v.get("pix_fmt"),
                        "chromaSubsampling": {"yuv": v.get("chroma_subsampling"), "bits": v.get("bit_depth")}},
        "frameWidth": v.get("width"),
        "frameHeight": v.get("height"),
        "scanning": {
            "metadata": _scanning(v.get("scan_type"), v.get("field_order")),
            "heuristics": _scanning(detected.get("scan_type"), detected.get("field_order")),
        },
        "averageFramerate": number(v.get("avg_frame_rate")),
        "durationInMillis": info.get("duration_ms"),
        "totalFrames": v.get("total_frames"),
        "size": info.get("size_bytes"),
        "videoStreamSize": v.get("stream_size_bytes"),
    }


def quality_json(quality: dict[str, Any] | None) -> dict[str, Any] | None:
    if not quality:
        return None
    if "full_reference" in quality:
        scores = quality["full_reference"] or {}
        metrics = [{"name": name, "sampleMean": number(scores.get(key)), "subjectiveLabel": None,
                    "subjectiveScore": None} for name, key in FULL_REFERENCE if scores.get(key) is not None]
        return {"metrics": metrics, "overallSubjectiveScore": None}
    metrics = [
        {"name": name, "sampleMean": number(m.get("sample_mean")), "subjectiveLabel": m.get("label"),
         "subjectiveScore": number(m.get("score"))}
        for name, m in (quality.get("metrics") or {}).items()
    ]
    return {"metrics": metrics, "overallSubjectiveScore": number((quality.get("overall") or {}).get("score"))}


def _filters(spec: Any) -> list[dict[str, Any]]:
    request = spec.request or {}
    filters: list[dict[str, Any]] = []
    if spec.deinterlacer:
        named = request.get("deinterlacer")
        filters.append({"name": named, "properties": {}} if named else
                       {"name": spec.deinterlacer, "properties": {"automatic": True}})
    for name in (spec.denoiser, spec.stabilizer):
        if name:
            filters.append({"name": name, "properties": {}})
    if request.get("scaler") or (spec.width, spec.height) != (spec.source_width, spec.source_height):
        props = {"clarityBoost": spec.clarity_boost} if spec.scaler in ("pabsr1", "dvres") else {}
        filters.append({"name": spec.scaler, "properties": props})
    if spec.frame_rate_converter:
        filters.append({"name": spec.frame_rate_converter, "properties": {"fps": round(float(spec.frame_rate), 3)}})
    if spec.post_processor:
        filters.append({"name": spec.post_processor, "properties": {}})
    return filters


def _given(request: dict[str, Any], path: str) -> Any:
    value: Any = request
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def parameters_json(spec: Any) -> dict[str, Any] | None:
    if spec is None:
        return None
    unused = [{"field": name, "value": _given(spec.request or {}, name), "reason": reason}
              for name, reason in spec.unused]
    codec_props: dict[str, Any] = {
        "scanningType": spec.scan_type,
        "interlacedFieldOrder": FIELD_ORDER.get(spec.field_order or ""),
        "frameRate": round(float(spec.frame_rate), 3),
    }
    if spec.prores_profile or spec.dnx_profile:
        codec_props["profile"] = spec.prores_profile or spec.dnx_profile
    return {
        "sourceVideo": {"startPositionMilliseconds": spec.start_ms, "endPositionMilliseconds": spec.end_ms},
        "targetVideo": {
            "preset": {"name": None},
            "container": {"name": spec.container, "properties": {}},
            "codec": {"name": spec.codec, "properties": codec_props},
            "pixelFormat": {"name": spec.pix_fmt,
                            "chromaSubsampling": {"yuv": spec.chroma_subsampling, "bits": spec.bit_depth}},
            "bitrate": spec.bitrate,
            "frameWidth": spec.width,
            "frameHeight": spec.height,
            "videoFilters": _filters(spec),
        },
        "unusedParameters": unused,
    }


def video_json(video: Any, *, refs: VideoRefs, upload: UploadStage, ingest: Stage, processing: Stage,
               spec: Any) -> dict[str, Any]:
    return {
        "id": video.uuid,
        "name": video.title,
        "description": video.description,
        "projectId": refs.project,
        "parentId": refs.parent,  # not in the document's example; the list items carry it
        "userId": refs.user,
        "teamId": refs.team,
        "upload": upload_json(upload),
        "ingestion": {
            "ingestionState": ingestion_state(ingest),
            "metadata": metadata_json(video.media_info),
            "qualityAssessment": quality_json(video.quality),
        },
        "processing": {"processingState": processing_state(processing),
                       "processingParameters": parameters_json(spec)},
        "attributes": dict(video.template_fields or {}),
        "dateCreated": date(video.created_at),
        "timeLastUpdated": date(video.updated_at),
    }


def video_item(runtime: Runtime, video: Any, refs: VideoRefs) -> dict[str, Any]:
    return {
        "_links": {"self": {"href": url(runtime, f"/videos/v1/video/{video.uuid}")}},
        "id": video.uuid,
        "parentId": refs.parent,
        "projectId": refs.project,
        "name": video.title,
        "filename": video.original_filename,
        "dateCreated": date(video.created_at),
        "timeLastUpdated": date(video.updated_at),
    }
