"""SpareVideos upload process: ``/api/v1/upload/initiate`` (step 1), the upload server
(step 2: ``file`` or ``remote_file``), its ``/progress?ref=`` (step 2a) and
``/api/v1/upload/conversion/initiate`` (step 3).

Step 1 makes the video (conversion deferred until step 3, as the document asks) and a signed
upload session (``core.uploads.signed``); ``ref`` is that session's id. The upload ``token`` is a
signed array like the client's own (``method: upload, action: upload``, signed with the same
key's secret) that carries the session's signed-URL parameters and the file code, so the upload
server needs nothing else.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from reelbase.core import playback as core_playback
from reelbase.core import videos as core_videos
from reelbase.core.auth import SignedRequest, key_secret, sign_request, verify_signed_request
from reelbase.core.errors import Conflict, InvalidInput, NotFound
from reelbase.core.uploads import (
    MAX_EXPIRES_IN,
    UploadGrant,
    create_signed_upload,
    get_upload,
    receive_signed_source,
    start_signed_url_import,
    verify_signed_upload,
)
from reelbase.dialects.sparevideos.auth import claim, flag, request_params, verify
from reelbase.dialects.sparevideos.errors import (
    ALREADY_CONVERTED,
    FILESERVER_ERROR,
    NOT_CONVERTED,
    UPLOAD_NOT_EXECUTED,
    UPLOAD_NOT_VALID,
    SpareError,
)
from reelbase.dialects.sparevideos.links import UPLOAD_SERVER, upload_server
from reelbase.edge.deps import client_address, get_runtime
from reelbase.edge.upload_body import UploadBody

router = APIRouter()
MIN_UPLOAD_WINDOW = 3600  # the upload token outlives a short-lived initiate token
MAX_FIELDS = 64 * 1024


@router.get("/api/v1/upload/initiate", operation_id="initiate_get", summary="Step 1: initiate an upload")
@router.post("/api/v1/upload/initiate", operation_id="initiate_post", summary="Step 1: initiate an upload")
async def initiate(request: Request) -> dict[str, Any]:
    signed = await verify(request, await request_params(request), method="upload", action="initiate")
    runtime = get_runtime(request)

    def work() -> dict[str, Any]:
        principal = signed.principal
        remaining = int(float(signed.claims["expires"]) - time.time())
        # The new video comes with its upload session, in one transaction: never a video without one.
        upload = create_signed_upload(runtime, principal, None,
                                      expires_in=min(MAX_EXPIRES_IN, max(MIN_UPLOAD_WINDOW, remaining)),
                                      video_options={"defer_conversion": True})
        with runtime.session() as db:
            code = core_videos.find_video(db, principal, upload.upload.video_uuid).token
        assert principal.api_key is not None
        token = sign_request({
            "algo": "sha256", "public_key": principal.api_key.public_id, "method": "upload", "action": "upload",
            "expires": upload.expires_at, "ref": upload.token, "code": code, "sign": upload.sign,
            "time": int(time.time()),
        }, key_secret(principal.api_key, runtime.secret_key))
        return {"status": "success", "server": upload_server(runtime), "ref": upload.token, "token": token}

    return await run_in_threadpool(work)


def _grant(runtime: Any, signed: SignedRequest) -> UploadGrant:
    claims = signed.claims
    return verify_signed_upload(runtime, token=str(claims.get("ref") or ""), expires_at=claims.get("expires"),
                                sign=str(claims.get("sign") or ""))


@router.post(UPLOAD_SERVER, summary="Step 2: upload the file (multipart 'file') or fetch 'remote_file'")
async def upload(request: Request) -> dict[str, Any]:
    runtime = get_runtime(request)
    client = client_address(request)
    params: dict[str, Any] = dict(request.query_params)
    body = UploadBody(request)
    if body.multipart:

        def work() -> dict[str, Any]:
            try:
                body.open()
            except InvalidInput:
                if not body.fields.get("remote_file"):
                    raise SpareError(UPLOAD_NOT_EXECUTED, "send a 'file' or a 'remote_file'") from None
                return _remote(runtime, body.params, client)
            signed = _verify_upload_token(runtime, body.params, client)
            receive_signed_source(runtime, _grant(runtime, signed), chunks=body.chunks, filename=body.filename,
                                  content_type=body.content_type)
            return {"status": "success", "code": signed.claims.get("code")}

        return await run_in_threadpool(work)
    raw = b""
    async for chunk in request.stream():  # a form of a few fields: never buffer a raw file body
        raw += chunk
        if len(raw) > MAX_FIELDS:
            raise SpareError(UPLOAD_NOT_VALID, "send the file as multipart/form-data field 'file'", 400)
    fields = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    if not fields.get("remote_file"):
        raise SpareError(UPLOAD_NOT_EXECUTED, "send a 'file' (multipart/form-data) or a 'remote_file' URL")
    return await run_in_threadpool(_remote, runtime, {**fields, **params}, client)


def _verify_upload_token(runtime: Any, params: dict[str, Any], client: str | None) -> SignedRequest:
    return verify_signed_request(runtime, params.get("token"), method="upload", action="upload", client=client)


def _remote(runtime: Any, params: dict[str, Any], client: str | None) -> dict[str, Any]:
    signed = _verify_upload_token(runtime, params, client)
    start_signed_url_import(runtime, _grant(runtime, signed), url=str(params["remote_file"]))
    return {"status": "success", "code": signed.claims.get("code")}


@router.get(UPLOAD_SERVER + "/progress", summary="Step 2a: progress of an upload, plain text 0-100")
def progress(request: Request, ref: str = "") -> PlainTextResponse:
    # The ref is an unguessable session id handed only to whoever initiated the upload: it is
    # the capability the document's progress call carries (no token).
    if not ref:
        raise SpareError(UPLOAD_NOT_VALID, "give the ref returned by upload/initiate", 400)
    status = get_upload(get_runtime(request), UploadGrant(upload_id=ref), ref)
    if status.state == "failed":  # a number would keep the client polling forever
        raise SpareError(FILESERVER_ERROR, status.error or "the upload failed", 502)
    return PlainTextResponse(str(status.progress), headers={"Cache-Control": "no-store"})


@router.get("/api/v1/upload/conversion/initiate", operation_id="conversion_get", summary="Step 3: request conversion")
@router.post("/api/v1/upload/conversion/initiate", operation_id="conversion_post", summary="Step 3: request conversion")
async def conversion(request: Request) -> dict[str, Any]:
    params = await request_params(request)
    signed = await verify(request, params, method="upload", action="convert")
    runtime = get_runtime(request)
    code = claim(signed, params, "file_code")
    if not code:
        raise SpareError(404, "give the file_code to convert")

    def work() -> dict[str, Any]:
        with runtime.session() as db:
            try:
                video = core_videos.find_video(db, signed.principal, str(code))
            except NotFound:
                raise SpareError(404, f"no file {str(code)[:40]}") from None
            if core_playback.is_converted(db, video):
                raise SpareError(ALREADY_CONVERTED, f"file {video.token} is already converted", 409)
            try:
                core_videos.request_conversion(
                    db, signed.principal, video, sd_only=flag(claim(signed, params, "convert_sd_only")),
                    mp4_only=flag(claim(signed, params, "convert_mp4_only")))
            except Conflict as exc:  # no file yet, a file that is no video, or a conversion under way
                hint = ("its file could not be processed, upload it again" if video.state == "failed"
                        else "try again once it is uploaded and processed")
                raise SpareError(NOT_CONVERTED, f"file {video.token} not converted: {exc.message}; {hint}",
                                 409) from None
            return {"status": "success", "code": video.token}

    return await run_in_threadpool(work)
