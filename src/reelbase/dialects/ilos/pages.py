"""The recorder download page a token points to (``/recorder/download/{token}``), and the old
uploader and recorder paths of this dialect (``/embed/api/uploader/{token}``,
``/embed/api/recorder/{token}``), which now send the browser to Reelbase's own pages
(``/embed/uploader/{token}``: Uppy over tus, or with ``uploaderType=basic`` a plain form;
``/embed/recorder/{token}``: screen/webcam recording in the browser). A form posted to an old
path is passed on with its body (308).

There is no desktop recorder: the download page says so and links to the browser recorder.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from reelbase.core import uploads as core_uploads
from reelbase.core.errors import DomainError
from reelbase.dialects.ilos import html, urls
from reelbase.dialects.ilos.errors import status_of
from reelbase.edge.deps import get_runtime

router = APIRouter(tags=["pages"], include_in_schema=False)


def error_page(exc: DomainError) -> Response:
    titles = {"upload_url_used": "Token already used", "upload_url_expired": "Token expired",
              "unauthenticated": "Unknown token", "video_private": "Private video"}
    return html.message(titles.get(exc.code, "Something went wrong"), exc.message, status=status_of(exc), error=True)


def _moved(request: Request, page: Callable[[str, str], str], token: str) -> Response:
    """Send the browser on to ``page`` with the query it came with; a posted form keeps its body
    (308), a page that is opened is moved for good (301)."""
    target = page(urls.base_of(get_runtime(request)), token)
    query = request.url.query
    status = 308 if request.method == "POST" else 301
    return RedirectResponse(target + (f"?{query}" if query else ""), status_code=status)


@router.api_route("/embed/api/uploader/{token}", methods=["GET", "POST"])
def uploader_page(token: str, request: Request) -> Response:
    return _moved(request, urls.uploader, token)


@router.api_route("/embed/api/recorder/{token}", methods=["GET", "POST"])
def recorder_page(token: str, request: Request) -> Response:
    # a recording made with another tool, posted as the old page's form: the basic uploader takes it
    return _moved(request, urls.uploader if request.method == "POST" else urls.recorder, token)


@router.get("/recorder/download/{token}")
def recorder_download(token: str, request: Request) -> Response:
    runtime = get_runtime(request)
    try:
        found = core_uploads.verify_upload_token(runtime, token)
    except DomainError as exc:
        return error_page(exc)
    link = urls.recorder(urls.base_of(runtime), found.token)
    return html.page("ilos recorder", (
        "<h1>Recorder</h1>\n<p class=\"msg\">There is no desktop recorder to download for this server.</p>\n"
        f'<p>Use the <a href="{html.esc(link)}">browser recorder page</a> to record your video.</p>'))
