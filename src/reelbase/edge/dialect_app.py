"""What every dialect's sub-application has in common: its FastAPI app (title, docs, the runtime on
``app.state``, routers) and the five failures it must answer in its vendor's body.

A dialect differs only in how each failure looks, so it describes that once as
:class:`DialectErrors` (one function per kind of failure, each returning the vendor's response)
and :func:`create_dialect_app` installs the handlers in the same order for every dialect: the
dialect's own error class, domain errors, request validation, Starlette's HTTP errors, and
anything unexpected (logged with its traceback and the request's id, answered with the id only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from reelbase.core.errors import DomainError
from reelbase.core.runtime import Runtime
from reelbase.edge.errors import http_error_headers, log_unexpected
from reelbase.edge.request_ids import HEADER as REQUEST_ID_HEADER

PARAMETER_LOCATIONS = ("body", "query", "path", "header")


@dataclass(frozen=True)
class FirstProblem:
    """The first complaint of a request validation error, as dialects report it."""

    field: str  # the dotted path without its location ("body", "query", ...); "" when none
    message: Any  # pydantic's message, None when there was no error at all
    kind: str  # pydantic's error type, e.g. "json_invalid"


def first_problem(exc: RequestValidationError, *, locations: Sequence[str] = PARAMETER_LOCATIONS) -> FirstProblem:
    """The first error of ``exc``; ``locations`` are the path parts left out of ``field`` (some
    dialects have always named a header in the field, and keep doing so)."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    field = ".".join(str(p) for p in first.get("loc", ()) if p not in locations)
    return FirstProblem(field=field, message=first.get("msg"), kind=str(first.get("type", "")))


@dataclass(frozen=True)
class DialectErrors:
    """How one dialect answers each kind of failure. ``own`` is the error class that is already in
    the vendor's terms; ``unexpected`` answers any other exception after it has been logged."""

    name: str
    log: logging.Logger
    own: type[Exception]
    own_answer: Callable[[Any], Response]
    domain: Callable[[Request, DomainError], Response]
    validation: Callable[[RequestValidationError], Response]
    http: Callable[[StarletteHTTPException], Response]
    unexpected: Callable[[Request, str], Response]  # with the request's id


def install_dialect_errors(app: FastAPI, errors: DialectErrors) -> None:
    async def _own(_: Request, exc: Exception) -> Response:
        return errors.own_answer(exc)

    async def _domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return errors.domain(request, exc)

    async def _validation(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return errors.validation(exc)

    async def _http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        answer = errors.http(exc)
        if exc.status_code == 405 and (allow := (http_error_headers(request, exc) or {}).get("Allow")):
            answer.headers["Allow"] = allow
        return answer

    async def _unexpected(request: Request, exc: Exception) -> Response:
        request_id = log_unexpected(request, exc, errors.log, f"{errors.name} dialect")
        answer = errors.unexpected(request, request_id)
        answer.headers[REQUEST_ID_HEADER] = request_id
        return answer

    app.add_exception_handler(errors.own, _own)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


@dataclass(frozen=True)
class DialectInfo:
    """What a dialect's /docs page says about it: the vendor's name, the version of the vendor's
    API it speaks, and how to authenticate."""

    name: str
    version: str
    description: str

    @property
    def title(self) -> str:
        return f"Reelbase - {self.name} dialect"


def create_dialect_app(
    runtime: Runtime, info: DialectInfo, errors: DialectErrors, *, routers: Iterable[APIRouter],
    cors_methods: Sequence[str] | None = None,
) -> FastAPI:
    """The dialect's sub-application, to mount under its prefix. ``cors_methods``: let any origin
    call these methods without credentials (for a vendor whose scripts run on customers' pages)."""
    app = FastAPI(title=info.title, version=info.version, description=info.description,
                  docs_url="/docs", openapi_url="/openapi.json")
    app.state.runtime = runtime
    install_dialect_errors(app, errors)
    if cors_methods is not None:
        app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=False,
                           allow_methods=list(cors_methods), allow_headers=["*"])
    for router in routers:
        app.include_router(router)
    return app
