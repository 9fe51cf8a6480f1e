"""The ingest job: probe, check, thumbnails + storyboard, quality; then queue the ladder.

Video progress: ingest covers 0–20 % of the way to ``ready`` (the ladder the rest), or all of
it when conversion is deferred or the ingest is "light" (metadata only).

Processing requests recorded while the video was uploading or being ingested start in the
ingest's last transaction, under the same lock on the video that those requests take; when the
ingest fails for good (the file is not a usable video) they fail with it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from reelbase.core.videos.assets import NewAsset, fresh_prefix, prune_family, replace_assets
from reelbase.core.videos.conversions import lock_video
from reelbase.core.videos.processing import fail_waiting_processing, start_waiting_processing
from reelbase.core.job_kinds import IngestPayload, JobKind, TranscodePayload
from reelbase.core.jobs import enqueue_job
from reelbase.core.videos.state import INGEST_SHARE, Step, move_video
from reelbase.db.models import AssetKind, Video
from reelbase.core.media_env import limits_for, tools_for
from reelbase.jobs.registry import JobContext, job_handler
from reelbase.jobs.runner import _is_permanent
from reelbase.jobs.scratch import job_scratch
from reelbase.media.quality import assess_quality
from reelbase.media.probe import ProbeResult, decode_check, detect_interlace, probe
from reelbase.media.thumbnails import extract_thumbnails, make_storyboard


def media_info_dict(info: ProbeResult, interlace: Any | None) -> dict[str, Any]:
    data = dataclasses.asdict(info)
    data["has_audio"] = info.has_audio
    if interlace is not None:
        data["interlace_detection"] = dataclasses.asdict(interlace)
    return data


def _set_video(ctx: JobContext, **values: Any) -> Video | None:
    with ctx.runtime.session() as db:
        video = db.get(Video, ctx.video_id)
        if video is None:
            return None
        for key, value in values.items():
            setattr(video, key, value)
        db.commit()
        return video


@job_handler(JobKind.ingest)
def ingest(ctx: JobContext, payload: IngestPayload) -> dict[str, Any] | None:
    try:
        return _ingest(ctx)
    except Exception as exc:
        if _is_permanent(exc):  # the runner fails the video for it: no retry will ingest this file
            _fail_waiting(ctx, getattr(exc, "message", None) or str(exc))
        raise


def _fail_waiting(ctx: JobContext, reason: str) -> None:
    with ctx.runtime.session() as db:
        video = lock_video(db, ctx.video_id) if ctx.video_id is not None else None
        if video is not None:
            fail_waiting_processing(db, video, reason=reason, public_url=ctx.runtime.settings.public_url)
            db.commit()


def _ingest(ctx: JobContext) -> dict[str, Any] | None:
    rt = ctx.runtime
    with rt.session() as db:
        found = ctx.video_and_original(db, missing="video has no original to ingest")
        if found is None:
            return None
        video, original = found
        move_video(db, video, Step.ingest_started)
        db.commit()
        key, video_uuid, token, options = original.storage_key, video.uuid, video.token, dict(video.options)
    tools, limits = tools_for(rt.settings), limits_for(rt.settings)
    light = options.get("ingest") == "light"
    with job_scratch(rt, ctx.job_id) as work:
        src = work / "source"
        rt.store.get_to_file(key, src)
        info = probe(src, tools=tools, limits=limits)
        ctx.set_progress(10, video_span=(0, INGEST_SHARE))
        # Decode a bounded sample with -xerror: corrupt streams and decompression bombs fail here.
        decode_check(src, tools=tools, limits=limits, seconds=min(info.duration_s, 30.0))
        interlace = detect_interlace(src, tools=tools, limits=limits, sample_frames=200)
        media_info = media_info_dict(info, interlace)
        _set_video(ctx, media_info=media_info, duration_ms=info.duration_ms)
        ctx.set_progress(25, video_span=(0, INGEST_SHARE), force=True)
        if light:
            return {"mode": "light", "duration_ms": info.duration_ms, "process_jobs": _mark_ready(ctx)}
        _store_thumbnails(ctx, work, src, info, video_uuid=video_uuid, token=token)
        ctx.set_progress(60, video_span=(0, INGEST_SHARE))
        quality = _assess(ctx, src, info)
        _set_video(ctx, quality=quality)
    ctx.set_progress(100, video_span=(0, INGEST_SHARE), force=True)
    with rt.session() as db:
        video = lock_video(db, ctx.video_id)
        if video is None:
            return None
        ctx.check_owner(db)
        # Read the options again under the lock: a conversion may have been asked for meanwhile.
        options = dict(video.options)
        deferred = bool(options.get("defer_conversion"))
        if deferred:
            move_video(db, video, Step.ingest_finished, public_url=rt.settings.public_url)
            processing = start_waiting_processing(db, video, public_url=rt.settings.public_url)
            db.commit()
            return {"duration_ms": info.duration_ms, "conversion": "deferred",
                    "process_jobs": [j.id for j in processing]}
        move_video(db, video, Step.ladder_queued)
        job = enqueue_job(db, _ladder_options(options), video_id=video.id)
        processing = start_waiting_processing(db, video, public_url=rt.settings.public_url)
        db.commit()
        job_id = job.id
    return {"duration_ms": info.duration_ms, "transcode_job": job_id, "process_jobs": [j.id for j in processing]}


def _mark_ready(ctx: JobContext) -> list[int]:
    with ctx.runtime.session() as db:
        video = lock_video(db, ctx.video_id) if ctx.video_id is not None else None
        if video is None:
            return []
        ctx.check_owner(db)
        move_video(db, video, Step.ingest_finished, public_url=ctx.runtime.settings.public_url)
        processing = start_waiting_processing(db, video, public_url=ctx.runtime.settings.public_url)
        db.commit()
        return [j.id for j in processing]


def _ladder_options(options: dict[str, Any]) -> TranscodePayload:
    return TranscodePayload(sd_only=bool(options.get("sd_only")), mp4_only=bool(options.get("mp4_only")),
                            webm=bool(options.get("webm")))


def _assess(ctx: JobContext, src: Path, info: ProbeResult) -> dict[str, Any]:
    report = assess_quality(src, tools=tools_for(ctx.runtime.settings), duration_s=info.duration_s)
    return {
        "metrics": {
            m.name: {"sample_mean": m.sample_mean, "score": m.score, "label": m.label} for m in report.metrics
        },
        "overall": {"score": report.overall_score, "label": report.overall_label},
        "samples": report.samples,
    }


def _store_thumbnails(ctx: JobContext, work: Path, src: Path, info: ProbeResult, *, video_uuid: str, token: str) -> None:
    rt = ctx.runtime
    tools = tools_for(rt.settings)
    out = work / "thumbs"
    out.mkdir()
    thumbs = extract_thumbnails(
        src, out, tools=tools, code=token, duration_s=info.duration_s, source_height=info.video.display_height
    )
    board = make_storyboard(src, out, tools=tools, duration_s=info.duration_s)
    with rt.session() as db:
        video = db.get_one(Video, ctx.video_id)
        prefix = fresh_prefix(video, "thumbs")
    new: list[NewAsset] = []
    for t in thumbs:
        stored = rt.store.put_file(prefix + t.path.name, t.path, content_type="image/jpeg")
        new.append(
            NewAsset(
                kind=AssetKind.thumbnail.value, label=f"{t.height}_{t.index:02d}", storage_key=stored.key,
                size_bytes=stored.size, content_type="image/jpeg", width=t.width, height=t.height,
                is_default=t.index == 1, etag=stored.etag, extra={"index": t.index, "time_s": t.time_s},
            )
        )
    for label, path, ctype in (("sprite", board.sprite_path, "image/jpeg"), ("vtt", board.vtt_path, "text/vtt")):
        stored = rt.store.put_file(prefix + path.name, path, content_type=ctype)
        new.append(
            NewAsset(
                kind=AssetKind.storyboard.value, label=label, storage_key=stored.key, size_bytes=stored.size,
                content_type=ctype, etag=stored.etag,
                extra={"tile_width": board.tile_width, "tile_height": board.tile_height, "columns": board.columns,
                       "rows": board.rows, "tiles": board.tiles, "interval_s": board.interval_s},
            )
        )
    with rt.session() as db:
        video = ctx.video_for_results(db, discard=lambda: rt.store.delete_prefix(prefix))
        if video is None:
            return
        replace_assets(db, video, [AssetKind.thumbnail.value, AssetKind.storyboard.value], new)
        db.commit()
    prune_family(rt, video_uuid, "thumbs", keep_prefix=prefix)
