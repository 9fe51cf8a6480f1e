"""The MP4 a video's link plays (``/media/{randtag}.mp4``, with Range for seeking; the document's
RSS enclosures point at it), and the old view and embed paths of this dialect
(``/view/{randtag}``, ``/embed/{randtag}``), which now send the browser to Reelbase's own player
pages at the root (adaptive HLS, quality menu, private videos by token or sign-in). ``randtag`` is
the video's token.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from reelbase.core.runtime import Runtime
from reelbase.core.playback import check_link_access, find_linked_video, playable_download
from reelbase.dialects.ilos import urls
from reelbase.edge.files import add_playback_routes, file_response, playback_origin

router = APIRouter(tags=["player"], include_in_schema=False)


def _moved(request: Request, target: str) -> Response:
    query = request.url.query
    return RedirectResponse(target + (f"?{query}" if query else ""), status_code=301)


@router.get("/view/{randtag}")
def view_page(randtag: str, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    return _moved(request, urls.view(urls.base_of(runtime), randtag))


@router.get("/embed/{randtag}")
def embed_page(randtag: str, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    return _moved(request, urls.embed(urls.base_of(runtime), randtag))


# The MP4 answers CORS, for players and pages on any origin (edge/files.py).
@add_playback_routes(router, "/media/{randtag}.mp4")
def media_file(randtag: str, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.session() as db:
        video = check_link_access(find_linked_video(db, randtag))
        origin = playback_origin(request, runtime, db, video)
        download = playable_download(db, video)
    cache = "public, max-age=300"
    return file_response(request, runtime, download, inline=True, cache=cache, allow_origin=origin)
