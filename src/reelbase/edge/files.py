"""Serving a stored file over HTTP: HEAD, Range (206/416), ETag/If-None-Match (304),
Content-Disposition, caching, and CORS for the files players fetch. Shared by every surface that
serves downloads or streams (native API, dialects, pages).

How the bytes go out:

* A file of the local store is handed to the OS: the ASGI ``http.response.pathsend`` extension
  where the server offers it (a whole file), otherwise the file is memory-mapped and the mapping
  passed to the server's socket writes, so the kernel copies the page cache to the socket and no
  byte is read into Python. Safe because the local store replaces a file by renaming a new one
  over it, never by rewriting it in place (a mapping of a file cut short would fault).
* A rewritten playlist (``Download.body``) is sent from memory.
* A file with a ``location`` (a segment on S3) is a redirect to its presigned URL.
* Anything else (S3 originals, thumbnails) streams through :func:`stream_download`.

CORS for players (:class:`PlaybackRoute`, :func:`add_playback_routes`): every answer of those routes,
errors included, carries ``Access-Control-Allow-Origin`` (``*`` unless the route chose the page's
origin, see ``core.playback.origins``), the headers a player reads are exposed, and the preflight
is answered without touching the database. ``Cross-Origin-Resource-Policy: cross-origin`` lets
pages on other origins use them; the sandbox CSP and nosniff stay on every stored file.
"""

from __future__ import annotations

import inspect
import mmap
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, StreamingResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from reelbase.core import playback as core_playback
from reelbase.core.errors import NotFound
from reelbase.core.playback import Download, parse_range, stream_download
from reelbase.core.runtime import Runtime
from reelbase.storage.base import content_disposition

# Seconds a browser may keep a stream file of each freshness core.playback.delivery gives it.
FRESHNESS = {
    core_playback.IMMUTABLE: 31536000,
    core_playback.PLAYLIST: 3600,
    core_playback.ENTRY: 600,
    core_playback.GROWING: 2,
    core_playback.DAY: 86400,
    core_playback.STALE: 60,
}
_MAPPED_CHUNK = 8 << 20  # one socket write per 8 MiB of mapping: flow control and disconnects act between them
ALLOWED_REQUEST_HEADERS = "Authorization, Range, If-None-Match, If-Range, If-Modified-Since"
EXPOSED_HEADERS = "Content-Length, Content-Range, Content-Type, ETag, Accept-Ranges, X-Request-Id"


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


def cache_control(download: Download, default: str) -> str:
    """``default``, unless core gave the file a freshness (stream files): then that, for the
    browser's cache (stream URLs carry a key or a signature: no shared cache should keep them)."""
    if download.freshness is None:
        return default
    seconds = FRESHNESS[download.freshness]
    policy = f"max-age={seconds}, immutable" if download.freshness == core_playback.IMMUTABLE else f"max-age={seconds}"
    if download.fresh_for is not None and download.fresh_for < seconds:
        policy = f"max-age={download.fresh_for}"
    return "private, " + policy


def file_response(
    request: Request, runtime: Runtime, download: Download, *, inline: bool = False,
    cache: str = "private, max-age=0", allow_origin: str | None = None,
) -> Response:
    """The answer for ``download``. ``allow_origin``: the CORS origin a player route chose."""
    etag = f'"{download.etag}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(download.filename, disposition="inline" if inline else "attachment"),
        "Cache-Control": cache_control(download, cache),
        # Stored files are media, never documents: an original uploaded with a forged HTML type
        # and opened directly is neither sniffed into a page nor allowed to run anything here.
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    if allow_origin is not None:
        _allow(headers, allow_origin)
    if download.location is not None:
        # The store serves it (a presigned URL): the player follows, no byte passes through here.
        headers = {k: v for k, v in headers.items() if k in ("Cache-Control", "X-Content-Type-Options")
                   or k.startswith(("Access-Control", "Vary", "Cross-Origin"))}
        headers["Cache-Control"] = "private, max-age=3600" if download.freshness == core_playback.IMMUTABLE \
            else "private, max-age=60"
        return RedirectResponse(download.location, status_code=307, headers=headers)
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
    if download.body is not None:
        return Response(download.body[start:end + 1], status_code=status, headers=headers,
                        media_type=download.content_type)
    local_file = getattr(runtime.store, "local_file", None)
    if local_file is not None:
        path = local_file(download.key)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except (FileNotFoundError, NotADirectoryError):
            # Gone since core found it (the video deleted, a rebuilt ladder pruned).
            raise NotFound(f"no file {download.filename!r} any more") from None
        return OSFileResponse(fd, path, start=start, end=end, whole=rng is None, status_code=status,
                              headers=headers, media_type=download.content_type)
    body = stream_download(runtime, download, start, end)
    return StreamingResponse(body, status_code=status, headers=headers, media_type=download.content_type)


class OSFileResponse(Response):
    """Sends bytes ``start..end`` of an open file without reading them into Python (see the
    module docstring); owns ``fd`` and closes it."""

    def __init__(self, fd: int, path: Path, *, start: int, end: int, whole: bool, status_code: int,
                 headers: dict[str, str], media_type: str) -> None:
        super().__init__(status_code=status_code, headers=headers, media_type=media_type)
        self.fd, self.path, self.start, self.end, self.whole = fd, path, start, end, whole

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            size = os.fstat(self.fd).st_size
            end = min(self.end, size - 1)
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            if self.whole and end == size - 1 and "http.response.pathsend" in scope.get("extensions", {}):
                await send({"type": "http.response.pathsend", "path": str(self.path)})
                return
            if end < self.start:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            # The mapping keeps its own reference to the file, and the server may still hold the
            # last views when this returns: the mapping is released once they are written.
            mapped = mmap.mmap(self.fd, 0, access=mmap.ACCESS_READ)
        finally:
            os.close(self.fd)
        view = memoryview(mapped)
        offset = self.start
        while offset <= end:
            stop = min(offset + _MAPPED_CHUNK, end + 1)
            if stop <= end:  # read the next chunk ahead, so the socket write seldom waits on the disk
                mapped.madvise(mmap.MADV_WILLNEED, stop - stop % mmap.PAGESIZE,
                               min(_MAPPED_CHUNK, end + 1 - stop + stop % mmap.PAGESIZE))
            await send({"type": "http.response.body", "body": view[offset:stop], "more_body": stop <= end})
            offset = stop


# -- CORS for the files players fetch ----------------------------------------------------------------


def _allow(headers: Any, origin: str) -> None:
    headers["Access-Control-Allow-Origin"] = origin
    headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    if origin != "*":
        headers["Vary"] = "Origin"


def playback_origin(request: Request, runtime: Runtime, db: Any, video: Any) -> str:
    """The ``Access-Control-Allow-Origin`` for a player file of ``video`` asked for by ``request``
    (OriginNotAllowed for a page on an origin its team does not list)."""
    return core_playback.playback_origin(db, video, origin=request.headers.get("origin"),
                                         referer=request.headers.get("referer"),
                                         own_origin=runtime.settings.public_url)


def preflight(request: Request) -> Response:
    """The CORS preflight of a player file: any origin, the methods and request headers players use."""
    return Response(status_code=204, headers={
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
        "Access-Control-Allow-Headers": ALLOWED_REQUEST_HEADERS,
        "Access-Control-Max-Age": "86400",
    })


class PlaybackRoute(APIRoute):
    """A route of player files: its errors are answered by the app's own handlers as usual, and
    every answer carries the CORS headers (a 403 for a page's origin also ``Vary: Origin``), so a
    player on another origin can read why a file was refused."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            refused = False
            try:
                response: Response = await handle(request)
            except Exception as exc:
                render = _handler_for(request, exc)
                if render is None:
                    raise
                response = await render(request, exc) if _is_async(render) else await run_in_threadpool(
                    render, request, exc)
                refused = isinstance(exc, core_playback.OriginNotAllowed)
            if "access-control-allow-origin" not in response.headers:
                _allow(response.headers, "*")
            if refused:
                response.headers["Vary"] = "Origin"
            return response

        return answer


def _handler_for(request: Request, exc: Exception) -> Callable[..., Any] | None:
    handlers: dict[Any, Callable[..., Any]] = getattr(request.app, "exception_handlers", {})
    if isinstance(exc, StarletteHTTPException) and exc.status_code in handlers:
        return handlers[exc.status_code]
    for cls in type(exc).__mro__:
        if cls in handlers and cls is not Exception:  # the last resort stays the app's own
            return handlers[cls]
    return None


def _is_async(fn: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


def add_playback_routes(router: APIRouter, path: str, *, head_id: str | None = None,
                        **get_options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register an endpoint serving player files at ``path`` for GET (with ``get_options``) and
    HEAD (out of the schema), and the CORS preflight, all as :class:`PlaybackRoute`."""

    def register(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(path, endpoint, methods=["GET"], route_class_override=PlaybackRoute, **get_options)
        router.add_api_route(path, endpoint, methods=["HEAD"], route_class_override=PlaybackRoute,
                             include_in_schema=False, operation_id=head_id)
        router.add_api_route(path, preflight, methods=["OPTIONS"], route_class_override=PlaybackRoute,
                             include_in_schema=False, name=f"preflight:{path}")
        return endpoint

    return register
