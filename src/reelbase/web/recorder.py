"""The recorder page (``/embed/recorder/{token}``): records the screen, the webcam or both (the
webcam drawn small over the screen) with the microphone, in the browser (``static/recorder.js``:
getDisplayMedia, getUserMedia, MediaRecorder), then uploads the recording over tus into the
token's own upload, so it ends in the token's callback like any upload.

The token's recorder options shape the page: ``webcam_only`` (no screen choice),
``request_video_title`` (a title is asked for before the upload; otherwise the token's title,
ilos ``video_title``, stays), ``auto_close_recorder`` (after the upload, no "record another";
otherwise the next token of the series opens a fresh recorder). Folder and visibility were
applied when the token was made.

JSON endpoints of the page (the token in the path is the only credential):
``POST …/slot`` {title} → the signed tus creation URL for the recording;
``POST …/next`` → the recorder URL of the series' next token, once this one was used.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from reelbase.core import uploads as core_uploads
from reelbase.core.errors import DomainError
from reelbase.edge.deps import get_runtime
from reelbase.web.render import json_error, render
from reelbase.web.uploader import slot_json, small_json, token_error

router = APIRouter(include_in_schema=False)


class SlotRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    title: str | None = Field(default=None, max_length=500)


@router.get("/embed/recorder/{token}")
async def recorder_page(token: str, request: Request) -> Response:
    runtime = get_runtime(request)
    try:
        found = await run_in_threadpool(core_uploads.verify_upload_token, runtime, token)
    except DomainError as exc:
        return token_error(request, exc)
    options = found.options
    when = dt.datetime.fromtimestamp(found.expires, dt.UTC)
    return render(request, "recorder.html", embed=True, title="Record a video", token=found,
                  webcam_only=bool(options.get("webcam_only")),
                  ask_title=bool(options.get("request_video_title")),
                  auto_close=bool(options.get("auto_close_recorder")),
                  auto_open=bool(options.get("auto_open_video")),
                  expires_text=f"{when:%Y-%m-%d %H:%M} UTC")


@router.post("/embed/recorder/{token}/slot")
async def recorder_slot(token: str, request: Request) -> Response:
    wanted = await small_json(request, SlotRequest)
    try:
        slot = await run_in_threadpool(core_uploads.recorder_slot, get_runtime(request), token, title=wanted.title)
    except DomainError as exc:
        return json_error(exc)
    return JSONResponse(slot_json(slot), status_code=201, headers={"Cache-Control": "no-store"})


@router.post("/embed/recorder/{token}/next")
async def recorder_next(token: str, request: Request) -> Response:
    """After this token's recording was uploaded: a recorder for the next video of the series
    (refused when the token asked to close the recorder, or is not used yet)."""
    try:
        following = await run_in_threadpool(core_uploads.next_recording_token, get_runtime(request), token)
    except DomainError as exc:
        return json_error(exc)
    return JSONResponse({"recorder_url": f"/embed/recorder/{following.token}", "token": following.token},
                        status_code=201, headers={"Cache-Control": "no-store"})
