"""Integros error answers: the statuses of the document's error table (400 Bad Request, 401
Unauthorized: the API key is wrong, 403 Forbidden, 404 Not Found, 405, 406, 410 Gone, 429, 500,
503) with a small JSON body ``{"error": <message>}`` (and ``"field"`` when one parameter is at
fault). Domain error codes are mapped to those statuses here, at the edge; another team's video
is simply not found (404).

The upload endpoints speak to ResumableJS, which stops at 400/401/403/404/409/415/500/501 and
retries anything else, so there a gone upload is 404 and a transient failure 503
(:data:`RESUMABLE_STATUS`).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelbase.core.errors import DomainError

log = logging.getLogger(__name__)

# domain error code -> HTTP status (anything unlisted keeps the core's suggested status)
CODES: dict[str, int] = {
    "unauthenticated": 401,
    "user_banned": 403,
    "forbidden": 403,
    "signature_invalid": 403,
    "upload_url_expired": 403,
    "upload_url_used": 403,
    "not_found": 404,
    "invalid_input": 400,
    "conflict": 409,
    "upload_gone": 410,
    "too_large": 413,
    "quota_exceeded": 413,
    "unavailable": 503,
}
# what ResumableJS must see instead (it would retry 410/413/422/423 forever)
RESUMABLE_STATUS = {410: 404, 413: 400, 422: 400, 423: 503}


class IntegrosError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def failure(status: int, message: str, field: str | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, str] = {"error": message}
    if field:
        body["field"] = field
    if status == 401:
        headers = {"WWW-Authenticate": 'Token realm="Application"', **(headers or {})}
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(exc: DomainError) -> int:
    return CODES.get(exc.code, exc.status)


def domain_failure(exc: DomainError, *, resumable: bool = False) -> JSONResponse:
    status = status_of(exc)
    if resumable:
        status = RESUMABLE_STATUS.get(status, status)
    return failure(status, exc.message, exc.field)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(IntegrosError)
    async def _integros(_: Request, exc: IntegrosError) -> JSONResponse:
        return failure(exc.status, exc.message, exc.field)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return domain_failure(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = (exc.errors() or [{}])[0]
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header"))
        return failure(400, f"{field}: {first.get('msg')}" if field else "invalid request", field or None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return failure(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in the integros dialect", exc_info=exc)
        return failure(500, "internal server error")
