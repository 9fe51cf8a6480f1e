"""Teams, users, memberships, passwords and API keys.

API key secrets are long and random, so the database keeps only their SHA-256 (looked up
directly: no slow hash per request) and a per-key salt. The secret itself is *derived*:
``HMAC(server secret, public id + salt)``, so the server can re-create it to verify signatures
made with it (SpareVideos-style requests) without ever storing it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from reelbase.core.auth.principal_cache import Tag, principal_tags
from reelbase.core.context import KeySnapshot, Principal, TeamSnapshot, UserSnapshot
from reelbase.core.errors import Banned, Conflict, InvalidInput, NotFound, Unauthenticated
from reelbase.db.models import ApiKey, KeyType, Membership, Team, User, utcnow
from reelbase.core.numbers import row_id

if TYPE_CHECKING:
    from reelbase.core.auth.throttle import Throttle
    from reelbase.core.runtime import Runtime
    from reelbase.settings import Settings

_hasher = PasswordHasher()
SECRET_PREFIX = "rb_"


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    secret: str  # shown once, never stored


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def derive_key_secret(server_secret: str, public_id: str, salt: str) -> str:
    mac = hmac.new(server_secret.encode(), f"apikey:{public_id}:{salt}".encode(), hashlib.sha256)
    return SECRET_PREFIX + base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise InvalidInput(f"not an email address: {email!r}", field="email")
    return email


def create_user(
    db: Session,
    *,
    email: str,
    password: str | None,
    team_name: str | None = None,
    is_admin: bool = False,
    name: str = "",
    email_confirmed: bool = False,
) -> User:
    """Create a user and put them in a team (a new one named team_name or after the user).
    ``email_confirmed``: whoever creates the user vouches for the address (Reelbase sends no mail
    of its own to confirm it)."""
    email = normalize_email(email)
    if db.scalar(select(User).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} already exists", field="email")
    if password is not None and len(password) < 8:
        raise InvalidInput("password must be at least 8 characters", field="password")
    user = User(
        email=email,
        name=name,
        is_admin=is_admin,
        password_hash=hash_password(password) if password else None,
        email_confirmed_at=utcnow() if email_confirmed else None,
    )
    team = None
    if team_name:
        team = db.scalar(select(Team).where(Team.name == team_name))
    if team is None:
        team = Team(name=team_name or email)
        db.add(team)
    db.add(user)
    db.flush()
    db.add(Membership(user_id=user.id, team_id=team.id, role="owner"))
    db.flush()
    return user


def get_user_by_email(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise NotFound(f"no user with email {email}")
    return user


def primary_team(db: Session, user: User | UserSnapshot, team_id: int | None = None) -> Team:
    """The user's team (the given one if they belong to it, else their first)."""
    query = select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)
    memberships = list(db.scalars(query))
    for m in memberships:
        if team_id is None or m.team_id == team_id:
            return db.get_one(Team, m.team_id)
    raise NotFound("the user belongs to no such team")


def teams_of(db: Session, user: User | UserSnapshot) -> list[Team]:
    query = select(Team).join(Membership).where(Membership.user_id == user.id).order_by(Team.id)
    return list(db.scalars(query))


def verify_password(db: Session, *, email: str, password: str, throttle: Throttle, client: str | None) -> User:
    """The user whose email and password match, or Unauthenticated (same error for both).

    ``throttle`` counts a wrong password against the account and the ``client`` address (None when
    the caller has none) and answers TooManyAttempts while either is locked out, before argon2
    runs or the database is asked (``core/auth/throttle.py``)."""
    attempt = throttle.before_password(email=email, client=client)
    try:
        user = _check_password(db, email=email, password=password)
    except Unauthenticated:
        throttle.password_failed(attempt)
        raise
    throttle.password_succeeded(attempt)
    refuse_banned(user)
    return user


def _check_password(db: Session, *, email: str, password: str) -> User:
    try:
        user = db.scalar(select(User).where(User.email == normalize_email(email)))
    except InvalidInput:
        user = None
    if user is None or not user.password_hash:
        _hasher.hash(password)  # spend the same time as a real check
        raise Unauthenticated("bad credentials")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise Unauthenticated("bad credentials") from None
    return user


def create_api_key(
    db: Session,
    *,
    user: User | UserSnapshot,
    server_secret: str,
    key_type: str = KeyType.user.value,
    name: str = "",
    team: Team | TeamSnapshot | None = None,
) -> IssuedKey:
    if key_type not in (KeyType.user.value, KeyType.organization.value):
        raise InvalidInput("key type must be 'user' or 'organization'", field="type")
    team = team or primary_team(db, user)
    public_id = "pk_" + secrets.token_hex(10)
    salt = secrets.token_hex(16)
    secret = derive_key_secret(server_secret, public_id, salt)
    key = ApiKey(
        public_id=public_id,
        secret_sha256=_sha256(secret),
        derive_salt=salt,
        key_type=key_type,
        name=name,
        user_id=user.id,
        team_id=team.id,
    )
    db.add(key)
    db.flush()
    return IssuedKey(api_key=key, secret=secret)


def key_secret(api_key: ApiKey | KeySnapshot, server_secret: str) -> str:
    """Re-derive a key's secret (for verifying signatures made with it)."""
    return derive_key_secret(server_secret, api_key.public_id, api_key.derive_salt)


API_KEY_TYPES = (KeyType.user.value, KeyType.organization.value)


def _read_key_principal(db: Session, condition: ColumnElement[bool]) -> Principal:
    """The principal of the one API key matching ``condition``, with its user and team, in one
    query; Unauthenticated if there is none, or it is revoked. Bans are the caller's to refuse."""
    found = db.execute(
        select(ApiKey, User, Team).join(User, User.id == ApiKey.user_id).join(Team, Team.id == ApiKey.team_id)
        .where(condition)
    ).one_or_none()
    # Rows of other types (token signing keys, request-signature secrets) are not API keys.
    if found is None or found.ApiKey.revoked_at is not None or found.ApiKey.key_type not in API_KEY_TYPES:
        raise Unauthenticated("invalid or revoked API key")
    return Principal.of(found.User, found.Team, found.ApiKey)


def _cached_key_principal(runtime: Runtime, column: str, value: str) -> Principal:
    """:func:`_read_key_principal` of the key whose ``column`` (``secret_sha256`` or
    ``public_id``) is ``value``, through the runtime's principal cache."""

    def load() -> tuple[Principal, set[Tag]]:
        with runtime.session() as db:
            principal = _read_key_principal(db, getattr(ApiKey, column) == value)
        return principal, principal_tags(principal)

    return runtime.auth_cache.fetch((column, value), load)


def _digest_of(secret: str) -> str:
    if not secret or len(secret) > 200:
        raise Unauthenticated("invalid or revoked API key")
    return _sha256(secret)


def authenticate_secret(db: Session, secret: str) -> Principal:
    """The principal an API key secret stands for, read from ``db`` (no cache, no last-used
    record); Unauthenticated if unknown or revoked, Banned for a banned user. Requests go through
    :func:`authenticate_api_key`."""
    principal = _read_key_principal(db, ApiKey.secret_sha256 == _digest_of(secret))
    refuse_banned(principal.user)
    return principal


def authenticate_api_key(runtime: Runtime, secret: str, *, client: str | None) -> Principal:
    """The principal of an API key secret: every surface that takes API keys calls this.

    Looked up by the secret's SHA-256 in the runtime's principal cache
    (``core/auth/principal_cache.py``: no query while cached, one on a miss, a revocation or ban
    seen at once), then the use recorded at most once a ``key_last_used_seconds`` interval
    (``core/auth/key_use.py``): only a key's very first request writes, the rest write nothing.
    Blocking on a miss or a first use: call from a worker thread.

    A bad key counts against the ``client`` address in ``runtime.throttle``; an address locked out
    for too many is refused (TooManyAttempts) before the cache or the database is asked. A good key
    costs the throttle one dict lookup."""
    runtime.throttle.before_secret(client)
    try:
        digest = _digest_of(secret)
        principal = _cached_key_principal(runtime, "secret_sha256", digest)
    except Unauthenticated:
        runtime.throttle.secret_failed(client)
        raise
    refuse_banned(principal.user)
    assert principal.api_key is not None
    runtime.key_use.used(principal.api_key)
    return principal


def authenticate_public_id(db: Session, public_id: str) -> Principal:
    """The principal for a key named by its public id, read from ``db`` (no cache)."""
    principal = _read_key_principal(db, ApiKey.public_id == public_id)
    refuse_banned(principal.user)
    return principal


def principal_for_public_id(runtime: Runtime, public_id: str) -> Principal:
    """:func:`authenticate_public_id` through the principal cache (signed-request dialects)."""
    principal = _cached_key_principal(runtime, "public_id", public_id)
    refuse_banned(principal.user)
    return principal


def member_principal(db: Session, user: User, team_id: int | None = None) -> Principal:
    """The user acting in ``team_id`` (their first team without one); NotFound when they are not
    in it. Bans are the caller's to refuse."""
    return Principal.of(user, primary_team(db, user, team_id))


def principal_for_user(db: Session, user: User, team_id: int | None = None) -> Principal:
    refuse_banned(user)
    return member_principal(db, user, team_id)


def list_api_keys(db: Session) -> list[ApiKey]:
    return list(db.scalars(select(ApiKey).where(ApiKey.key_type.in_(API_KEY_TYPES)).order_by(ApiKey.id)))


def revoke_api_key(db: Session, key_ref: str) -> ApiKey:
    query = select(ApiKey).where(
        (ApiKey.public_id == key_ref) | (ApiKey.id == number if (number := row_id(key_ref)) is not None else False)
    )
    key = db.scalar(query)
    if key is None:
        raise NotFound(f"no API key {key_ref}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def refuse_banned(user: User | UserSnapshot) -> None:
    """Every authentication refuses a banned user here, saying since when and why where recorded
    (the only answer a banned user's client gets)."""
    if not user.banned:
        return
    since = f" since {user.banned_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC" if user.banned_at else ""
    raise Banned(f"this user is banned{since}" + (f": {user.banned_reason}" if user.banned_reason else ""))


def set_banned(db: Session, *, email: str, banned: bool, reason: str | None = None) -> User:
    """Ban (or lift the ban on) a user. A ban records when it began (banning a banned user again
    keeps that time) and the operator's reason; lifting it clears both."""
    user = get_user_by_email(db, email)
    if banned and not user.banned:
        user.banned_at = utcnow()
    user.banned = banned
    user.banned_at = user.banned_at if banned else None
    user.banned_reason = (reason or user.banned_reason) if banned else None
    return user


@dataclass(frozen=True)
class TeamLimits:
    """A team's limits in force: its own where set, else the server's defaults."""

    quota_bytes: int  # all stored bytes of the team's videos
    quota_videos: int  # number of videos
    max_upload_bytes: int  # size of one upload


def team_limits(settings: Settings, team: Team | TeamSnapshot) -> TeamLimits:
    """The one place a team's unset limits fall back to the server's defaults."""
    return TeamLimits(
        quota_bytes=team.quota_bytes or settings.default_quota_bytes,
        quota_videos=team.quota_videos or settings.default_quota_videos,
        max_upload_bytes=team.max_upload_bytes or settings.max_upload_bytes,
    )


def set_team_limits(
    db: Session,
    *,
    team: Team | TeamSnapshot,
    quota_bytes: int | None = None,
    quota_videos: int | None = None,
    max_upload_bytes: int | None = None,
) -> Team:
    """Set a team's own limits (a principal's team snapshot names the row to change, in ``db``)."""
    if not isinstance(team, Team):
        team = db.get_one(Team, team.id)
    for name, value in (
        ("quota_bytes", quota_bytes),
        ("quota_videos", quota_videos),
        ("max_upload_bytes", max_upload_bytes),
    ):
        if value is not None:
            if value <= 0:
                raise InvalidInput(f"{name} must be positive", field=name)
            setattr(team, name, value)
    return team
