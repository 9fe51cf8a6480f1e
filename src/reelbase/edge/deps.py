"""Request dependencies every surface may use: runtime, session, authenticated principal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from reelbase.core.auth import COOKIE_NAME, authenticate_api_key, check_csrf, read_session
from reelbase.core.context import Principal
from reelbase.core.errors import Unauthenticated
from reelbase.core.runtime import Runtime

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_db(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.session() as db:
        yield db


DbDep = Annotated[Session, Depends(get_db)]


def client_address(request: Request) -> str | None:
    """The client's address, as the throttle counts it: the connection's peer as the ASGI server
    reports it. The server alone decides whether to believe X-Forwarded-For (uvicorn, which
    ``reelbase serve`` runs, believes it only from the proxies its ``--forwarded-allow-ips`` /
    ``FORWARDED_ALLOW_IPS`` names, 127.0.0.1 by default, and then takes the nearest address no
    trusted proxy wrote); nothing here reads the header, so a client cannot pick its address."""
    return request.client.host if request.client else None


def api_secret_from(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    key = request.headers.get("x-api-key", "").strip()
    if key:
        return key
    raise Unauthenticated("missing API key: send 'Authorization: Bearer <key>' or 'X-Api-Key'")


def authenticate_request(runtime: Runtime, request: Request) -> Principal:
    """Authenticate through the core's principal cache (no query, no write while cached; the
    request's own session is not used). An API key wins; without one, a signed-in browser's
    session cookie is accepted (the dashboard uses the native API this way), and then a request
    that changes something must carry ``X-CSRF-Token``."""
    cookie = request.cookies.get(COOKIE_NAME)
    has_key = request.headers.get("authorization") or request.headers.get("x-api-key")
    if cookie and not has_key:
        principal, session = read_session(runtime, cookie)
        if request.method.upper() not in SAFE_METHODS:
            check_csrf(session, request.headers.get("x-csrf-token"))
        return principal
    return authenticate_api_key(runtime, api_secret_from(request), client=client_address(request))


def get_principal(request: Request, runtime: RuntimeDep) -> Principal:
    return authenticate_request(runtime, request)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
