"""The upload-by-URL job: fetch a URL into its upload session (``core/uploads/by_url.py``) on any
worker. The fetch itself records a failure a person can act on (an unreachable or refused URL, a
file over the limit) on the session and the video, so the job succeeds then; an unexpected error
is raised and retried (a fetch always starts over from byte 0)."""

from __future__ import annotations

from typing import Any

from reelbase.core.job_kinds import FetchUrlPayload, JobKind
from reelbase.core.uploads.by_url import import_from_url
from reelbase.jobs.registry import JobContext, job_handler


@job_handler(JobKind.fetch_url)
def fetch_url(ctx: JobContext, fetch: FetchUrlPayload) -> dict[str, Any]:
    status = import_from_url(ctx.runtime, fetch.upload_id)
    result: dict[str, Any] = {"upload": status.id, "state": status.state, "bytes": status.offset}
    if status.error:
        result["error"] = status.error
    return result
