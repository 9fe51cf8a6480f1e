"""The transcode job: the adaptive streaming ladder from one decode, stored and published.

All outputs go under a fresh ``ladder-<nonce>/`` prefix; one transaction swaps the rendition and
manifest rows; older ladder prefixes (superseded, or from a killed attempt) are pruned after.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reelbase.core.mediatypes import content_type_for
from reelbase.core.videos.assets import NewAsset, fresh_prefix, prune_family, replace_assets
from reelbase.core.job_kinds import JobKind, TranscodePayload
from reelbase.core.videos.state import INGEST_SHARE, Step, move_video
from reelbase.db.models import AssetKind, MediaAsset, Video
from reelbase.core.media_env import tools_for
from reelbase.jobs.registry import JobContext, job_handler
from reelbase.jobs.publish import LivePublisher
from reelbase.jobs.scratch import job_scratch
from reelbase.media.ladder import plan_ladder, transcode_ladder

@job_handler(JobKind.transcode)
def transcode(ctx: JobContext, ladder: TranscodePayload) -> dict[str, Any] | None:
    rt = ctx.runtime
    with rt.session() as db:
        not_ingested = "video must be ingested before it is transcoded"
        found = ctx.video_and_original(db, missing=not_ingested)
        if found is None:
            return None
        video, original = found
        if not video.media_info:
            raise RuntimeError(not_ingested)
        key, info, video_uuid = original.storage_key, dict(video.media_info), video.uuid
        prefix = fresh_prefix(video, "ladder")
        move_video(db, video, Step.transcode_started)
        db.commit()
    v = info["video"]
    width = v["height"] if v.get("rotation") in (90, 270) else v["width"]
    height = v["width"] if v.get("rotation") in (90, 270) else v["height"]
    rungs = plan_ladder(width, height, sd_only=ladder.sd_only)
    span = (INGEST_SHARE, 99)
    live = not ladder.mp4_only
    try:
        new, result = _encode(ctx, key=key, info=info, rungs=rungs, prefix=prefix, live=live, span=span,
                              webm=ladder.webm)
    except BaseException:
        _withdraw(ctx, prefix)
        raise
    with rt.session() as db:
        video = ctx.video_for_results(db, discard=lambda: rt.store.delete_prefix(prefix))
        if video is None:
            return None
        replace_assets(db, video, [AssetKind.rendition.value, AssetKind.manifest.value], new)
        move_video(db, video, Step.ladder_finished, public_url=rt.settings.public_url)
        db.commit()
    prune_family(rt, video_uuid, "ladder", keep_prefix=prefix)
    return {"renditions": [r.label for r in result.rungs], "prefix": prefix}


def _encode(ctx: JobContext, *, key: str, info: dict[str, Any], rungs: list[Any], prefix: str, live: bool,
            span: tuple[int, int], webm: bool) -> tuple[list[NewAsset], Any]:
    rt, v = ctx.runtime, info["video"]
    with job_scratch(rt, ctx.job_id) as work:
        src = work / "source"
        rt.store.get_to_file(key, src)
        out = work / "ladder"
        out.mkdir()
        publisher = LivePublisher(
            dash_dir=out / "dash", prefix=prefix,
            put_file=lambda k, p: rt.store.put_file(k, p, content_type=content_type_for(p.name)),
            put_bytes=lambda k, b: rt.store.put_stream(k, [b], content_type=content_type_for(k)),
            on_master=lambda path: _register_live_stream(ctx, prefix, path),
        )
        with publisher if live else nullcontext():
            result = transcode_ladder(
                src, out, tools=tools_for(rt.settings), rungs=rungs, fps=v["avg_frame_rate"] or 30.0,
                duration_s=info["duration_ms"] / 1000, has_audio=bool(info.get("audio")),
                mp4=True, hls=live, dash=live, webm=webm,
                on_progress=lambda f: ctx.set_progress(f * 95, video_span=span),
                timeout_s=rt.settings.media_step_timeout_seconds,
            )
        return _upload_outputs(ctx, out, prefix, result, already=publisher.uploaded), result


def _withdraw(ctx: JobContext, prefix: str) -> None:
    """A failed attempt takes back its early-published stream and removes its files."""
    with ctx.runtime.session() as db:
        for asset in db.scalars(select(MediaAsset).where(MediaAsset.video_id == ctx.video_id,
                                                          MediaAsset.kind == AssetKind.manifest.value)):
            if asset.extra.get("prefix") == prefix:
                db.delete(asset)
        db.commit()
    ctx.runtime.store.delete_prefix(prefix)


def _register_live_stream(ctx: JobContext, prefix: str, path: str) -> None:
    """List the growing HLS stream on the video as soon as its master is stored (only when the
    video has no finished stream yet: a rebuild keeps serving the old one until the swap)."""
    with ctx.runtime.session() as db:
        video = db.get(Video, ctx.video_id)
        if video is None or db.scalar(
            select(MediaAsset.id).where(MediaAsset.video_id == video.id, MediaAsset.kind == AssetKind.manifest.value)
        ):
            return
        db.add(MediaAsset(video_id=video.id, kind=AssetKind.manifest.value, label="hls",
                          storage_key=prefix + path, content_type=content_type_for(path),
                          extra={"prefix": prefix, "path": path, "live": True}))
        db.commit()


def _upload_outputs(ctx: JobContext, out: Path, prefix: str, result: Any, *,
                    already: dict[str, int]) -> list[NewAsset]:
    """Put every output file under ``prefix`` (same relative layout) and describe the assets.
    Segments the live publisher stored already (same size) are not sent again."""
    store = ctx.runtime.store
    stored: dict[Path, Any] = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if path.suffix == ".m4s" and already.get(path.name) == path.stat().st_size:
            continue
        stored[path] = store.put_file(prefix + rel, path, content_type=content_type_for(path.name))
    new: list[NewAsset] = []
    for r in result.rungs:
        info = stored[Path(r.mp4_path)]
        new.append(NewAsset(kind=AssetKind.rendition.value, label=str(r.label), storage_key=info.key,
                            size_bytes=info.size, content_type="video/mp4", width=r.width, height=r.height,
                            bitrate=r.bitrate, etag=info.etag, extra={"container": "mp4"}))
    if getattr(result, "webm_path", None):
        info = stored[Path(result.webm_path)]
        new.append(NewAsset(kind=AssetKind.rendition.value, label="webm", storage_key=info.key, size_bytes=info.size,
                            content_type="video/webm", etag=info.etag, extra={"container": "webm"}))
    for label, path in (("hls", getattr(result, "hls_master", None)), ("dash", getattr(result, "dash_manifest", None))):
        if path:
            info = stored[Path(path)]
            new.append(NewAsset(kind=AssetKind.manifest.value, label=label, storage_key=info.key, size_bytes=info.size,
                                content_type=content_type_for(path), etag=info.etag,
                                extra={"prefix": prefix, "path": Path(path).relative_to(out).as_posix()}))
    return new
