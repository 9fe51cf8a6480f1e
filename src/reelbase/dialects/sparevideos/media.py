"""What SpareVideos serves outside its API, without a signature: the thumbnail paths
(``/thumbnail/{code}/json/list``, ``/exact/{file}``, ``/{size}/default.jpg``, ``/{size}/{file}``,
a size below 260 px giving the 260 px image) and the stream URLs handed out by ``me/file``
(signed, expiring prefixes from ``core.playback``: MP4/WebM files, HLS and DASH)."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request, Response

from reelbase.core import playback as core_playback
from reelbase.core import videos as core_videos
from reelbase.core.playback import asset_download
from reelbase.dialects.sparevideos.errors import NOT_FOUND, SpareError
from reelbase.dialects.sparevideos.files import parse_thumbnail_name
from reelbase.dialects.sparevideos.links import thumbnail_list
from reelbase.edge.deps import DbDep, RuntimeDep
from reelbase.edge.files import add_playback_routes, file_response, playback_origin
from reelbase.core.numbers import is_decimal

router = APIRouter()
CACHE = "public, max-age=3600"


@router.get("/thumbnail/{code}/json/list", summary="All thumbnails of a file: {height.nn[.selected]: file name}")
def list_thumbnails(code: str, db: DbDep) -> dict[str, str]:
    return thumbnail_list(db, core_playback.find_public_video(db, code))


# Thumbnails and stream files answer CORS for players and pages on any origin (edge/files.py).
@add_playback_routes(router, "/thumbnail/{code}/exact/{name}", summary="One thumbnail exactly as stored")
def exact_thumbnail(code: str, name: str, request: Request, db: DbDep, runtime: RuntimeDep) -> Response:
    video = core_playback.find_public_video(db, code)
    origin = playback_origin(request, runtime, db, video)
    height, index = parse_thumbnail_name(video.token, name)
    download = asset_download(db, video, kind="thumbnail", label=f"{height}_{index:02d}")
    return file_response(request, runtime, dataclasses.replace(download, filename=name), inline=True, cache=CACHE,
                         allow_origin=origin)


@add_playback_routes(router, "/thumbnail/{code}/{size}/{name}",
                     summary="The default (default.jpg) or a named thumbnail at a height")
def sized_thumbnail(code: str, size: str, name: str, request: Request, db: DbDep, runtime: RuntimeDep) -> Response:
    if not is_decimal(size) or len(size) > 5:
        raise SpareError(NOT_FOUND, "the size must be a number of pixels, e.g. /300/default.jpg")
    video = core_playback.find_public_video(db, code)
    origin = playback_origin(request, runtime, db, video)
    index = None if name == "default.jpg" else parse_thumbnail_name(video.token, name)[1]
    height = max(int(size), core_videos.MIN_HEIGHT)  # "less than 260 returns the 260h image"
    download = core_videos.thumbnail_at_height(runtime, db, video, index=index, height=height)
    return file_response(request, runtime, download, inline=True, cache=CACHE, allow_origin=origin)


@add_playback_routes(router, "/stream/{code}/{expires}/{sig}/{kind}/{path:path}", summary="Stream files handed out by me/file")
def stream(code: str, expires: str, sig: str, kind: str, path: str, request: Request, runtime: RuntimeDep,
           v: str | None = None) -> Response:
    download, origin = core_playback.signed_stream_file(
        runtime, code=code, expires=expires, signature=sig, kind=kind, path=path, version=v,
        origin=request.headers.get("origin"), referer=request.headers.get("referer"),
        kinds=("hls", "dash", "mp4", "webm"))
    return file_response(request, runtime, download, inline=True, cache="private, max-age=3600", allow_origin=origin)
