"""Pixop accounts service (``/accounts/v1/...``): tokens, account details, secrets, password.

* ``GET /token`` (HTTP Basic email/password, optional ``team-id``) issues a JWT valid 15 minutes
  for the chosen team (team switching: a new token per team).
* ``POST /token`` and ``GET /account`` (Bearer) describe the user and team the token stands for.
* ``GET /generate-auth-secret`` replaces the user's JWT signing key (every earlier token stops
  working); ``GET /generate-signature-secret`` makes a new request-signature secret;
  ``POST /update-password`` sets a new password. These three take Bearer or Basic.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request


from reelbase.core import auth as core_auth
from reelbase.core.context import Principal
from reelbase.core.errors import NotFound, Unauthenticated
from reelbase.core.runtime import Runtime
from reelbase.dialects.pixop.auth import (
    AnyPrincipal,
    BearerPrincipal,
    basic_credentials,
    principal_from_password,
)
from reelbase.dialects.pixop.errors import PixopError
from reelbase.dialects.pixop.schemas import PasswordBody, account_json
from reelbase.edge.deps import DbDep, RuntimeDep

router = APIRouter(prefix="/accounts/v1", tags=["accounts"])


def _account(db: Any, runtime: Runtime, principal: Principal, *, other_teams: bool = False) -> dict[str, Any]:
    view = core_auth.account_view(db, principal, server_secret=runtime.secret_key)
    return account_json(view, other_teams=other_teams)


@router.get("/token", summary="Authenticate email/password (HTTP Basic) and get a JWT valid 15 minutes")
def get_token(
    request: Request, db: DbDep, runtime: RuntimeDep,
    team_id: str | None = Query(None, alias="team-id", max_length=64,
                                description="A team of the user that the token acts in"),
) -> dict[str, Any]:
    credentials = basic_credentials(request)
    if credentials is None:
        raise Unauthenticated("send the account's email and password with HTTP Basic authentication")
    try:
        principal = principal_from_password(runtime, *credentials, team_ref=team_id)
    except NotFound as exc:
        raise PixopError(403, "TeamAccessException", exc.message) from None
    issued = core_auth.issue_token(db, user=principal.user, team=principal.team, server_secret=runtime.secret_key)
    return {"userId": principal.user.uuid, "teamId": principal.team.uuid, "jwtToken": issued.token}


@router.post("/token", summary="Validate a JWT; the account, its team and the user's other teams")
def validate_token(principal: BearerPrincipal, db: DbDep, runtime: RuntimeDep) -> dict[str, Any]:
    return _account(db, runtime, principal, other_teams=True)


@router.get("/account", summary="Account details")
def get_account(principal: BearerPrincipal, db: DbDep, runtime: RuntimeDep) -> dict[str, Any]:
    return _account(db, runtime, principal)


@router.get("/generate-auth-secret", summary="New JWT signing key (earlier tokens stop working)")
def generate_auth_secret(principal: AnyPrincipal, db: DbDep, runtime: RuntimeDep) -> dict[str, Any]:
    core_auth.rotate_signing_key(db, principal.user, server_secret=runtime.secret_key)
    return {"user": _account(db, runtime, principal)["user"]}


@router.get("/generate-signature-secret", summary="New shared secret for signing API requests")
def generate_signature_secret(principal: AnyPrincipal, db: DbDep, runtime: RuntimeDep) -> dict[str, Any]:
    core_auth.rotate_signature_secret(db, principal, server_secret=runtime.secret_key)
    return {"user": _account(db, runtime, principal)["user"]}


@router.post("/update-password", summary="Change the account's password")
def update_password(body: PasswordBody, principal: AnyPrincipal, db: DbDep, runtime: RuntimeDep) -> dict[str, Any]:
    core_auth.update_password(db, principal, new_password=body.newPassword)
    return {"user": _account(db, runtime, principal)["user"]}
