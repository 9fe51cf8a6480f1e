"""Serving a stored file over HTTP: HEAD, Range (206/416), ETag/If-None-Match (304),
Content-Disposition. Shared by every surface that serves downloads (native API, dialects, pages)."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from reelbase.core.playback import Download, parse_range, stream_download
from reelbase.core.runtime import Runtime
from reelbase.storage.base import content_disposition


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


def file_response(
    request: Request, runtime: Runtime, download: Download, *, inline: bool = False, cache: str = "private, max-age=0"
) -> Response:
    etag = f'"{download.etag}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(download.filename, disposition="inline" if inline else "attachment"),
        "Cache-Control": cache,
        # Stored files are media, never documents: an original uploaded with a forged HTML type
        # and opened directly is neither sniffed into a page nor allowed to run anything here.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    inm = request.headers.get("if-none-match")
    if inm is not None and _etag_matches(inm, etag):
        return Response(status_code=304, headers=headers)
    size = download.size
    rng = None
    if_range = request.headers.get("if-range")
    if if_range is None or if_range.strip() == etag:
        rng = parse_range(request.headers.get("range"), size)
    status = 200
    start, end = 0, size - 1
    if rng is not None:
        start, end = rng
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    if request.method == "HEAD" or size == 0:
        return Response(status_code=status, headers=headers, media_type=download.content_type)
    body = stream_download(runtime, download, start, end)
    return StreamingResponse(body, status_code=status, headers=headers, media_type=download.content_type)
