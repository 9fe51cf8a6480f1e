"""ilos failure bodies. The document shows only successes: token answers carry ``"worked": true``
and video answers ``"level": "success"`` with a ``message``. A failure answers the same keys the
other way round, so a client of either style sees it::

    {"worked": false, "level": "error", "message": "<why>", "data": null}

Domain error codes are mapped to an HTTP status here, at the edge. The browser pages (uploader,
recorder, view, embed) answer failures as small HTML pages instead (``pages.error_page``).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelbase.core.errors import DomainError

log = logging.getLogger(__name__)

STATUS: dict[str, int] = {
    "unauthenticated": 401,
    "user_banned": 403,
    "forbidden": 403,
    "video_private": 403,
    "upload_url_expired": 403,
    "upload_url_used": 403,
    "not_found": 404,
    "invalid_input": 400,
    "conflict": 409,
    "no_media": 409,
    "quota_exceeded": 413,
    "too_large": 413,
    "upload_gone": 410,
    "unavailable": 503,
}


class IlosError(Exception):
    """A failure already in ilos terms."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def failure(status: int, message: str) -> JSONResponse:
    return JSONResponse({"worked": False, "level": "error", "message": message, "data": None}, status_code=status)


def status_of(exc: DomainError) -> int:
    return STATUS.get(exc.code, exc.status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(IlosError)
    async def _ilos(_: Request, exc: IlosError) -> Response:
        return failure(exc.status, exc.message)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> Response:
        return failure(status_of(exc), exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return failure(400, f"{field}: {first.get('msg')}" if field else "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        return failure(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unhandled error in the ilos dialect", exc_info=exc)
        return failure(500, "internal server error")
