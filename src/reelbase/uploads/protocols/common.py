"""What the upload surfaces share: who is asking (API key or signed URL), the upload's JSON shape,
and error responses that keep the native error body and add what a resuming client needs (the
current offset).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from reelbase.core.errors import DomainError, InvalidInput, Unauthenticated
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import Actor, UploadStatus
from reelbase.core.uploads_io import OffsetMismatch
from reelbase.core.uploads_signed import verify_signed_upload
from reelbase.edge.deps import authenticate_request
from reelbase.edge.errors import error_body
from reelbase.edge.links import API_PREFIX

SIGNED_PARAMS = ("token", "expires_at", "sign")


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


def signed_params(source: Mapping[str, str]) -> dict[str, str] | None:
    """The signed-URL parameters in ``source`` (query or form), or None if it has none."""
    if not any(source.get(k) for k in SIGNED_PARAMS):
        return None
    return {k: source.get(k, "") for k in SIGNED_PARAMS}


def resolve_actor_sync(runtime: Runtime, request: Request, params: Mapping[str, str] | None = None) -> Actor:
    """A signed URL's grant when signed parameters are present (in ``params`` or the query),
    else the API key's principal. Blocking: call from a worker thread."""
    signed = signed_params(params if params is not None else request.query_params)
    if signed is not None:
        return verify_signed_upload(runtime, token=signed["token"], expires_at=signed["expires_at"],
                                    sign=signed["sign"])
    return authenticate_request(runtime, request)


async def resolve_actor(request: Request, params: Mapping[str, str] | None = None) -> Actor:
    return await run_in_threadpool(resolve_actor_sync, runtime_of(request), request, params)


def header_int(request: Request, name: str) -> int | None:
    """A non-negative integer header, None when absent; InvalidInput when malformed."""
    value = request.headers.get(name)
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput(f"{name} must be a non-negative integer below 10^18, not {value[:40]!r}", field=name)
    return int(value)


def upload_url(runtime: Runtime, upload_id: str, query: str = "") -> str:
    base = f"{runtime.settings.public_url}{API_PREFIX}/uploads/{upload_id}"
    return f"{base}?{query}" if query else base


def upload_json(runtime: Runtime, status: UploadStatus) -> dict[str, Any]:
    return {
        "id": status.id,
        "protocol": status.protocol,
        "state": status.state,
        "offset": status.offset,
        "length": status.length,
        "progress": status.progress,
        "expires_at": status.expires_at.isoformat().replace("+00:00", "Z"),
        "video": status.video_uuid,
        "video_url": f"{runtime.settings.public_url}{API_PREFIX}/videos/{status.video_uuid}",
        "filename": status.filename,
        "error": status.error,
        "error_code": status.metadata.get("error_code"),
        "url": upload_url(runtime, status.id),
    }


def error_response(
    exc: DomainError, *, status: int | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The native error body for ``exc`` (plus ``offset`` for an offset mismatch), optionally
    under another status (for protocols whose clients read status codes their own way)."""
    code = status or exc.status
    body = error_body(code, exc.code, exc.message, exc.field)
    if "limit" in exc.details:
        body["error"]["limit"] = exc.details["limit"]
    extra: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        extra["WWW-Authenticate"] = 'Bearer realm="reelbase"'
    if isinstance(exc, OffsetMismatch):
        body["error"]["offset"] = exc.offset
        extra["Upload-Offset"] = str(exc.offset)
        if exc.offset:
            extra["Range"] = f"bytes=0-{exc.offset - 1}"
    extra.update(headers or {})
    return JSONResponse(body, status_code=code, headers=extra)
