"""The player pages: ``/view/{id}`` (title, description, player, embed snippet) and
``/embed/{id}`` (the player alone, full-frame, for an iframe on any site).

``{id}`` is the video's code (16-hex token) or its UUID. Who may watch is decided by
:func:`reelbase.core.playback.viewers.check_watch_access`: a public video plays for anyone, a private one
for a signed-in team member or with a view token in the page URL (``?t=<expires>.<signature>``).

The page plays files below a signed, expiring stream prefix
(``/play/{code}/{expires}/{sig}/{kind}/{path}``) served here without an API key, so the relative
URLs inside HLS/DASH playlists and the storyboard WebVTT resolve. Players on other origins may use
the same URLs (CORS; the README describes the scheme). While the video is processing
the page shows its state and polls ``/view/{id}/status`` (JSON) until it is ready or failed.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from reelbase.core import playback as core_playback
from reelbase.core.errors import DomainError, NotFound
from reelbase.core.playback import signed_prefix
from reelbase.db.models import Video, VideoState
from reelbase.edge.deps import get_runtime
from reelbase.edge.files import add_playback_routes, file_response
from reelbase.web.auth import OptionalSession
from reelbase.web.render import json_error, message, render, static_url

router = APIRouter(include_in_schema=False)

STATE_TEXT = {
    VideoState.created.value: "Waiting for the upload",
    VideoState.uploading.value: "Uploading",
    VideoState.uploaded.value: "Queued for processing",
    VideoState.ingesting.value: "Analysing the video",
    VideoState.transcoding.value: "Preparing the streams",
    VideoState.ready.value: "Ready",
    VideoState.failed.value: "Processing failed",
}
# Renditions, posters and storyboards (stream files say their own freshness: core/playback/delivery.py).
_FILE_CACHE = "private, max-age=86400"


def _check(db: Session, request: Request, ref: str, session: Any, token: str | None) -> tuple[Video, str]:
    """The video and how the viewer may watch it (``public``, ``member``, ``token``)."""
    user_id = session[0].user.id if session else None
    video = core_playback.find_player_video(db, ref)
    access = core_playback.check_watch_access(db, video, user_id=user_id, token=token,
                                            server_secret=get_runtime(request).secret_key)
    return video, access


def _refused(request: Request, exc: DomainError, *, embed: bool) -> Response:
    if isinstance(exc, NotFound):
        return message(request, "Video not found", "There is no video at this address. Check the link.",
                       status=404, error=True, embed=embed)
    if isinstance(exc, core_playback.ViewTokenRefused):
        return message(request, "This link cannot play the video", exc.message[:1].upper() + exc.message[1:] + ".",
                       status=exc.status, error=True, embed=embed)
    if isinstance(exc, core_playback.PrivateVideo):
        return message(request, "This video is private",
                       "Only members of its team can watch it, or people given a link with a playback token.",
                       status=403, error=True, embed=embed)
    return message(request, "This video cannot be shown", exc.message, status=exc.status, error=True, embed=embed)


def _status(video: Video) -> dict[str, Any]:
    return {"state": video.state, "label": STATE_TEXT.get(video.state, video.state),
            "progress": int(video.progress or 0), "message": video.state_message or None}


def _player(db: Session, request: Request, video: Video, token: str | None) -> dict[str, Any]:
    """Everything the template and player.js need about the video (URLs site-relative)."""
    runtime = get_runtime(request)
    status_url = f"/view/{video.token}/status" + (f"?t={quote(token, safe='')}" if token else "")
    out: dict[str, Any] = {"status": _status(video), "status_url": status_url, "hls_lib": static_url("vendor/hls.min.mjs")}
    if video.state != VideoState.ready.value:
        return out
    media = core_playback.player_media(db, video)
    expires, sig = signed_prefix(runtime.secret_key, video.uuid)
    root = f"/play/{video.token}/{expires}/{sig}"
    files = [{"label": f"{r.height}p" if r.height else r.label, "height": r.height,
              "type": f"video/{r.container}", "url": f"{root}/{r.container}/{r.label}.{r.container}"}
             for r in media.renditions if r.container == "mp4"]
    if media.original:
        files.append({"label": "Original", "height": None, "type": "", "url": f"{root}/{media.original}"})
    out.update(
        hls=f"{root}/{media.hls}" if media.hls else "",
        files=json.dumps(files),
        playable=bool(media.hls or files),
        poster=f"{root}/{media.poster}" if media.poster else "",
        storyboard=f"{root}/{media.storyboard}" if media.storyboard else "",
    )
    return out


def _page(request: Request, ref: str, session: Any, t: str | None, *, embed: bool) -> Response:
    runtime = get_runtime(request)
    with runtime.session() as db:
        try:
            video, access = _check(db, request, ref, session, t)
        except DomainError as exc:
            return _refused(request, exc, embed=embed)
        token = t if access == "token" else None
        player = _player(db, request, video, token)
        embed_url = f"{runtime.settings.public_url}/embed/{video.token}" + (
            f"?t={quote(token, safe='')}" if token else "")
        snippet = (f'<iframe src="{embed_url}" width="640" height="360" frameborder="0" '
                   'allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>')
        return render(request, "embed.html" if embed else "view.html", embed=embed,
                      title=video.title or "Untitled video", video=video, access=access, player=player,
                      snippet=snippet, private_without_token=not video.public and token is None)


@router.get("/view/{ref}")
def view_page(ref: str, request: Request, session: OptionalSession, t: str | None = None) -> Response:
    return _page(request, ref, session, t, embed=False)


@router.get("/embed/{ref}")
def embed_page(ref: str, request: Request, session: OptionalSession, t: str | None = None) -> Response:
    return _page(request, ref, session, t, embed=True)


@router.get("/view/{ref}/status")
def video_status(ref: str, request: Request, session: OptionalSession, t: str | None = None) -> Response:
    """``{state, label, progress, message}`` for the processing page's poll."""
    no_store = {"Cache-Control": "no-store"}
    with get_runtime(request).session() as db:
        try:
            video, _ = _check(db, request, ref, session, t)
        except DomainError as exc:
            return json_error(exc)
        return JSONResponse(_status(video), headers=no_store)


@add_playback_routes(router, "/play/{code}/{expires}/{sig}/{kind}/{path:path}", include_in_schema=False)
async def stream(code: str, expires: str, sig: str, kind: str, path: str, request: Request,
                 v: str | None = None) -> Response:
    """A file of the video below its signed prefix (Range for the MP4 files); 403 when the
    signature does not match or has expired. Any origin's player may fetch them (CORS, and
    ``Cross-Origin-Resource-Policy: cross-origin``), as on hosted video APIs: the signed URL is what
    grants access, unless the team lists the origins allowed to play its videos."""
    runtime = get_runtime(request)
    asked: dict[str, Any] = dict(code=code, expires=expires, signature=sig, kind=kind, path=path, version=v,
                 origin=request.headers.get("origin"), referer=request.headers.get("referer"))
    # A segment a viewer fetched a moment ago is answered here, on the event loop: no database,
    # no worker thread; anything else takes a worker thread for the database and the store.
    known = core_playback.known_stream_file(runtime, **asked)
    if known is not None:
        return file_response(request, runtime, known[0], inline=True, cache=_FILE_CACHE, allow_origin=known[1])

    def answer() -> Response:
        download, origin = core_playback.signed_stream_file(runtime, **asked)
        return file_response(request, runtime, download, inline=True, cache=_FILE_CACHE, allow_origin=origin)

    return await run_in_threadpool(answer)

