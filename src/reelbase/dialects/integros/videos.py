"""Integros videos (``/v1/videos.json``, ``/v1/videos/:token.json``): the team's videos, newest
first, ``page`` (1) and ``per_page`` (30, at most 100), and one video by its token (its numeric id
and UUID work too; another team's video is not found).

The representation is the document's: ``id``, ``token``, ``state``, ``progress`` (0-100),
``created_at`` / ``updated_at`` (``2014-06-19T17:32:41.153+04:00``) and ``original_filename``.
The document names one state, ``done``; the core's others map to:

=============  ===========
core           Integros
=============  ===========
created        pending
uploading      uploading
uploaded       queued
ingesting      processing
transcoding    processing
ready          done
failed         error
=============  ===========
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from reelbase.core import videos as core_videos
from reelbase.core.errors import NotFound
from reelbase.dialects.integros.auth import ApiKeyPrincipal
from reelbase.dialects.integros.errors import IntegrosError
from reelbase.dialects.integros.formats import int_param, render, route, strip_suffix, timestamp
from reelbase.edge.deps import DbDep

router = APIRouter(prefix="/v1", tags=["videos"])

STATES = {
    "created": "pending",
    "uploading": "uploading",
    "uploaded": "queued",
    "ingesting": "processing",
    "transcoding": "processing",
    "ready": "done",
    "failed": "error",
}


def video_json(video: Any) -> dict[str, Any]:
    state = STATES.get(video.state, "processing")
    progress = 100 if state == "done" else max(0, min(99, int(video.progress or 0)))
    return {
        "id": video.id,
        "token": video.token,
        "state": state,
        "progress": progress,
        "created_at": timestamp(video.created_at),
        "updated_at": timestamp(video.updated_at),
        "original_filename": video.original_filename,
    }


@route(router, "/videos", methods=("GET",), summary="The team's videos, newest first (page, per_page)")
def list_videos(request: Request, principal: ApiKeyPrincipal, db: DbDep) -> Response:
    page = int_param(request.query_params.get("page"), "page", default=1, low=1) or 1
    per_page = int_param(request.query_params.get("per_page"), "per_page",
                         default=core_videos.DEFAULT_PER_PAGE, low=1) or core_videos.DEFAULT_PER_PAGE
    per_page = min(per_page, core_videos.MAX_PER_PAGE)
    result = core_videos.list_videos(db, principal, page=page, per_page=per_page, show=core_videos.Show.ROW)
    return render(request, [video_json(v) for v in result.items])


@router.get("/videos/{ref}", summary="One video by its token (`.json` / `.js` suffix optional)")
def get_video(ref: str, request: Request, principal: ApiKeyPrincipal, db: DbDep) -> Response:
    try:
        video = core_videos.find_video(db, principal, strip_suffix(ref), show=core_videos.Show.ROW)
    except NotFound:
        raise IntegrosError(404, f"video {strip_suffix(ref)[:64]} not found") from None
    return render(request, video_json(video))
