"""Short-lived JSON Web Tokens for password users (Pixop-style auth), signed per user.

Contract:

* Every user who asks for a token gets a signing key: an Ed25519 key pair whose private half is
  *derived* (``HMAC(server secret, "jwt-signing:" + key id + salt)``), never stored. The row that
  names it lives in ``api_keys`` with ``key_type = "jwt_signing"`` (public id = the JWT ``kid``);
  such rows are not API keys and never authenticate as one (``accounts._principal_for_key``).
  Rotating the key (:func:`rotate_signing_key`) revokes the row, so every token signed with it
  stops working at once.
* :func:`issue_token` signs ``{iss, sub: user uuid, tid: team uuid, iat, nbf, exp, jti}`` valid
  for :data:`TOKEN_TTL`; the team is the one the user chose (team switching) and must be theirs.
* :func:`authenticate_token` checks, in this order, and raises a distinct error for each failure:
  the token's form and signature (:class:`TokenInvalid`), that it has an expiry
  (:class:`TokenEternal`), that it is not expired (:class:`TokenExpired`) nor used before its
  ``nbf`` (:class:`TokenPremature`), that its claims fit this API (:class:`TokenClaimsInconsistent`:
  wrong issuer, subject not the key's owner, a team the user is not in, a lifetime over the TTL),
  and that the user is not banned (:class:`~reelbase.core.errors.Banned`). A forged token is
  therefore always "invalid", never mistaken for "eternal" or "expired". The signing key (with its
  public half) and the token's team come through the runtime's principal cache, so a valid token
  costs no query while they are cached; rotating the key, a password change and a ban drop them
  at once (``core/auth/principal_cache.py``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.auth.accounts import refuse_banned
from reelbase.core.auth.principal_cache import KEY, TEAM, USER, Tag
from reelbase.core.context import Principal, TeamSnapshot, UserSnapshot
from reelbase.core.errors import Unauthenticated
from reelbase.db.models import ApiKey, Membership, Team, User, utcnow

if TYPE_CHECKING:
    from reelbase.core.runtime import Runtime

TOKEN_TTL = dt.timedelta(minutes=15)
LEEWAY = dt.timedelta(seconds=10)  # clock skew tolerated on exp / nbf
ALGORITHM = "EdDSA"
ISSUER = "reelbase"
SIGNING_KEY_TYPE = "jwt_signing"


class TokenError(Unauthenticated):
    """Base of the token failures; ``code`` tells which."""

    code = "token_invalid"


class TokenMissing(TokenError):
    code = "token_missing"


class TokenInvalid(TokenError):
    code = "token_invalid"


class TokenExpired(TokenError):
    code = "token_expired"


class TokenPremature(TokenError):
    code = "token_premature"


class TokenEternal(TokenError):
    code = "token_eternal"


class TokenClaimsInconsistent(TokenError):
    code = "token_claims_inconsistent"


@dataclass(frozen=True)
class SigningKey:
    key_id: str  # the JWT "kid"
    algorithm: str
    public_key: str  # base64 of the X.509 SubjectPublicKeyInfo (DER)
    created_at: dt.datetime


@dataclass(frozen=True)
class IssuedToken:
    token: str
    user: User | UserSnapshot
    team: Team | TeamSnapshot
    expires_at: dt.datetime


def _private_key(row: ApiKey, server_secret: str) -> Ed25519PrivateKey:
    seed = hmac.new(server_secret.encode(), f"jwt-signing:{row.public_id}:{row.derive_salt}".encode(),
                    hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def _public_key(row: ApiKey, server_secret: str) -> Ed25519PublicKey:
    return _private_key(row, server_secret).public_key()


def _describe(row: ApiKey, server_secret: str) -> SigningKey:
    der = _public_key(row, server_secret).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return SigningKey(key_id=row.public_id, algorithm=ALGORITHM, public_key=base64.b64encode(der).decode(),
                      created_at=row.created_at)


def _active_row(db: Session, user: User | UserSnapshot) -> ApiKey | None:
    return db.scalar(
        select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.key_type == SIGNING_KEY_TYPE,
                             ApiKey.revoked_at.is_(None)).order_by(ApiKey.id.desc())
    )


def signing_key(db: Session, user: User | UserSnapshot, *, server_secret: str) -> SigningKey | None:
    """The user's current token signing key, or None if they never had one."""
    row = _active_row(db, user)
    return _describe(row, server_secret) if row else None


def _new_row(db: Session, user: User | UserSnapshot, team: Team | TeamSnapshot) -> ApiKey:
    public_id = "kid_" + secrets.token_hex(10)
    salt = secrets.token_hex(16)
    row = ApiKey(
        public_id=public_id,
        # Not an API key: the digest of a value nobody is ever given, so no secret can match it.
        secret_sha256=hashlib.sha256(f"unusable:{public_id}:{secrets.token_hex(16)}".encode()).hexdigest(),
        derive_salt=salt, key_type=SIGNING_KEY_TYPE, name="token signing key", user_id=user.id, team_id=team.id,
    )
    db.add(row)
    db.flush()
    return row


def _any_team(db: Session, user: User | UserSnapshot) -> Team:
    team = db.scalar(select(Team).join(Membership).where(Membership.user_id == user.id).order_by(Membership.id))
    if team is None:
        raise TokenClaimsInconsistent("the user belongs to no team")
    return team


def rotate_signing_key(db: Session, user: User | UserSnapshot, *, server_secret: str) -> SigningKey:
    """Replace the user's signing key (committed); tokens signed with the old one stop working."""
    now = utcnow()
    for row in db.scalars(select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.key_type == SIGNING_KEY_TYPE,
                                               ApiKey.revoked_at.is_(None))):
        row.revoked_at = now
    key = _describe(_new_row(db, user, _any_team(db, user)), server_secret)
    db.commit()
    return key


def sign_claims(db: Session, user: User | UserSnapshot, claims: dict[str, Any], *, server_secret: str) -> str:
    """Sign ``claims`` exactly as given with the user's current key (created if none). The building
    block of :func:`issue_token`; tools and tests use it to make tokens of any shape."""
    row = _active_row(db, user) or _new_row(db, user, _any_team(db, user))
    return jwt.encode(claims, _private_key(row, server_secret), algorithm=ALGORITHM,
                      headers={"kid": row.public_id})


def issue_token(db: Session, *, user: User | UserSnapshot, team: Team | TeamSnapshot, server_secret: str,
                now: dt.datetime | None = None) -> IssuedToken:
    """A token for ``user`` acting in ``team`` (a team they belong to), valid for TOKEN_TTL.
    Committed, as it may create the user's signing key."""
    refuse_banned(user)
    _check_member(db, user, team)
    now = now or utcnow()
    expires = now + TOKEN_TTL
    stamp = int(now.timestamp())
    claims = {"iss": ISSUER, "sub": user.uuid, "tid": team.uuid, "iat": stamp, "nbf": stamp,
              "exp": int(expires.timestamp()), "jti": secrets.token_hex(12)}
    issued = IssuedToken(token=sign_claims(db, user, claims, server_secret=server_secret), user=user, team=team,
                         expires_at=expires)
    db.commit()
    return issued


def _check_member(db: Session, user: User | UserSnapshot, team: Team | TeamSnapshot) -> None:
    member = db.scalar(select(Membership.id).where(Membership.user_id == user.id, Membership.team_id == team.id))
    if member is None:
        raise TokenClaimsInconsistent("the user does not belong to this team")


@dataclass(frozen=True)
class _Signer:
    """What verifying a token needs of its signing key: the public half and its user (cached)."""

    public_key: Ed25519PublicKey
    user: UserSnapshot


def _signer(runtime: Runtime, kid: str) -> _Signer:
    """The signing key named ``kid`` through the principal cache; TokenInvalid when unknown or replaced."""

    def load() -> tuple[_Signer, set[Tag]]:
        with runtime.session() as db:
            found = db.execute(select(ApiKey, User).join(User, User.id == ApiKey.user_id)
                               .where(ApiKey.public_id == kid, ApiKey.key_type == SIGNING_KEY_TYPE)).one_or_none()
        if found is None or found.ApiKey.revoked_at is not None:
            raise TokenInvalid("the token was signed with an unknown or replaced key")
        signer = _Signer(public_key=_public_key(found.ApiKey, runtime.secret_key), user=UserSnapshot.of(found.User))
        return signer, {(KEY, found.ApiKey.id), (USER, found.User.id)}

    return runtime.auth_cache.fetch(("jwt_signer", kid), load)


def _member_team(runtime: Runtime, user: UserSnapshot, team_uuid: str) -> TeamSnapshot:
    """The team a token names, which its user must be in, through the principal cache."""

    def load() -> tuple[TeamSnapshot, set[Tag]]:
        with runtime.session() as db:
            found = db.execute(select(Team, Membership.id).outerjoin(
                Membership, (Membership.team_id == Team.id) & (Membership.user_id == user.id))
                .where(Team.uuid == team_uuid)).first()
        if found is None:
            raise TokenClaimsInconsistent("the token names no team of this service (tid)")
        if found[1] is None:
            raise TokenClaimsInconsistent("the user does not belong to this team")
        return TeamSnapshot.of(found.Team), {(TEAM, found.Team.id), (USER, user.id)}

    return runtime.auth_cache.fetch(("jwt_team", user.id, team_uuid), load)


def _verified_claims(runtime: Runtime, token: str) -> tuple[_Signer, dict[str, Any]]:
    if not token or len(token) > 4096:
        raise TokenInvalid("the token is empty or too long")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenInvalid("the token is not a well-formed JWT") from None
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str) or len(kid) > 40:
        raise TokenInvalid(f"the token must be signed with {ALGORITHM} and name its key (kid)")
    signer = _signer(runtime, kid)
    try:
        claims = jwt.decode(
            token, signer.public_key, algorithms=[ALGORITHM],
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False,
                     "verify_iss": False, "verify_sub": False, "verify_jti": False, "require": []},
        )
    except jwt.PyJWTError:
        raise TokenInvalid("the token's signature does not verify") from None
    return signer, claims


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenClaimsInconsistent(f"claim {name!r} must be a number of seconds")
    return float(value)


def authenticate_token(runtime: Runtime, token: str, *, now: dt.datetime | None = None) -> Principal:
    """The user and team a token stands for; raises the TokenError subclass (or Banned) that
    names what is wrong with it (see the module docstring for the order of checks).

    The signing key and the team are looked up through the runtime's principal cache
    (``core/auth/principal_cache.py``): a valid token costs no query while they are cached, and a
    rotated key, a ban, a password change or a left team is seen at once. The signature and the
    claims are checked on every call. Blocking on a miss: call from a worker thread."""
    signer, claims = _verified_claims(runtime, token)
    now_s = (now or utcnow()).timestamp()
    leeway = LEEWAY.total_seconds()
    exp, nbf, iat = _number(claims, "exp"), _number(claims, "nbf"), _number(claims, "iat")
    if exp is None:
        raise TokenEternal("the token has no expiry (exp); tokens without a lifetime are refused")
    if now_s > exp + leeway:
        raise TokenExpired("the token has expired")
    if nbf is not None and now_s + leeway < nbf:
        raise TokenPremature("the token is not valid yet (nbf is in the future)")
    start = iat if iat is not None else nbf if nbf is not None else now_s
    if exp - start > TOKEN_TTL.total_seconds() + leeway or (iat is not None and iat > exp):
        raise TokenClaimsInconsistent("the token's lifetime is longer than this API allows")
    user = signer.user
    if claims.get("iss") != ISSUER or claims.get("sub") != user.uuid:
        raise TokenClaimsInconsistent("the token's issuer or subject does not match its signing key")
    team_ref = claims.get("tid")
    if not isinstance(team_ref, str) or not team_ref or len(team_ref) > 64:
        raise TokenClaimsInconsistent("the token names no team of this service (tid)")
    team = _member_team(runtime, user, team_ref)
    refuse_banned(user)
    return Principal(user=user, team=team)
