"""Integros uploading (``/v1/uploads/...``): ``get_resumable_url`` (one token and ResumableJS URL
per file), ``get_url`` (one signed URL for a single-request upload) and ``upload_url`` (the
server fetches the file).

Every token handed out is the new video's public token, so the same token reads the video
(``/v1/videos/<token>.json``). The URLs are signed upload URLs of the core
(``core.uploads.video_urls``) pointing at ``transfer.py``; both ``/upload_chunk`` and ``/upload``
take ResumableJS chunks as well as a whole file.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from reelbase.core.context import Principal
from reelbase.core.errors import InvalidInput
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import create_video_upload_url, start_url_import
from reelbase.core.videos import find_video
from reelbase.dialects.integros.auth import ApiKeyPrincipal
from reelbase.dialects.integros.formats import int_param, parse_files, render, route, url
from reelbase.edge.deps import get_runtime

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])
URL_LIFETIME = 24 * 3600  # a large file over a slow line may take hours; the session lives as long


async def request_params(request: Request) -> tuple[list[tuple[str, str]], Any]:
    """The query's items plus, for a POST, its form fields or its JSON body (returned apart)."""
    items = list(request.query_params.multi_items())
    if request.method != "POST":
        return items, None
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        raw = await request.body()
        if not raw.strip():
            return items, None
        try:
            return items, json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise InvalidInput("the request body is not valid JSON", field="files") from None
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        items += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    return items, None


def _upload_url(runtime: Runtime, principal: Principal, path: str, *, name: str | None,
                size: int | None) -> dict[str, str]:
    signed = create_video_upload_url(runtime, principal, filename=name, length=size, expires_in=URL_LIFETIME)
    return {"token": signed.token, "url": url(runtime, f"{path}?{signed.query()}")}


@route(router, "/get_resumable_url", methods=("GET", "HEAD", "POST"),
       summary="A token and a ResumableJS upload URL for each of `files` ({id, name, size})")
async def get_resumable_url(request: Request, principal: ApiKeyPrincipal) -> Response:
    runtime = get_runtime(request)
    items, body = await request_params(request)
    files = parse_files(items, body)

    def work() -> dict[str, dict[str, str]]:
        return {f.id: _upload_url(runtime, principal, "/upload_chunk", name=f.name, size=f.size) for f in files}

    return render(request, await run_in_threadpool(work))


@route(router, "/get_url", methods=("GET", "POST"),
       summary="A token and a signed URL for uploading one file (file_name, file_size)")
async def get_url(request: Request, principal: ApiKeyPrincipal) -> Response:
    runtime = get_runtime(request)
    params = dict((await request_params(request))[0])
    name = params.get("file_name") or None
    size = int_param(params.get("file_size"), "file_size", low=1)
    answer = await run_in_threadpool(_upload_url, runtime, principal, "/upload", name=name, size=size)
    return render(request, answer)


@route(router, "/upload_url", methods=("GET", "POST"),
       summary="Upload by URL: the server fetches file_url (file_name defaults to the URL's)")
async def upload_url(request: Request, principal: ApiKeyPrincipal) -> Response:
    runtime = get_runtime(request)
    params = dict((await request_params(request))[0])
    file_url = (params.get("file_url") or "").strip()
    if not file_url:
        raise InvalidInput("file_url is missing", field="file_url")

    def work() -> dict[str, str]:
        status = start_url_import(runtime, principal, None, url=file_url, filename=params.get("file_name") or None)
        with runtime.session() as db:
            return {"token": find_video(db, principal, status.video_uuid).token}

    return render(request, await run_in_threadpool(work))
