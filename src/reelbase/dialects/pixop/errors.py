"""Pixop's failure body, ``{"exception": <name>, "errorMessage": <text>}``, for every error.

The exception names of the accounts service are the document's own (NoJWTTokenFoundException,
InvalidJWTTokenFoundException, ExpiredJWTTokenException, PrematureJWTTokenException,
EternalJWTTokenException, InconsistentJWTClaimsException, UserBannedException, AuthException);
the document names none for other failures, so the others follow the same pattern
(``<What>Exception``). Domain error codes are mapped here, at the edge, to a status and a name.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelbase.core.errors import DomainError, NotFound, RangeNotSatisfiable

log = logging.getLogger(__name__)

# domain error code -> (HTTP status, Pixop exception name)
CODES: dict[str, tuple[int, str]] = {
    "token_missing": (401, "NoJWTTokenFoundException"),
    "token_invalid": (401, "InvalidJWTTokenFoundException"),
    "token_expired": (401, "ExpiredJWTTokenException"),
    "token_premature": (401, "PrematureJWTTokenException"),
    "token_eternal": (401, "EternalJWTTokenException"),
    "token_claims_inconsistent": (401, "InconsistentJWTClaimsException"),
    "user_banned": (403, "UserBannedException"),
    "unauthenticated": (401, "InvalidCredentialsException"),
    "forbidden": (403, "ForbiddenException"),
    "not_found": (404, "NotFoundException"),
    "invalid_input": (400, "BadRequestException"),
    "conflict": (409, "ConflictException"),
    "project_not_empty": (409, "ProjectNotEmptyException"),
    "no_media": (404, "MediaNotFoundException"),
    "quota_exceeded": (413, "QuotaExceededException"),
    "too_large": (413, "PayloadTooLargeException"),
    "range_not_satisfiable": (416, "RangeNotSatisfiableException"),
    "upload_gone": (410, "UploadGoneException"),
    "unavailable": (503, "ServiceUnavailableException"),
}


class PixopError(Exception):
    """An error already in Pixop's terms."""

    def __init__(self, status: int, exception: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.exception = exception
        self.message = message


def failure(status: int, exception: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="pixop"', **(headers or {})}
    return JSONResponse({"exception": exception, "errorMessage": message}, status_code=status, headers=headers)


def domain_failure(exc: DomainError) -> JSONResponse:
    status, name = CODES.get(exc.code, (exc.status, "ServiceException"))
    headers = {"Content-Range": f"bytes */{exc.size}"} if isinstance(exc, RangeNotSatisfiable) else None
    return failure(status, name, exc.message, headers)


@contextmanager
def not_found_as(exception: str) -> Iterator[None]:
    """Name a lookup's NotFound after what was looked up (VideoNotFoundException, ...)."""
    try:
        yield
    except NotFound as exc:
        raise PixopError(404, exception, exc.message) from None


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    if first.get("type") == "json_invalid":
        return "the request body is not valid JSON"
    field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header"))
    return f"{field}: {first.get('msg')}" if field else str(first.get("msg"))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PixopError)
    async def _pixop(_: Request, exc: PixopError) -> JSONResponse:
        return failure(exc.status, exc.exception, exc.message)

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return domain_failure(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return failure(400, "BadRequestException", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = {404: "NotFoundException", 405: "MethodNotAllowedException"}.get(exc.status_code, "HttpException")
        return failure(exc.status_code, name, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in the pixop dialect", exc_info=exc)
        return failure(500, "InternalServerException", "internal server error")
