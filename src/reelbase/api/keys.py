"""Native API: the caller's API keys (list, create with the secret shown once, revoke).

Scoped by :mod:`reelbase.core.auth.key_admin`: the caller's own user keys and the team's organization
keys; another team's keys, or a teammate's personal ones, are absent (404).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import Field

from reelbase.api.schemas import KeyCreated, KeyPublic, KeysPublic, Strict
from reelbase.edge.errors import error_responses
from reelbase.core import auth as core_auth
from reelbase.edge.deps import DbDep, PrincipalDep, RuntimeDep
from reelbase.edge.representations import key_public

router = APIRouter(prefix="/keys", tags=["keys"], responses=error_responses(401, 403, 429))


class KeyCreate(Strict):
    name: str = Field(default="", max_length=core_auth.MAX_NAME)
    type: Literal["user", "organization"] = "user"


@router.get("", summary="The caller's user keys and the team's organization keys", response_model=KeysPublic)
def list_keys(db: DbDep, principal: PrincipalDep) -> dict:
    return {"items": [key_public(k) for k in core_auth.list_keys(db, principal)]}


@router.post("", status_code=201, summary="Create a key; its secret is in this answer only", response_model=KeyCreated,
             responses=error_responses(400, 422))
def create_key(body: KeyCreate, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    issued = core_auth.issue_key(db, principal, name=body.name, key_type=body.type, server_secret=runtime.secret_key)
    return {**key_public(issued.api_key), "secret": issued.secret}


@router.get("/{public_id}", summary="One key (never its secret)", response_model=KeyPublic,
            responses=error_responses(404, 422))
def get_key(public_id: str, db: DbDep, principal: PrincipalDep) -> dict:
    return key_public(core_auth.find_key(db, principal, public_id))


@router.delete("/{public_id}", status_code=204, summary="Revoke a key: it stops working at once",
               responses=error_responses(404, 422))
def revoke_key(public_id: str, db: DbDep, principal: PrincipalDep) -> Response:
    core_auth.revoke_key(db, principal, public_id)
    return Response(status_code=204)
