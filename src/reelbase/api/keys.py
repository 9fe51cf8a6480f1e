"""Native API: the caller's API keys (list, create with the secret shown once, revoke).

Scoped by :mod:`reelbase.core.key_admin`: the caller's own user keys and the team's organization
keys; another team's keys, or a teammate's personal ones, are absent (404).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import Field

from reelbase.api.deps import DbDep, PrincipalDep, RuntimeDep
from reelbase.api.schemas import Strict, iso
from reelbase.core import key_admin
from reelbase.db.models import ApiKey

router = APIRouter(prefix="/keys", tags=["keys"])


class KeyCreate(Strict):
    name: str = Field(default="", max_length=key_admin.MAX_NAME)
    type: Literal["user", "organization"] = "user"


def key_public(key: ApiKey) -> dict[str, Any]:
    return {
        "public_id": key.public_id,
        "name": key.name,
        "type": key.key_type,
        "owner": key.user.email if key.user else None,
        "created_at": iso(key.created_at),
        "last_used_at": iso(key.last_used_at),
        "revoked_at": iso(key.revoked_at),
        "revoked": key.revoked_at is not None,
    }


@router.get("", summary="The caller's user keys and the team's organization keys")
def list_keys(db: DbDep, principal: PrincipalDep) -> dict:
    return {"items": [key_public(k) for k in key_admin.list_keys(db, principal)]}


@router.post("", status_code=201, summary="Create a key; its secret is in this answer only")
def create_key(body: KeyCreate, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    issued = key_admin.issue_key(db, principal, name=body.name, key_type=body.type, server_secret=runtime.secret_key)
    return {**key_public(issued.api_key), "secret": issued.secret}


@router.get("/{public_id}", summary="One key (never its secret)")
def get_key(public_id: str, db: DbDep, principal: PrincipalDep) -> dict:
    return key_public(key_admin.find_key(db, principal, public_id))


@router.delete("/{public_id}", status_code=204, summary="Revoke a key: it stops working at once")
def revoke_key(public_id: str, db: DbDep, principal: PrincipalDep) -> Response:
    key_admin.revoke_key(db, principal, public_id)
    return Response(status_code=204)
