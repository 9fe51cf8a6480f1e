"""ilos failure bodies. The document shows only successes: token answers carry ``"worked": true``
and video answers ``"level": "success"`` with a ``message``. A failure answers the same keys the
other way round, so a client of either style sees it::

    {"worked": false, "level": "error", "message": "<why>", "data": null}

Domain error codes are mapped to an HTTP status here, at the edge. The browser pages (uploader,
recorder, view, embed) answer failures as small HTML pages instead (``pages.error_page``).
"""

from __future__ import annotations

import logging

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from reelbase.core.errors import DomainError, TooManyAttempts
from reelbase.edge.dialect_app import DialectErrors, first_problem

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
    "too_many_attempts": 429,
}


class IlosError(Exception):
    """A failure already in ilos terms."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def failure(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"worked": False, "level": "error", "message": message, "data": None}, status_code=status,
                        headers=headers)


def domain_failure(exc: DomainError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    return failure(status_of(exc), exc.message, headers)


def status_of(exc: DomainError) -> int:
    return STATUS.get(exc.code, exc.status)


def _validation(exc: RequestValidationError) -> JSONResponse:
    problem = first_problem(exc, locations=("body", "query", "path"))
    return failure(400, f"{problem.field}: {problem.message}" if problem.field else "invalid request")


ERRORS = DialectErrors(
    name="ilos", log=log, own=IlosError,
    own_answer=lambda exc: failure(exc.status, exc.message),
    domain=lambda _request, exc: domain_failure(exc),
    validation=_validation,
    http=lambda exc: failure(exc.status_code, str(exc.detail)),
    unexpected=lambda _request, request_id: failure(500, f"internal server error (request {request_id})"),
)
