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

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from reelbase.core.errors import DomainError, TooManyAttempts
from reelbase.edge.dialect_app import DialectErrors, first_problem

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
    "too_many_attempts": 429,
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
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    return failure(status, exc.message, exc.field, headers)


def _validation(exc: RequestValidationError) -> JSONResponse:
    problem = first_problem(exc)
    message = f"{problem.field}: {problem.message}" if problem.field else "invalid request"
    return failure(400, message, problem.field or None)


ERRORS = DialectErrors(
    name="integros", log=log, own=IntegrosError,
    own_answer=lambda exc: failure(exc.status, exc.message, exc.field),
    domain=lambda _request, exc: domain_failure(exc),
    validation=_validation,
    http=lambda exc: failure(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None)),
    unexpected=lambda _request, request_id: failure(500, f"internal server error (request {request_id})"),
)
