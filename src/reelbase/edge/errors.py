"""The native API's one error shape: {"error": {"code": ..., "status": ..., "message": ...}}; the
upload protocols and the page scripts answer with it too."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelbase.core.errors import DomainError, RangeNotSatisfiable, Unauthenticated

log = logging.getLogger(__name__)


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict:
    body: dict = {"code": code, "status": status, "message": message}
    if field:
        body["field"] = field
    return {"error": body}


def domain_error_response(exc: DomainError) -> JSONResponse:
    headers = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="reelbase"'
    if isinstance(exc, RangeNotSatisfiable):
        headers["Content-Range"] = f"bytes */{exc.size}"
    body = error_body(exc.status, exc.code, exc.message, exc.field)
    for key in ("limit",):
        if key in exc.details:
            body["error"][key] = exc.details[key]
    return JSONResponse(body, status_code=exc.status, headers=headers)


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
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(exc.status_code, code, str(exc.detail)),
            exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body(500, "internal", "internal server error"), 500)
