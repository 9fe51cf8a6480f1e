"""VALT's failure body, ``{"error": {"code": <HTTP status>, "message": <text>}}``, for every error.

The document names three failures: 401 "No API token provided" (no ``access_token``), 401
"Bad credentials." (a token that is not a valid key secret or login token) and 500 "Internal
Server Error". Other domain errors keep the same body with the status chosen here; an upload
chunk that does not start at the stored offset also carries ``offset`` (and ``Upload-Offset`` /
``Range`` headers) so a client can resume.
"""

from __future__ import annotations

import logging

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelbase.core.errors import DomainError, RangeNotSatisfiable, TooManyAttempts
from reelbase.core.uploads import OffsetMismatch
from reelbase.edge.dialect_app import DialectErrors, first_problem
from reelbase.edge.uploads import progress_headers

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
    "too_many_attempts": 429,
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
        headers.update(progress_headers(exc.offset))
    if isinstance(exc, RangeNotSatisfiable):
        headers["Content-Range"] = f"bytes */{exc.size}"
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    if exc.field:
        extra["field"] = exc.field
    return failure(status, exc.message, headers=headers or None, **extra)


def _validation(exc: RequestValidationError) -> JSONResponse:
    problem = first_problem(exc)
    if problem.message is None:
        return failure(400, "invalid request")
    return failure(400, f"{problem.field}: {problem.message}" if problem.field else str(problem.message))


def _http(exc: StarletteHTTPException) -> JSONResponse:
    message = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, str(exc.detail))
    return failure(exc.status_code, message, headers=getattr(exc, "headers", None))


ERRORS = DialectErrors(
    name="valt", log=log, own=ValtError,
    own_answer=lambda exc: failure(exc.status, exc.message),
    domain=lambda _request, exc: domain_failure(exc),
    validation=_validation,
    http=_http,
    unexpected=lambda _request, request_id: failure(500, f"{INTERNAL} (request {request_id})"),
)
