"""The native API's one error shape: {"error": {"code": ..., "status": ..., "message": ...}}; the
upload protocols and the page scripts answer with it too."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from reelbase.core.errors import DomainError, RangeNotSatisfiable, TooManyAttempts, Unauthenticated
from reelbase.edge.request_ids import HEADER as REQUEST_ID_HEADER
from reelbase.edge.request_ids import request_id_of

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. not_found, invalid_input, quota_exceeded")
    status: int = Field(description="The HTTP status, repeated")
    message: str = Field(description="A sentence for people")
    field: str | None = Field(default=None, description="The input at fault (dotted path), when one is")
    limit: str | None = Field(default=None, description="quota_exceeded: the team limit reached")
    offset: int | None = Field(default=None, description="Upload offset mismatch: the offset stored now")
    request_id: str | None = Field(default=None, description="500 only: the request's id (X-Request-Id), "
                                   "which names it in the server's log")
    retry_after: int | None = Field(
        default=None, description="too_many_attempts: seconds to wait before trying again (also Retry-After)"
    )


class ErrorResponse(BaseModel):
    """Every non-2xx answer of the native API (validation errors included, which FastAPI would
    otherwise document as its own {"detail": ...} shape)."""

    error: ErrorDetail


_ERROR_MEANINGS = {
    400: "Malformed request (e.g. the body is not valid JSON)",
    401: "No valid API key (or session cookie)",
    403: "Not allowed (banned user, missing CSRF token, refused signature)",
    404: "No such resource, or it belongs to another team",
    409: "Conflict with the resource's current state",
    413: "Too large, or a team limit reached (error.limit names it)",
    410: "Gone: the upload expired or was terminated",
    412: "Precondition failed (tus: another Tus-Resumable version)",
    415: "Unsupported media type",
    416: "Range not satisfiable",
    422: "Invalid input (error.field names it)",
    429: "Too many failed sign-ins, bad API keys or bad signatures: wait Retry-After seconds (error.retry_after)",
    460: "Checksum mismatch: the chunk was discarded",
    503: "Temporarily unavailable; retry",
    "4XX": "Any other client error",
}


def error_responses(*statuses: int | str, body: bool = True) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for ``statuses``: the error body, or (``body=False``, for a
    HEAD answer) the description only."""
    if not body:
        return {status: {"description": _ERROR_MEANINGS[status]} for status in statuses}
    return {status: {"model": ErrorResponse, "description": _ERROR_MEANINGS[status]} for status in statuses}


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict:
    body: dict = {"code": code, "status": status, "message": message}
    if field:
        body["field"] = field
    return {"error": body}


def domain_error_response(
    exc: DomainError, *, status: int | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """The native error body for ``exc``, optionally under another status (for protocols whose
    clients read status codes their own way); ``extra`` adds keys to ``error`` and ``headers``
    adds to (or overrides) the headers the error itself calls for."""
    code = status or exc.status
    body = error_body(code, exc.code, exc.message, exc.field)
    if "limit" in exc.details:
        body["error"]["limit"] = exc.details["limit"]
    body["error"].update(extra)
    answer_headers: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        answer_headers["WWW-Authenticate"] = 'Bearer realm="reelbase"'
    if isinstance(exc, RangeNotSatisfiable):
        answer_headers["Content-Range"] = f"bytes */{exc.size}"
    if isinstance(exc, TooManyAttempts):
        body["error"]["retry_after"] = exc.retry_after
        answer_headers["Retry-After"] = str(exc.retry_after)
    answer_headers.update(headers or {})
    return JSONResponse(body, status_code=code, headers=answer_headers)


def _field_of(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return domain_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request", "type": ""}
        if first.get("type") == "json_invalid":
            return JSONResponse(error_body(400, "malformed_json", "request body is not valid JSON"), 400)
        field = _field_of(tuple(first.get("loc", ())))
        message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
        if first.get("type") == "extra_forbidden":
            message = f"unknown field {field!r}"
        return JSONResponse(error_body(422, "invalid_input", message, field or None), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(exc.status_code, code, str(exc.detail)),
            exc.status_code,
            headers=http_error_headers(request, exc),
        )



def unexpected_error_response(request: Request, exc: Exception) -> JSONResponse:
    """The native answer to an exception nothing handled (the app's last line of defence, run by
    the request-id middleware): logged with its traceback, answered with the request's id only."""
    request_id = log_unexpected(request, exc, log)
    body = error_body(500, "internal", f"internal server error (request {request_id})")
    body["error"]["request_id"] = request_id
    return JSONResponse(body, 500, headers={REQUEST_ID_HEADER: request_id})


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the request's app takes at its path. The router's own 405 names
    only the first route that matched the path, while each method is a route of its own; mounted
    sub-apps are left out (they take any method under their prefix and answer for themselves)."""
    routes = [r for r in getattr(request.app, "routes", ()) if not isinstance(r, Mount)]
    return [method for method in _METHODS
            if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)]


def http_error_headers(request: Request, exc: StarletteHTTPException) -> dict[str, str] | None:
    """The headers of a Starlette HTTP error's answer: a 405's Allow lists the whole resource."""
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        methods = allowed_methods(request)
        if methods:
            headers["Allow"] = ", ".join(methods)
    return headers or None


def log_unexpected(request: Request, exc: Exception, logger: logging.Logger, surface: str = "native") -> str:
    """Log an exception no handler expected, with its traceback and the request's id; the id is
    returned for the answer. These answers mean a bug: the fuzzing tests assert there are none."""
    request_id = request_id_of(request)
    logger.error("unhandled error in the %s surface, request %s: %s %s", surface, request_id, request.method,
                 request.url.path, exc_info=exc)
    return request_id
