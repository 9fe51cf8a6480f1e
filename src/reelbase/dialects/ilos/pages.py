"""The pages a token points to: the uploader (``/embed/api/uploader/{token}``, with
``uploaderType=basic`` a plain multipart form, no script needed), the recorder
(``/embed/api/recorder/{token}``) and the recorder download page (``/recorder/download/{token}``).

There is no desktop screen recorder: the recorder page says so and offers the same form to upload
a recording made with any tool, under the token's recorder options (title asked for when
``request_video_title``; the video opened after upload when ``auto_open_video``; unless
``auto_close_recorder``, a link to record another video with the next token of the series,
whose webhook reports the first token). Uploads stream
through ``core.upload_tokens.upload_with_token``; a spent or expired token shows why.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from reelbase.core import upload_tokens
from reelbase.core.errors import DomainError
from reelbase.core.runtime import Runtime
from reelbase.core.upload_tokens import UploadToken
from reelbase.dialects.ilos import html, urls
from reelbase.dialects.ilos.errors import status_of
from reelbase.uploads.multipart import MultipartFile
from reelbase.uploads.streams import batched, pull_from_loop

router = APIRouter(tags=["pages"], include_in_schema=False)


def error_page(exc: DomainError) -> Response:
    titles = {"upload_url_used": "Token already used", "upload_url_expired": "Token expired",
              "unauthenticated": "Unknown token", "video_private": "Private video"}
    return html.message(titles.get(exc.code, "Something went wrong"), exc.message, status=status_of(exc), error=True)


def _form(action: str, token: UploadToken, *, recorder: bool) -> str:
    ask_title = token.options.get("request_video_title") if recorder else True
    title = ('<label for="title">Title</label>\n<input id="title" name="title" maxlength="500">\n'
             if ask_title else "")
    accept = "video/*,audio/*"
    return (f'<form method="post" action="{html.esc(action)}" enctype="multipart/form-data">\n{title}'
            f'<label for="file">Video file</label>\n'
            f'<input id="file" type="file" name="file" accept="{accept}" required>\n'
            f'<button type="submit">Upload</button>\n</form>')


def _uploader_body(request: Request, token: UploadToken, *, recorder: bool) -> str:
    action = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    when = dt.datetime.fromtimestamp(token.expires, dt.UTC)
    expires = (f'<p>This link can upload one video until <time datetime="{when.isoformat()}">'
               f'{when:%Y-%m-%d %H:%M} UTC</time>.</p>')
    if recorder:
        note = ("<p class=\"msg\">Screen recording in the browser is not available here yet, and there is no "
                "desktop recorder to install. Record with any tool, then upload the recording below.</p>")
        if token.options.get("webcam_only"):
            note += "<p>This token asks for a webcam-only recording.</p>"
        return f"<h1>Record a video</h1>\n{note}\n{expires}\n{_form(action, token, recorder=True)}"
    return f"<h1>Upload a video</h1>\n{expires}\n{_form(action, token, recorder=False)}"


def _page(request: Request, token: str, *, recorder: bool) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        found = upload_tokens.verify_upload_token(runtime, token)
    except DomainError as exc:
        return error_page(exc)
    title = "Record a video" if recorder else "Upload a video"
    return html.page(title, _uploader_body(request, found, recorder=recorder))


async def _receive(request: Request, token: str) -> Response:
    runtime: Runtime = request.app.state.runtime
    content_type = request.headers.get("content-type", "")
    body = batched(request.stream())

    def work() -> UploadToken:
        form = MultipartFile(pull_from_loop(body), content_type).open()
        return upload_tokens.upload_with_token(runtime, token, chunks=form, filename=form.filename,
                                               content_type=form.content_type, title=form.fields.get("title"))

    try:
        await run_in_threadpool(upload_tokens.verify_upload_token, runtime, token)
        done = await run_in_threadpool(work)
    except DomainError as exc:
        return error_page(exc)
    root = urls.base_of(runtime)
    view = urls.view(root, done.video_token)
    if done.kind == "record" and done.options.get("auto_open_video"):
        return RedirectResponse(view, status_code=303)
    another = ""
    if done.kind == "record" and not done.options.get("auto_close_recorder"):
        try:  # the recorder stays open: the next video gets the next token of the series
            following = await run_in_threadpool(upload_tokens.next_upload_token, runtime, done.token)
            link = urls.recorder(root, following.token)
            another = f'\n<p><a href="{html.esc(link)}">Record another video</a></p>'
        except DomainError:
            another = ""
    return html.page("Upload complete", (
        "<h1>Upload complete</h1>\n<p class=\"msg\">Your video was uploaded and is being processed.</p>\n"
        f'<p>It will be at <a href="{html.esc(view)}" target="_blank" rel="noopener">{html.esc(view)}</a>.</p>'
        + another))


@router.get("/embed/api/uploader/{token}")
def uploader_page(token: str, request: Request) -> Response:
    return _page(request, token, recorder=False)


@router.post("/embed/api/uploader/{token}")
async def uploader_submit(token: str, request: Request) -> Response:
    return await _receive(request, token)


@router.get("/embed/api/recorder/{token}")
def recorder_page(token: str, request: Request) -> Response:
    return _page(request, token, recorder=True)


@router.post("/embed/api/recorder/{token}")
async def recorder_submit(token: str, request: Request) -> Response:
    return await _receive(request, token)


@router.get("/recorder/download/{token}")
def recorder_download(token: str, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        found = upload_tokens.verify_upload_token(runtime, token)
    except DomainError as exc:
        return error_page(exc)
    link = urls.recorder(urls.base_of(runtime), found.token)
    return html.page("ilos recorder", (
        "<h1>Recorder</h1>\n<p class=\"msg\">There is no desktop recorder to download for this server.</p>\n"
        f'<p>Use the <a href="{html.esc(link)}">browser recorder page</a> to upload your recording.</p>'))
