"""VALT's failure body, ``{"error": {"code": <HTTP status>, "message": <text>}}``, for every error.

The document names three failures: 401 "No API token provided" (no ``access_token``), 401
"Bad credentials." (a token that is not a valid key secret or login token) and 500 "Internal
Server Error". Other domain errors keep the same body with the status chosen here; an upload
chunk that does not start at the stored offset also carries ``offset`` (and ``Upload-Offset`` /
``Range`` headers) so a client can resume.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelbase.core.errors import DomainError, RangeNotSatisfiable
from reelbase.core.uploads import OffsetMismatch

log = logging.getLogger(__name__)

NO_TOKEN = "No API token provided"
BAD_CREDENTIALS = "Bad credentials."
INTERNAL = "Internal Server Error"

# domain error code -> HTTP status (the message is the domain error's own)
STATUS: dict[str, int] = {
    "unauthenticated": 401,
    "forbidden": 403,
    "user_banned": 403,
    "not_found": 404,
    "invalid_input": 400,
    "conflict": 409,
    "offset_mismatch": 409,
    "no_media": 404,
    "quota_exceeded": 413,
    "too_large": 413,
    "range_not_satisfiable": 416,
    "upload_gone": 410,
    "unavailable": 503,
}


class ValtError(Exception):
    """An error already in VALT's terms."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def failure(status: int, message: str, *, headers: dict[str, str] | None = None,
            **extra: object) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message, **extra}}, status_code=status,
                        headers=headers)


def domain_failure(exc: DomainError) -> JSONResponse:
    if exc.code.startswith("token_") or exc.code == "unauthenticated":
        return failure(401, BAD_CREDENTIALS)
    status = STATUS.get(exc.code, exc.status if 400 <= exc.status < 600 else 400)
    headers: dict[str, str] = {}
    extra: dict[str, object] = {}
    if isinstance(exc, OffsetMismatch):
        extra["offset"] = exc.offset
        headers["Upload-Offset"] = str(exc.offset)
        if exc.offset:
            headers["Range"] = f"bytes=0-{exc.offset - 1}"
    if isinstance(exc, RangeNotSatisfiable):
        headers["Content-Range"] = f"bytes */{exc.size}"
    if exc.field:
        extra["field"] = exc.field
    return failure(status, exc.message, headers=headers or None, **extra)


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header"))
    return f"{field}: {first.get('msg')}" if field else str(first.get("msg"))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValtError)
    async def _valt(_: Request, exc: ValtError) -> JSONResponse:
        return failure(exc.status, exc.message)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return domain_failure(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return failure(400, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, str(exc.detail))
        return failure(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in the valt dialect", exc_info=exc)
        return failure(500, INTERNAL)
