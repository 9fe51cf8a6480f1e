"""Video API: ``POST /video/metadata`` (the document's path has no ``/v1``): a video's
duration as zero-padded strings and total milliseconds::

    {"message": "", "level": "success",
     "data": {"hours": "00", "mins": "15", "secs": "10", "ms": "380", "totalMs": 910380}}
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from reelbase.core.context import Principal
from reelbase.core.runtime import Runtime
from reelbase.core.videos import Show, find_video
from reelbase.dialects.ilos import params as p
from reelbase.dialects.ilos.errors import IlosError

router = APIRouter(tags=["videos"])


def duration_parts(total_ms: int) -> dict[str, Any]:
    hours, rest = divmod(total_ms, 3_600_000)
    mins, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return {"hours": f"{hours:02d}", "mins": f"{mins:02d}", "secs": f"{secs:02d}", "ms": f"{ms:03d}",
            "totalMs": total_ms}


def _duration(runtime: Runtime, principal: Principal, randtag: str) -> int | None:
    with runtime.session() as db:
        return find_video(db, principal, randtag, show=Show.ROW).duration_ms


@router.post("/video/metadata", summary="Get a video's duration")
@router.post("/v1/video/metadata", include_in_schema=False)
async def video_metadata(request: Request) -> dict[str, Any]:
    params = await p.read_params(request)
    principal = await p.principal_from(request, params)
    randtag = p.text(params, "randtag", limit=64)
    if not randtag:
        raise IlosError(400, "randtag is required")
    runtime: Runtime = request.app.state.runtime
    total = await run_in_threadpool(_duration, runtime, principal, randtag)
    if total is None:
        raise IlosError(409, "the video's duration is not known yet: it is still being uploaded or processed")
    return {"message": "", "level": "success", "data": duration_parts(int(total))}
