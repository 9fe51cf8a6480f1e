"""View and embed pages for a video's link (``/view/{randtag}``, ``/embed/{randtag}``) and the
MP4 they play (``/media/{randtag}.mp4``, with Range for seeking). ``randtag`` is the video's
token. Public videos play for anyone with the link; a private one shows that it is private
(team sign-in comes with the web pages). A video still processing says so.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from reelbase.api.files import file_response
from reelbase.core.errors import DomainError
from reelbase.core.runtime import Runtime
from reelbase.core.shared_links import check_link_access, find_linked_video, playable_download
from reelbase.dialects.ilos import html, urls
from reelbase.dialects.ilos.errors import status_of
from reelbase.dialects.ilos.pages import error_page

router = APIRouter(tags=["player"], include_in_schema=False)


def _show(request: Request, randtag: str, *, embedded: bool) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        with runtime.session() as db:
            video = check_link_access(find_linked_video(db, randtag))
            title, ready, token = video.title or "Untitled video", video.state == "ready", video.token
            failed = video.state == "failed"
    except DomainError as exc:
        if embedded:
            return html.embed_page("Video", f"<p>{html.esc(exc.message)}</p>", status=status_of(exc))
        return error_page(exc)
    root = urls.base_of(runtime)
    if ready:
        player = html.video_tag(urls.media(root, token))
    else:
        player = "<p>This video could not be processed.</p>" if failed else (
            "<p>This video is still being processed. Please check back in a moment.</p>")
    if embedded:
        return html.embed_page(title, player)
    embed = urls.embed(root, token)
    return html.page(title, f"<h1>{html.esc(title)}</h1>\n{player}\n"
                            f"<p>Embed: <code>{html.esc(urls.iframe(embed))}</code></p>")


@router.get("/view/{randtag}")
def view_page(randtag: str, request: Request) -> Response:
    return _show(request, randtag, embedded=False)


@router.get("/embed/{randtag}")
def embed_page(randtag: str, request: Request) -> Response:
    return _show(request, randtag, embedded=True)


@router.head("/media/{randtag}.mp4")
@router.get("/media/{randtag}.mp4")
def media_file(randtag: str, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.session() as db:
        video = check_link_access(find_linked_video(db, randtag))
        download = playable_download(db, video)
    cache = "public, max-age=300"
    return file_response(request, runtime, download, inline=True, cache=cache)
