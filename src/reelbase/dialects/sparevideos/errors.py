"""SpareVideos' failure body, ``{"status": "error", "error": <number>, "message": <text>}``.

The numbers are the document's table: 401 Not authorized, 403 Forbidden, 404 Not found, 500
Internal error, 501 Service not available, 1000 Generic error; for uploads 10000 Upload not
executed, 10001 Fileserver process error, 10002 Upload not valid, 100030 File not converted,
100031 File already converted, 10004 Internal system error, 10005 Service availability error,
10006 Service limits exceeded. Domain error codes are mapped to them here, at the edge; the HTTP
status is the number itself where it is one, otherwise the domain error's own.

The upload-specific numbers answer for the upload process: on the upload server, generic
failures are 10002 and its own failures 10001 (the fileserver's process); on the API's upload
methods (``upload/initiate``, ``upload/conversion/initiate``) an internal failure is 10004
Internal system error, the upload table's own word for what 500 is elsewhere.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelbase.core.errors import DomainError, TooManyAttempts
from reelbase.edge.dialect_app import DialectErrors, first_problem

log = logging.getLogger(__name__)

NOT_AUTHORIZED, FORBIDDEN, NOT_FOUND, INTERNAL, NOT_AVAILABLE, GENERIC = 401, 403, 404, 500, 501, 1000
UPLOAD_NOT_EXECUTED, FILESERVER_ERROR, UPLOAD_NOT_VALID = 10000, 10001, 10002
NOT_CONVERTED, ALREADY_CONVERTED = 100030, 100031
SYSTEM_ERROR, AVAILABILITY_ERROR, LIMITS_EXCEEDED = 10004, 10005, 10006

# domain error code -> (SpareVideos number, HTTP status)
CODES: dict[str, tuple[int, int]] = {
    "unauthenticated": (NOT_AUTHORIZED, 401),
    "token_missing": (NOT_AUTHORIZED, 401),
    "token_invalid": (NOT_AUTHORIZED, 401),
    "token_expired": (NOT_AUTHORIZED, 401),
    "token_wrong_action": (FORBIDDEN, 403),
    "forbidden": (FORBIDDEN, 403),
    "user_banned": (FORBIDDEN, 403),
    "playback_denied": (FORBIDDEN, 403),
    "origin_not_allowed": (FORBIDDEN, 403),
    "not_found": (NOT_FOUND, 404),
    "invalid_input": (GENERIC, 400),
    "malformed_body": (GENERIC, 400),
    "conflict": (GENERIC, 409),
    "no_media": (NOT_FOUND, 404),
    "quota_exceeded": (LIMITS_EXCEEDED, 413),
    "too_large": (LIMITS_EXCEEDED, 413),
    "unavailable": (NOT_AVAILABLE, 503),
    # not authorized for now: too many bad signatures from the address (HTTP 429, Retry-After)
    "too_many_attempts": (NOT_AUTHORIZED, 429),
    # the upload server's own failures
    "upload_gone": (UPLOAD_NOT_VALID, 410),
    "signature_invalid": (UPLOAD_NOT_VALID, 403),
    "upload_url_expired": (UPLOAD_NOT_VALID, 403),
    "upload_url_used": (UPLOAD_NOT_VALID, 403),
    "upload_locked": (AVAILABILITY_ERROR, 503),
    "offset_mismatch": (UPLOAD_NOT_VALID, 409),
}
# on the upload server, generic failures have upload-specific numbers
UPLOAD_CODES: dict[int, int] = {GENERIC: UPLOAD_NOT_VALID, NOT_AVAILABLE: AVAILABILITY_ERROR}


class SpareError(Exception):
    """An error already in SpareVideos' terms."""

    def __init__(self, error: int, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.status = status or (error if error < 600 else 400)


def failure(error: int, message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"status": "error", "error": error, "message": message}, status_code=status,
                        headers={"Cache-Control": "no-store", **(headers or {})})


def domain_failure(exc: DomainError, *, upload: bool = False) -> JSONResponse:
    error, status = CODES.get(exc.code, (GENERIC, exc.status))
    if upload:
        error = UPLOAD_CODES.get(error, error)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    return failure(error, exc.message, status, headers)


def _on_upload_server(request: Request) -> bool:
    return request.url.path.rstrip("/").split("/")[-1] in ("upload", "progress")


def _on_upload_method(request: Request) -> bool:
    return "/api/v1/upload/" in request.url.path


def _validation(exc: RequestValidationError) -> JSONResponse:
    problem = first_problem(exc, locations=("body", "query", "path"))
    return failure(GENERIC, f"{problem.field}: {problem.message}" if problem.field else "invalid request", 400)


def _http(exc: StarletteHTTPException) -> JSONResponse:
    error = exc.status_code if exc.status_code in (401, 403, 404, 500, 501) else GENERIC
    return failure(error, str(exc.detail), exc.status_code)


def _unexpected(request: Request, request_id: str) -> JSONResponse:
    if _on_upload_server(request):
        return failure(FILESERVER_ERROR, f"fileserver process error (request {request_id})", 500)
    if _on_upload_method(request):
        return failure(SYSTEM_ERROR, f"internal system error; retry the request (request {request_id})", 500)
    return failure(INTERNAL, f"internal error (request {request_id})", 500)


ERRORS = DialectErrors(
    name="sparevideos", log=log, own=SpareError,
    own_answer=lambda exc: failure(exc.error, exc.message, exc.status),
    domain=lambda request, exc: domain_failure(exc, upload=_on_upload_server(request)),
    validation=_validation,
    http=_http,
    unexpected=_unexpected,
)
