"""API keys managed by the people who use them (the dashboard and ``/api/v1/keys``), scoped to
the caller: :mod:`reelbase.core.auth.accounts` holds the unscoped operator operations (CLI).

Who sees what, kept simple and safe:

- a person sees their own *user* keys in their team and the team's *organization* keys; never
  another team's keys, nor a teammate's personal keys;
- anyone in the team may create an organization key (it acts for the team, owns no videos), and
  a user key for themselves;
- a key the caller may not see is reported as absent (NotFound), like another team's video;
- revoking is immediate (its commit drops the key from every principal cache,
  ``core/auth/principal_cache.py``) and idempotent.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from reelbase.core.auth.accounts import API_KEY_TYPES, IssuedKey, create_api_key
from reelbase.core.context import Principal
from reelbase.core.errors import Forbidden, InvalidInput, NotFound
from reelbase.db.models import ApiKey, KeyType, Membership, utcnow

MAX_NAME = 200


def _visible(principal: Principal):  # noqa: ANN202 - a SQLAlchemy condition
    return (
        ApiKey.team_id == principal.team_id,
        ApiKey.key_type.in_(API_KEY_TYPES),
        or_(ApiKey.key_type == KeyType.organization.value, ApiKey.user_id == principal.user.id),
    )


def list_keys(db: Session, principal: Principal) -> list[ApiKey]:
    """The caller's user keys in their team and the team's organization keys, oldest first."""
    return list(db.scalars(select(ApiKey).where(*_visible(principal)).order_by(ApiKey.id)))


def find_key(db: Session, principal: Principal, public_id: str) -> ApiKey:
    key = db.scalar(select(ApiKey).where(ApiKey.public_id == public_id.strip(), *_visible(principal)))
    if key is None:
        raise NotFound(f"no API key {public_id}")
    return key


def issue_key(db: Session, principal: Principal, *, name: str, key_type: str, server_secret: str) -> IssuedKey:
    """A new key of ``key_type`` (user or organization) in the caller's team; the secret is in the
    result only, never stored."""
    name = (name or "").strip()
    if len(name) > MAX_NAME or "\x00" in name:
        raise InvalidInput(f"name must be at most {MAX_NAME} characters", field="name")
    if key_type not in API_KEY_TYPES:
        raise InvalidInput("type must be 'user' or 'organization'", field="type")
    member = db.scalar(select(Membership.id).where(Membership.user_id == principal.user.id,
                                                   Membership.team_id == principal.team_id))
    if member is None:  # e.g. an organization key whose creator has since left the team
        raise Forbidden("only members of the team can create its API keys")
    issued = create_api_key(db, user=principal.user, server_secret=server_secret, key_type=key_type, name=name,
                            team=principal.team)
    db.commit()
    return issued


def revoke_key(db: Session, principal: Principal, public_id: str) -> ApiKey:
    """Revoke one of the caller's visible keys (already revoked: nothing changes)."""
    key = find_key(db, principal, public_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    db.commit()
    return key
