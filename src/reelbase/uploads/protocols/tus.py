"""tus 1.0.0 at ``/api/v1/uploads/``: core protocol plus creation, creation-with-upload,
creation-defer-length, expiration, checksum (sha1, md5, sha256) and termination.

A thin surface: it parses headers, calls one core operation and shapes the answer. Status codes
follow the protocol: 412 on a missing or other ``Tus-Resumable`` (with ``Tus-Version``), 415 on a
PATCH that is not ``application/offset+octet-stream``, 409 on an offset mismatch, 460 on a
checksum mismatch (chunk discarded), 404 for an unknown upload, 410 for an expired or terminated
one, 413 past ``Upload-Length`` or the size limit, 400 for malformed headers. Every response but
OPTIONS carries ``Tus-Resumable``. ``X-HTTP-Method-Override`` lets a client that can only POST
send PATCH or DELETE.

Auth: the API key (``Authorization: Bearer``/``X-Api-Key``), or a signed upload URL's parameters
in the query; the ``Location`` of an upload created with a signed URL carries them on.
``Upload-Metadata`` keys used: ``filename`` (or ``name``), ``filetype`` (or ``type``), ``title``,
``project``, and ``video`` (an existing video to upload to; without it a new video is made).
"""

from __future__ import annotations

import base64
import binascii
import email.utils
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from fastapi.concurrency import run_in_threadpool

from reelbase.edge.deps import get_runtime
from reelbase.edge.errors import error_body, error_responses
from reelbase.core.errors import DomainError, InvalidInput
from reelbase.core.uploads import (
    CHECKSUM_ALGORITHMS,
    Checksum,
    UploadGrant,
    UploadStatus,
    claim_signed_upload,
    create_upload,
    terminate_upload,
    upload_status,
    write_chunk,
)
from reelbase.edge.upload_body import request_chunks
from reelbase.edge.uploads import error_response, upload_url
from reelbase.uploads.protocols.common import header_int, resolve_actor, signed_params

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination"
OCTETS = "application/offset+octet-stream"
MAX_METADATA = 8 * 1024

router = APIRouter(prefix="/uploads", tags=["uploads: tus"])

# tus answers carry headers, not bodies. Its clients read 400 where the rest of the API says 422,
# so 422 is never sent; "4XX" keeps FastAPI from documenting its own validation body instead.
_TUS_HEADERS = {
    "Tus-Resumable": {"schema": {"type": "string"}},
    "Upload-Offset": {"schema": {"type": "integer"}, "description": "Bytes stored so far"},
    "Upload-Expires": {"schema": {"type": "string"}, "description": "While incomplete (RFC 9110 date)"},
    "Reelbase-Video": {"schema": {"type": "string"}, "description": "The video's id"},
}

# What a tus request must carry, so the document describes the requests the server accepts.
_VERSION = {"name": "Tus-Resumable", "in": "header", "required": True, "schema": {"type": "string", "enum": ["1.0.0"]}}
_LENGTH = {"name": "Upload-Length", "in": "header", "required": False,
           "schema": {"type": "integer", "minimum": 0}, "description": "The whole size (or Upload-Defer-Length: 1)"}
_OFFSET = {"name": "Upload-Offset", "in": "header", "required": True,
           "schema": {"type": "integer", "minimum": 0}, "description": "Where this chunk starts"}
_CHUNK = {"required": True, "content": {"application/offset+octet-stream": {
    "schema": {"type": "string", "format": "binary"}}}}


def _tus_doc(*headers: dict, body: dict | None = None) -> dict:
    extra: dict = {"parameters": [_VERSION, *headers]}
    if body is not None:
        extra["requestBody"] = body
    return {"openapi_extra": extra}


class VersionMismatch(DomainError):
    code = "tus_version"
    status = 412


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415


def _tus_error(exc: DomainError, *, head: bool = False) -> Response:
    status = 400 if exc.status == 422 else exc.status  # tus clients know 400 for bad requests
    headers = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store"}
    if isinstance(exc, VersionMismatch):
        headers["Tus-Version"] = TUS_VERSION
    response = error_response(exc, status=status, headers=headers)
    if head:  # a HEAD answer has no body
        return Response(status_code=status, headers={k: v for k, v in response.headers.items()
                                                     if k.lower() not in ("content-length", "content-type")})
    return response


def _check_version(request: Request) -> None:
    given = request.headers.get("tus-resumable")
    if given != TUS_VERSION:
        raise VersionMismatch(f"this server speaks tus {TUS_VERSION}; the request says Tus-Resumable: {given!r}")


def parse_metadata(value: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (the value may be absent)."""
    if not value:
        return {}
    if len(value) > MAX_METADATA:
        raise InvalidInput(f"Upload-Metadata is longer than {MAX_METADATA} bytes", field="Upload-Metadata")
    out: dict[str, str] = {}
    for pair in value.split(","):
        key, _, encoded = pair.strip().partition(" ")
        if not key or not key.isascii() or " " in encoded.strip():
            raise InvalidInput(f"Upload-Metadata pair {pair.strip()[:40]!r} is not 'key base64value'",
                               field="Upload-Metadata")
        try:
            out[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise InvalidInput(f"Upload-Metadata value of {key!r} is not base64 of UTF-8 text",
                               field="Upload-Metadata") from None
    return out


def encode_metadata(meta: dict[str, Any]) -> str:
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in meta.items())


def parse_checksum(value: str | None) -> Checksum | None:
    if not value:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise InvalidInput(f"Upload-Checksum algorithm {algorithm!r} is not one of {', '.join(CHECKSUM_ALGORITHMS)}",
                           field="Upload-Checksum")
    try:
        return Checksum(algorithm, base64.b64decode(encoded.strip(), validate=True))
    except (binascii.Error, ValueError):
        raise InvalidInput("Upload-Checksum is not 'algorithm base64digest'", field="Upload-Checksum") from None


def _status_headers(status: UploadStatus) -> dict[str, str]:
    headers = {"Tus-Resumable": TUS_VERSION, "Upload-Offset": str(status.offset), "Cache-Control": "no-store",
               "Reelbase-Video": status.video_uuid}
    if not status.complete:
        headers["Upload-Expires"] = email.utils.format_datetime(status.expires_at, usegmt=True)
    return headers


@router.options("/", include_in_schema=False)
@router.options("", include_in_schema=False)
@router.options("/{upload_id}", include_in_schema=False)
async def tus_options(request: Request) -> Response:
    runtime = get_runtime(request)
    return Response(status_code=204, headers={
        "Tus-Resumable": TUS_VERSION, "Tus-Version": TUS_VERSION, "Tus-Extension": EXTENSIONS,
        "Tus-Max-Size": str(runtime.settings.max_upload_bytes),
        "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
    })


@router.post("/", status_code=201, summary="tus creation (with optional first chunk)", response_class=Response,
             responses={201: {"description": "Created: no body; the upload's URL is in Location",
                              "headers": {**_TUS_HEADERS, "Location": {"schema": {"type": "string"}}}},
                        **error_responses(400, 401, 403, 429, 404, 409, 412, 413, "4XX")},
             **_tus_doc(_LENGTH))
@router.post("", status_code=201, include_in_schema=False)
async def tus_create(request: Request) -> Response:
    runtime = get_runtime(request)
    try:
        _check_version(request)
        length = header_int(request, "upload-length")
        defer = request.headers.get("upload-defer-length")
        if defer is not None and defer.strip() != "1":
            raise InvalidInput("Upload-Defer-Length must be 1", field="Upload-Defer-Length")
        if (length is None) == (defer is None):
            raise InvalidInput("send exactly one of Upload-Length and Upload-Defer-Length: 1", field="Upload-Length")
        meta = parse_metadata(request.headers.get("upload-metadata"))
        actor = await resolve_actor(request)
        filename = meta.get("filename") or meta.get("name")
        ctype = meta.get("filetype") or meta.get("type")
        if isinstance(actor, UploadGrant):
            status = await run_in_threadpool(claim_signed_upload, runtime, actor, protocol="tus", length=length,
                                             filename=filename, content_type=ctype, metadata=meta)
        else:
            status = await run_in_threadpool(
                create_upload, runtime, actor, meta.get("video"), protocol="tus", length=length, filename=filename,
                content_type=ctype, metadata={"meta": meta}, title=meta.get("title"), project=meta.get("project"),
            )
    except DomainError as exc:
        return _tus_error(exc)
    query = ""
    signed = signed_params(request.query_params)
    if signed is not None:
        query = "&".join(f"{k}={v}" for k, v in signed.items())
    headers = _status_headers(status)
    headers["Location"] = upload_url(runtime, status.id, query)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() == OCTETS:
        # creation-with-upload: a failed first chunk does not undo the creation; the client
        # learns the stored offset (HEAD) and goes on from there.
        try:
            status = await _patch(request, actor, status.id, offset=0)
            headers.update(_status_headers(status))
        except DomainError:
            try:  # report what was stored of it, read back from storage
                status = await run_in_threadpool(upload_status, runtime, actor, status.id)
                headers.update(_status_headers(status))
            except DomainError:
                pass
    return Response(status_code=201, headers=headers)


async def _patch(request: Request, actor: Any, upload_id: str, *, offset: int) -> UploadStatus:
    checksum = parse_checksum(request.headers.get("upload-checksum"))
    length = header_int(request, "upload-length")
    content_length = header_int(request, "content-length")
    return await run_in_threadpool(
        write_chunk, get_runtime(request), actor, upload_id, offset=offset, chunks=request_chunks(request),
        length=length, checksum=checksum, content_length=content_length,
    )


@router.head("/{upload_id}", summary="tus: the upload's offset", response_class=Response,
             responses={200: {"description": "No body: the state is in the headers",
                              "headers": {**_TUS_HEADERS, "Upload-Length": {"schema": {"type": "integer"}},
                                          "Upload-Defer-Length": {"schema": {"type": "integer"}},
                                          "Upload-Metadata": {"schema": {"type": "string"}}}},
                        **error_responses(401, 403, 429, 404, 410, 412, "4XX", body=False)}, **_tus_doc())
async def tus_head(upload_id: str, request: Request) -> Response:
    try:
        _check_version(request)
        actor = await resolve_actor(request)
        status = await run_in_threadpool(upload_status, get_runtime(request), actor, upload_id)
    except DomainError as exc:
        return _tus_error(exc, head=True)
    headers = _status_headers(status)
    if status.length is None:
        headers["Upload-Defer-Length"] = "1"
    else:
        headers["Upload-Length"] = str(status.length)
    meta = status.metadata.get("meta")
    if meta:
        headers["Upload-Metadata"] = encode_metadata(meta)
    return Response(status_code=200, headers=headers)


@router.patch("/{upload_id}", status_code=204, summary="tus: append a chunk at Upload-Offset",
              responses={204: {"description": "Stored", "headers": _TUS_HEADERS},
                         **error_responses(400, 401, 403, 429, 404, 409, 410, 412, 413, 415, 460, "4XX")},
              **_tus_doc(_OFFSET, body=_CHUNK))
async def tus_patch(upload_id: str, request: Request) -> Response:
    try:
        _check_version(request)
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != OCTETS:
            raise UnsupportedMediaType(f"a tus PATCH must have Content-Type: {OCTETS}")
        offset = header_int(request, "upload-offset")
        if offset is None:
            raise InvalidInput("Upload-Offset is missing", field="Upload-Offset")
        actor = await resolve_actor(request)
        status = await _patch(request, actor, upload_id, offset=offset)
    except DomainError as exc:
        return _tus_error(exc)
    return Response(status_code=204, headers=_status_headers(status))


@router.delete("/{upload_id}", status_code=204, summary="tus termination: stop an upload, free its bytes",
               responses=error_responses(400, 401, 403, 429, 404, 410, 412, "4XX"), **_tus_doc())
async def tus_delete(upload_id: str, request: Request) -> Response:
    try:
        _check_version(request)
        actor = await resolve_actor(request)
        await run_in_threadpool(terminate_upload, get_runtime(request), actor, upload_id)
    except DomainError as exc:
        return _tus_error(exc)
    return Response(status_code=204, headers={"Tus-Resumable": TUS_VERSION})


@router.post("/{upload_id}", include_in_schema=False)
async def tus_override(upload_id: str, request: Request) -> Response:
    """``X-HTTP-Method-Override: PATCH|DELETE|HEAD`` for clients that can only send POST."""
    method = request.headers.get("x-http-method-override", "").upper()
    if method == "PATCH":
        return await tus_patch(upload_id, request)
    if method == "DELETE":
        return await tus_delete(upload_id, request)
    if method == "HEAD":
        return await tus_head(upload_id, request)
    # Without an override a POST is a method this resource does not take.
    body = error_body(405, "method_not_allowed", "POST to an upload needs X-HTTP-Method-Override: PATCH, DELETE or HEAD")
    return JSONResponse(body, 405, headers={"Tus-Resumable": TUS_VERSION, "Allow": "DELETE, GET, HEAD, PATCH"})
