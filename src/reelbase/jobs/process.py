"""The process job: render a processing request into the derived video, probe the result and
score it against the source (full-reference PSNR/SSIM, VMAF where this FFmpeg has libvmaf)."""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from reelbase.core.videos.assets import NewAsset, find_original, replace_assets
from reelbase.core.job_kinds import JobKind, ProcessPayload
from reelbase.core.media_env import limits_for, tools_for
from reelbase.core.mediatypes import content_type_for
from reelbase.core.videos.processing import resolve_spec
from reelbase.core.videos.state import Step, move_video
from reelbase.db.models import AssetKind, Video
from reelbase.jobs.ingest import media_info_dict
from reelbase.jobs.registry import JobContext, PermanentJobError, job_handler
from reelbase.jobs.scratch import job_scratch
from reelbase.media.processing import process_video
from reelbase.media.quality import compare_quality


@job_handler(JobKind.process)
def process(ctx: JobContext, request: ProcessPayload) -> dict[str, Any] | None:
    rt = ctx.runtime
    with rt.session() as db:
        derived = db.get(Video, ctx.video_id)
        source = db.get(Video, request.source_video_id)
        if derived is None:
            return None
        if source is None:
            raise PermanentJobError("the source video was deleted")
        original = find_original(db, source)
        if original is None:
            raise PermanentJobError("the source video has no file")
        spec = resolve_spec(source, request.params)
        key, derived_uuid = original.storage_key, derived.uuid
    tools = tools_for(rt.settings)
    with job_scratch(rt, ctx.job_id) as work:
        src = work / "source"
        rt.store.get_to_file(key, src)
        result = process_video(
            src, work / "out", spec, tools=tools, limits=limits_for(rt.settings),
            timeout_s=rt.settings.media_step_timeout_seconds,
            on_progress=lambda f: ctx.set_progress(f * 85, video_span=(0, 99)),
        )
        ctx.set_progress(85, video_span=(0, 99), force=True)
        score = compare_quality(src, result.path, tools=tools, reference_start_s=spec.start_ms / 1000,
                                vmaf_subsample=5, timeout_s=rt.settings.media_step_timeout_seconds)
        out_key = f"videos/{derived_uuid}/processed-{secrets.token_hex(6)}/{result.path.name}"
        stored = rt.store.put_file(out_key, result.path, content_type=content_type_for(result.path.name))
    with rt.session() as db:
        derived = ctx.video_for_results(db, discard=lambda: rt.store.delete(out_key))
        if derived is None:
            return None
        old = replace_assets(db, derived, [AssetKind.original.value], [NewAsset(
            kind=AssetKind.original.value, label="original", storage_key=stored.key, size_bytes=stored.size,
            content_type=content_type_for(result.path.name), width=result.info.video.width,
            height=result.info.video.height, bitrate=result.info.bit_rate, etag=stored.etag,
            extra={"processed": True, "passes": result.passes},
        )])
        derived.media_info = media_info_dict(result.info, None)
        derived.duration_ms = result.info.duration_ms
        derived.size_bytes = stored.size
        derived.quality = {"full_reference": dataclasses.asdict(score)}
        move_video(db, derived, Step.processing_finished, public_url=rt.settings.public_url)
        db.commit()
    for stale in old:
        rt.store.delete(stale)
    return {"output": stored.key, "psnr_db": score.psnr_db, "ssim": score.ssim, "vmaf": score.vmaf}
