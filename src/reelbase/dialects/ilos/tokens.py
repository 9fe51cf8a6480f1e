"""Recording API and Uploading API: ``POST /v1/token/record`` and ``POST /v1/token/upload``.

Each returns a one-time token (``core.uploads.page_tokens``) for one video whose settings are chosen
here: ``video_title``, ``video_set_public``, ``collection`` (a folder, created if missing) and
``video_endpoint`` (called with the ilos webhook body once the video is processed, or failed:
``webhook.py``). The recorder's behaviour options are kept with the token for the recorder page.
``recorderLaunchURI`` opens the same browser recorder page as ``recordButtonIframe``: there is no
desktop recorder to hand an ``ilosrecord:`` link to (``urls.recorder_launch``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from reelbase.core import uploads as core_uploads
from reelbase.core.context import Principal
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import Callback
from reelbase.core.videos import find_video
from reelbase.dialects.ilos import params as p
from reelbase.dialects.ilos import urls
from reelbase.dialects.ilos.webhook import EVENTS, FORMAT
from reelbase.edge.deps import get_runtime

router = APIRouter(prefix="/v1/token", tags=["tokens"])

RECORDER_FLAGS = ("auto_open_video", "auto_close_recorder", "request_video_title", "auto_download_recorder",
                  "auto_authenticate_on_install", "auto_launch_fullscreen", "webcam_only")


def _recorder_options(params: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {name: p.flag(params, name) for name in RECORDER_FLAGS}
    if p.flag(params, "record_single_video"):  # deprecated: the document spells out what it means
        options.update(auto_open_video=False, auto_close_recorder=True, request_video_title=False)
    return options


def _issue(runtime: Runtime, principal: Principal, params: dict[str, Any], kind: str) -> dict[str, Any]:
    endpoint = p.text(params, "video_endpoint")
    extras = p.extras(params)
    options: dict[str, Any] = {"service_name": p.text(params, "service_name", limit=200)}
    title = None
    if kind == "record":
        options.update(_recorder_options(params))
        if not options.get("request_video_title"):
            title = p.text(params, "video_title", limit=500)
    callback = (Callback(url=endpoint, format=FORMAT, extras={"video_endpoint_extras": extras}, events=EVENTS)
                if endpoint else None)
    token = core_uploads.create_upload_token(
        runtime, principal, kind=kind, title=title, public=p.flag(params, "video_set_public"),
        folder=p.text(params, "collection", limit=200), callback=callback, options=options,
    )
    with runtime.session() as db:
        public = find_video(db, principal, token.video_uuid).public
    return {"worked": True, "video_endpoint": endpoint, "video_endpoint_extras": extras,
            "video_set_public": public, "token": token.token, "expires": token.expires}


async def _answer(request: Request, kind: str, links: Callable[[str, str], dict[str, str]]) -> dict[str, Any]:
    """Issue a ``kind`` token for the request's caller; the answer carries the ``links`` made from
    the dialect's root and the token, then ``expires`` last, as the document shows it."""
    params = await p.read_params(request)
    principal = await p.principal_from(request, params)
    runtime = get_runtime(request)
    body = await run_in_threadpool(_issue, runtime, principal, params, kind)
    expires = body.pop("expires")
    body.update(links(urls.base_of(runtime), body["token"]), expires=expires)
    return body


def _record_links(root: str, token: str) -> dict[str, str]:
    return {"recorderDownloadUrl": urls.recorder_download(root, token),
            "recorderLaunchURI": urls.recorder_launch(root, token),
            "recordButtonIframe": urls.iframe(urls.recorder(root, token))}


def _upload_links(root: str, token: str) -> dict[str, str]:
    return {"uploadIframe": urls.iframe(urls.uploader(root, token)),
            "uploadIframeBasic": urls.iframe(urls.uploader(root, token, basic=True))}


@router.post("/record", summary="Get a one-time record token")
async def record_token(request: Request) -> dict[str, Any]:
    return await _answer(request, "record", _record_links)


@router.post("/upload", summary="Get a one-time upload token")
async def upload_token(request: Request) -> dict[str, Any]:
    return await _answer(request, "upload", _upload_links)
