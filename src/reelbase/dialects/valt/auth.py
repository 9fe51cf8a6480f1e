"""VALT authentication: ``access_token=<token>`` in the query string of every request.

The token is either an API key secret (``reelbase keys create``) or the ``access_token`` that
``POST /api/v3/login`` hands a password user (a core login token, ``core.auth.jwt_tokens``). No token is
401 "No API token provided"; a token that is neither is 401 "Bad credentials.". The checks are
core operations; this module only reads the parameter and names the failure.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyQuery

from reelbase.core import auth as core_auth
from reelbase.core.auth import log_in
from reelbase.core.context import Principal
from reelbase.core.errors import Unauthenticated
from reelbase.core.runtime import Runtime
from reelbase.dialects.valt.errors import BAD_CREDENTIALS, NO_TOKEN, ValtError
from reelbase.edge.deps import client_address, get_runtime


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and not token.startswith(core_auth.SECRET_PREFIX)


def principal_for_token(runtime: Runtime, token: str, *, client: str | None) -> Principal:
    """The principal an access token stands for, from the ``client`` address (blocking: runs in
    a worker thread)."""
    token = token.strip()
    if not token:
        raise ValtError(401, NO_TOKEN)
    try:
        if _looks_like_jwt(token):
            return core_auth.authenticate_token(runtime, token)
        return core_auth.authenticate_api_key(runtime, token, client=client)
    except Unauthenticated:
        raise ValtError(401, BAD_CREDENTIALS) from None


_QUERY_TOKEN = APIKeyQuery(name="access_token", auto_error=False,
                           description="An API key secret, or the access_token of POST /api/v3/login")


def access_token(request: Request, token: Annotated[str | None, Depends(_QUERY_TOKEN)]) -> Principal:
    if token is None or not token.strip():
        raise ValtError(401, NO_TOKEN)
    return principal_for_token(get_runtime(request), token, client=client_address(request))


def login_token(runtime: Runtime, *, username: str, password: str, client: str | None) -> core_auth.IssuedToken:
    """A login token for a password user acting in their first team (``Bad credentials.`` for
    a wrong email or password; too many from the account or the ``client`` address are 429)."""
    with runtime.session() as db:
        try:
            return log_in(db, email=username, password=password, server_secret=runtime.secret_key,
                          throttle=runtime.throttle, client=client)
        except Unauthenticated:
            raise ValtError(401, BAD_CREDENTIALS) from None


TokenPrincipal = Annotated[Principal, Depends(access_token)]
