"""SpareVideos ``/api/v1/me/file`` (get; update of the thumbnail by PUT or POST ``_method``) and
``/api/v1/me/files`` (list, 2000 codes a page; delete by DELETE or POST ``_method=DELETE``).

The document deletes only through ``me/files`` (``codes``, an array); a delete sent to
``me/file`` is refused with 405 and a pointer there, never read as a get."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from reelbase.core import videos as core_videos
from reelbase.core.errors import NotFound
from reelbase.core.auth import SignedRequest
from reelbase.dialects.sparevideos.auth import claim, request_params, verify
from reelbase.dialects.sparevideos.errors import GENERIC, NOT_FOUND, SpareError
from reelbase.dialects.sparevideos.links import api_url, file_info
from reelbase.edge.deps import get_runtime
from reelbase.core.numbers import is_decimal

router = APIRouter(prefix="/api/v1/me")
CODES_PER_PAGE = 2000
THUMBNAIL_NAME = re.compile(r"^(?P<code>[0-9a-fA-F]{16})_(?P<height>\d{1,5})_(?P<index>\d{1,3})(?:_selected)?\.jpg$")


def parse_thumbnail_name(code: str, name: str) -> tuple[int, int]:
    """(height, index) of ``<code>_<height>_<nn>.jpg`` (as listed by the thumbnail JSON list)."""
    match = THUMBNAIL_NAME.match(str(name).strip())
    if match is None or match["code"].lower() != code.lower():
        raise SpareError(NOT_FOUND, f"no thumbnail {str(name)[:80]!r} for file {code}")
    return int(match["height"]), int(match["index"])


def _override(params: dict[str, Any]) -> str:
    return str(params.get("_method") or "").strip().upper()


async def _file_code(request: Request, params: dict[str, Any], action: str) -> tuple[SignedRequest, str]:
    signed = await verify(request, params, method="file", action=action)
    code = claim(signed, params, "file_code")
    if not code:
        raise SpareError(NOT_FOUND, "give the file_code")
    return signed, str(code)


def _refuse_file_delete() -> SpareError:
    return SpareError(GENERIC, "me/file does not delete; delete with DELETE me/files (or POST _method=DELETE), "
                      "signing method 'files', action 'delete' and the codes array", 405)


@router.delete("/file", include_in_schema=False)
async def me_file_delete() -> None:
    raise _refuse_file_delete()


@router.get("/file", operation_id="me_file_get", summary="File information")
@router.post("/file", operation_id="me_file_post", summary="Either of them (_method=UPDATE to update)")
@router.put("/file", operation_id="me_file_put", summary="Update the file thumbnail")
async def me_file(request: Request) -> dict[str, Any]:
    params = await request_params(request)
    if _override(params) == "DELETE":
        raise _refuse_file_delete()
    update = request.method == "PUT" or _override(params) in ("UPDATE", "PUT", "PATCH")
    signed, code = await _file_code(request, params, "update" if update else "get")
    runtime = get_runtime(request)

    def work() -> dict[str, Any]:
        with runtime.session() as db:
            video = core_videos.find_video(db, signed.principal, code, show=core_videos.Show.FILES)
            if not update:
                return file_info(runtime, db, video)
            thumbnail = claim(signed, params, "thumbnail")
            if not thumbnail:
                raise SpareError(GENERIC, "give the thumbnail file name to select (see the thumbnail list)", 400)
            _, index = parse_thumbnail_name(video.token, str(thumbnail))
            core_videos.select_default_thumbnail(db, video, index)
            return {"status": "success"}

    return await run_in_threadpool(work)


@router.get("/files", operation_id="me_files_get", summary="Your file codes, 2000 a page")
@router.post("/files", operation_id="me_files_post", summary="Either (_method=DELETE to delete)")
@router.delete("/files", operation_id="me_files_delete", summary="Delete files")
async def me_files(request: Request) -> dict[str, Any]:
    params = await request_params(request)
    if request.method == "DELETE" or _override(params) == "DELETE":
        return await _delete(request, params)
    signed = await verify(request, params, method="files", action="get")
    page_text = str(params.get("page") or signed.claims.get("page") or "1")
    if not is_decimal(page_text) or not 1 <= int(page_text) <= 10**9:
        raise SpareError(GENERIC, "page must be a positive number", 400)
    page = int(page_text)
    runtime = get_runtime(request)

    def work() -> dict[str, Any]:
        with runtime.session() as db:
            codes, total = core_videos.list_video_codes(db, signed.principal, page=page, per_page=CODES_PER_PAGE)
        last = max(1, -(-total // CODES_PER_PAGE))
        return {
            "status": "success",
            "currentPage": page,
            "lastPage": last,
            "nextPageUrl": api_url(runtime, f"me/files?page={page + 1}") if page < last else None,
            "codes": codes,
        }

    return await run_in_threadpool(work)


async def _delete(request: Request, params: dict[str, Any]) -> dict[str, Any]:
    signed = await verify(request, params, method="files", action="delete")
    codes = claim(signed, params, "codes")
    if isinstance(codes, str):
        codes = [c for c in re.split(r"[\s,]+", codes) if c]
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str | int) for c in codes):
        raise SpareError(GENERIC, "give the codes to delete (an array)", 400)
    runtime = get_runtime(request)

    def work() -> dict[str, Any]:
        with runtime.session() as db:
            try:
                core_videos.delete_videos(db, signed.principal, [str(c) for c in codes], store=runtime.store)
            except NotFound as exc:
                raise SpareError(NOT_FOUND, f"{exc.message}; nothing was deleted") from None
        return {"status": "success", "codes": [str(c) for c in codes]}

    return await run_in_threadpool(work)
