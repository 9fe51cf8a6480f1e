"""VALT records (``/api/v3/...``): create-upload (a record with one video awaiting its file)
and the upload of that video's file, whole or in Content-Range chunks, raw or as
multipart/form-data; plus the download URL the upload answers with, and Reelbase's own login
(VALT's document only says the access token comes from its "API Authentication request", which
it does not describe).

A record created without a name is called ``Untitled record``: the document lists no failure
for it, and create-upload comes before any file, so there is no filename to name it after yet.

A record is a core recording (``core.videos.recordings``: a project holding its videos). An upload,
with the record fields a multipart body carries, is one core call
(``core.videos.receive_recording_file``) written through the upload engine: ends are inclusive
(``bytes 0-99/100``) and an end equal to the total (the document's own example,
``bytes 0-316620/316620``) is read as the last byte; a chunk that starts past the stored bytes is
refused with 409 and the current offset; a repeated chunk changes nothing. Record fields may come
before or after the file part of a form: those before are applied (and checked) before any byte
is stored, those after once the body has been read to its end.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from reelbase.core import videos as core_videos
from reelbase.core.context import Principal
from reelbase.core.playback import original_download
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import parse_content_range
from reelbase.dialects.valt.auth import TokenPrincipal, login_token
from reelbase.dialects.valt.errors import ValtError
from reelbase.dialects.valt.schemas import (
    RecordFields,
    download_url,
    nest_form,
    parse_json,
    record_fields,
    record_json,
)
from reelbase.edge.deps import DbDep, RuntimeDep, client_address
from reelbase.edge.files import file_response
from reelbase.edge.upload_body import UploadBody
from reelbase.edge.uploads import progress_headers

router = APIRouter(prefix="/api/v3", tags=["records"])
DEFAULT_NAME = "Untitled record"

_JSON_BODY: dict[str, Any] = {"openapi_extra": {"requestBody": {"content": {"application/json": {
    "schema": {"type": "object"}}}}}}
_UPLOAD_BODY: dict[str, Any] = {"openapi_extra": {"requestBody": {"content": {"multipart/form-data": {
    "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}}}}


async def _body(request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        return nest_form({k: v for k, v in form.items() if isinstance(v, str)})
    return parse_json(await request.body())


@router.post("/login", summary="Reelbase's own login (not in VALT's document): email and password in, an "
             "access_token out", description='`{"username": <email>, "password": ...}` answers '
             '`{"data": {"access_token", "expires_in"}}`. VALT\'s document does not describe how its access '
             'token is obtained; this is how a Reelbase password user gets one.', **_JSON_BODY)
async def login(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    body = await _body(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise ValtError(401, "Bad credentials.")
    issued = await run_in_threadpool(login_token, runtime, username=username, password=password,
                                     client=client_address(request))
    expires_in = max(0, int(issued.expires_at.timestamp() - time.time()))
    return {"data": {"access_token": issued.token, "expires_in": expires_in}}


def _create(runtime: Runtime, principal: Principal, fields: RecordFields) -> core_videos.Recording:
    with runtime.session() as db:
        return core_videos.create_recording(
            db, principal, name=fields.name if fields.name and fields.name.strip() else DEFAULT_NAME,
            settings=runtime.settings,
            template_fields=fields.template, shared_user_ids=fields.users, shared_group_ids=fields.groups)


@router.post("/records/create-upload", summary="Create a record with one video awaiting its file", **_JSON_BODY)
async def create_upload(request: Request, principal: TokenPrincipal, runtime: RuntimeDep) -> dict[str, Any]:
    fields = record_fields(await _body(request))
    recording = await run_in_threadpool(_create, runtime, principal, fields)
    return record_json(recording)


def _changes(form: dict[str, Any]) -> core_videos.RecordingChanges | None:
    """The record fields of a multipart upload's form (None when it carries none)."""
    if not {"name", "template", "share"} & form.keys():
        return None
    fields = record_fields(form)
    return core_videos.RecordingChanges(name=fields.name or None, template_fields=fields.template,
                                       shared_user_ids=fields.users, shared_group_ids=fields.groups)


def _receive(runtime: Runtime, principal: Principal, record_id: str, video_uuid: str, *, header: str | None,
             body: UploadBody) -> int | None:
    """Store the request's bytes; the stored offset while chunks are missing, None once complete."""
    span = parse_content_range(header) if header is not None else None  # refuse a bad header before reading
    body.open()
    before = dict(body.fields)

    def changes_after() -> core_videos.RecordingChanges | None:
        for _ in body.chunks:  # the engine leaves a repeated chunk unread: read on to the fields after it
            pass
        # The whole form again, not only its new fields: share[users][1] after share[users][0] adds to it.
        return _changes(nest_form(body.fields)) if body.fields != before else None

    return core_videos.receive_recording_file(
        runtime, principal, recording_ref=record_id, video_ref=video_uuid, chunks=body.chunks,
        filename=body.filename, content_type=body.content_type, span=span,
        changes=_changes(nest_form(before)) if body.multipart else None,
        changes_after=changes_after if body.multipart else None,
        declared_length=None if body.multipart else body.declared_length)


@router.put("/records/{record_id}/videos/{video_id}", include_in_schema=False)
@router.post("/records/{record_id}/videos/{video_id}", summary="Upload the video's file (Content-Range chunks)",
             **_UPLOAD_BODY)
async def upload_video(record_id: str, video_id: str, request: Request, principal: TokenPrincipal,
                       runtime: RuntimeDep) -> Response:
    video_uuid = await run_in_threadpool(core_videos.find_video_uuid, runtime, principal, record_id, video_id)
    header = request.headers.get("content-range")
    offset = await run_in_threadpool(
        _receive, runtime, principal, record_id, video_uuid, header=header, body=UploadBody(request))
    recording = await run_in_threadpool(_recording, runtime, principal, record_id)
    body = record_json(recording, url=download_url(runtime, recording.id, video_uuid))
    return JSONResponse(body, headers=progress_headers(offset) if offset is not None else {})


def _recording(runtime: Runtime, principal: Principal, record_id: str) -> core_videos.Recording:
    with runtime.session() as db:
        return core_videos.recording_of(db, core_videos.find_recording(db, principal, record_id))


@router.head("/records/{record_id}/videos/{video_id}/download", include_in_schema=False)
@router.get("/records/{record_id}/videos/{video_id}/download", summary="Download the uploaded file")
def download_video(record_id: str, video_id: str, request: Request, principal: TokenPrincipal, db: DbDep,
                   runtime: RuntimeDep) -> Response:
    video = core_videos.find_recording_video(db, principal, record_id, video_id)
    return file_response(request, runtime, original_download(db, principal, video.uuid))
