"""Pixop authentication: HTTP Basic (email/password) to obtain a JWT, ``Authorization: Bearer
<JWT>`` everywhere else; a few account endpoints take either.

The checks themselves are core operations (``core.auth.accounts.verify_password`` with argon2 and
the throttle on guessing, ``core.auth.jwt_tokens.authenticate_token``); this module only reads the
header (and the client's address, which the throttle counts) and names the failure:
no Bearer token is NoJWTTokenFoundException, and an unexpected failure while authenticating is
Pixop's AuthException (500).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, NamedTuple

from fastapi import Depends, Request

from reelbase.core import auth as core_auth
from reelbase.core.auth import select_team
from reelbase.core.context import Principal
from reelbase.core.errors import DomainError, Unauthenticated
from reelbase.core.runtime import Runtime
from reelbase.dialects.pixop.errors import PixopError
from reelbase.edge.deps import client_address, get_runtime


def _scheme(request: Request) -> tuple[str, str]:
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    return scheme.lower(), value.strip()


class BasicCredentials(NamedTuple):
    """An HTTP Basic email and password, with the address that sent them: the throttle counts a
    wrong password against both, so the address travels with the credentials to every check."""

    email: str
    password: str
    client: str | None


def basic_credentials(request: Request) -> BasicCredentials | None:
    """The credentials of an HTTP Basic header, None when the header is not Basic."""
    scheme, value = _scheme(request)
    if scheme != "basic":
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("the Basic credentials are not base64 of 'email:password'") from None
    email, colon, password = decoded.partition(":")
    if not colon or not email or len(decoded) > 2048:
        raise Unauthenticated("the Basic credentials are not 'email:password'")
    return BasicCredentials(email, password, client_address(request))


def _guarded(work: Callable[[], Principal]) -> Principal:
    try:
        return work()
    except (DomainError, PixopError):
        raise
    except Exception as exc:  # a broken store, not a bad credential: Pixop's "general failure"
        raise PixopError(500, "AuthException", f"authentication failed: {type(exc).__name__}") from exc


def principal_from_bearer(runtime: Runtime, request: Request) -> Principal:
    scheme, value = _scheme(request)
    if scheme != "bearer" or not value:
        raise core_auth.TokenMissing("no JWT token in the Authorization header (send 'Authorization: Bearer <token>')")

    return _guarded(lambda: core_auth.authenticate_token(runtime, value))


def principal_from_password(runtime: Runtime, email: str, password: str, client: str | None,
                            team_ref: str | None = None) -> Principal:
    """The user behind Basic credentials (``*basic_credentials(request)``) from the ``client``
    address, acting in ``team_ref`` (or their first team)."""

    def work() -> Principal:
        with runtime.session() as db:
            user = core_auth.verify_password(db, email=email, password=password, throttle=runtime.throttle,
                                             client=client)
            team = select_team(db, user, team_ref)
            return core_auth.principal_for_user(db, user, team.id)

    return _guarded(work)


def bearer(request: Request) -> Principal:
    return principal_from_bearer(get_runtime(request), request)


def bearer_or_basic(request: Request) -> Principal:
    credentials = basic_credentials(request)
    if credentials is None:
        return bearer(request)
    return principal_from_password(get_runtime(request), *credentials)


BearerPrincipal = Annotated[Principal, Depends(bearer)]
AnyPrincipal = Annotated[Principal, Depends(bearer_or_basic)]
