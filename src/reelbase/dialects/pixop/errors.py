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

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelbase.core.errors import DomainError, NotFound, RangeNotSatisfiable, TooManyAttempts
from reelbase.edge.dialect_app import DialectErrors, first_problem

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
    "malformed_body": (400, "BadRequestException"),
    "conflict": (409, "ConflictException"),
    "project_not_empty": (409, "ProjectNotEmptyException"),
    "no_media": (404, "MediaNotFoundException"),
    "quota_exceeded": (413, "QuotaExceededException"),
    "too_large": (413, "PayloadTooLargeException"),
    "range_not_satisfiable": (416, "RangeNotSatisfiableException"),
    "upload_gone": (410, "UploadGoneException"),
    "unavailable": (503, "ServiceUnavailableException"),
    "too_many_attempts": (429, "TooManyRequestsException"),
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
    if isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    return failure(status, name, exc.message, headers)


@contextmanager
def not_found_as(exception: str) -> Iterator[None]:
    """Name a lookup's NotFound after what was looked up (VideoNotFoundException, ...)."""
    try:
        yield
    except NotFound as exc:
        raise PixopError(404, exception, exc.message) from None


def _validation(exc: RequestValidationError) -> JSONResponse:
    problem = first_problem(exc)
    if problem.message is None:
        message = "invalid request"
    elif problem.kind == "json_invalid":
        message = "the request body is not valid JSON"
    else:
        message = f"{problem.field}: {problem.message}" if problem.field else str(problem.message)
    return failure(400, "BadRequestException", message)


def _http(exc: StarletteHTTPException) -> JSONResponse:
    name = {404: "NotFoundException", 405: "MethodNotAllowedException"}.get(exc.status_code, "HttpException")
    return failure(exc.status_code, name, str(exc.detail), getattr(exc, "headers", None))


ERRORS = DialectErrors(
    name="pixop", log=log, own=PixopError,
    own_answer=lambda exc: failure(exc.status, exc.exception, exc.message),
    domain=lambda _request, exc: domain_failure(exc),
    validation=_validation,
    http=_http,
    unexpected=lambda _request, request_id: failure(500, "InternalServerException",
                                                  f"internal server error (request {request_id})"),
)
