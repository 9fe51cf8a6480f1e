"""A password user's own account: what they may read about it and change themselves.

* :func:`account_view` gathers the user, the team they act in, their other teams, their token
  signing key (``core.auth.jwt_tokens``) and their request-signature secret, for a surface to render.
* :func:`update_password` sets a new password (same rules as at creation).
* :func:`rotate_signature_secret` makes a new shared secret for signing API requests. Like API
  key secrets it is derived from the server secret and a stored salt, never stored itself; its row
  lives in ``api_keys`` with ``key_type = "request_signing"`` and does not authenticate as an API
  key. Rotating revokes the previous one.
* :func:`log_in` checks a password and issues a login token (``core.auth.jwt_tokens``) for a team.
* :func:`select_team` resolves the team a user asks to act in (team switching), and
  :func:`add_member` puts a user in a further team.
* :func:`set_playback_origins` lists the web origins whose pages may play the team's streams
  (``core.playback.origins`` applies the list); :func:`parse_origin` is the one parser of an origin.

``log_in``, ``update_password`` and ``rotate_signature_secret`` commit their change; the others
do not (``add_member`` and ``set_playback_origins`` are the CLI's steps, which commit themselves).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.auth.accounts import derive_key_secret, get_user_by_email, hash_password, teams_of, verify_password
from reelbase.core.context import Principal, TeamSnapshot, UserSnapshot
from reelbase.core.errors import Conflict, InvalidInput, NotFound
from reelbase.core.auth.jwt_tokens import IssuedToken, SigningKey, issue_token, signing_key
from reelbase.core.auth.throttle import Throttle
from reelbase.db.models import ApiKey, Membership, Team, User, utcnow
from reelbase.core.numbers import row_id

SIGNATURE_KEY_TYPE = "request_signing"
SIGNATURE_METHOD = "HmacSHA256"
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_PLAYBACK_ORIGINS = 100


@dataclass(frozen=True)
class RequestSignature:
    key_id: str
    secret: str
    method: str


@dataclass(frozen=True)
class AccountView:
    user: UserSnapshot
    team: TeamSnapshot
    other_teams: list[Team]
    signing_key: SigningKey | None
    signature: RequestSignature | None


def _signature_row(db: Session, user: User | UserSnapshot) -> ApiKey | None:
    return db.scalar(
        select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.key_type == SIGNATURE_KEY_TYPE,
                             ApiKey.revoked_at.is_(None)).order_by(ApiKey.id.desc())
    )


def _describe(row: ApiKey, server_secret: str) -> RequestSignature:
    return RequestSignature(key_id=row.public_id, secret=derive_key_secret(server_secret, row.public_id,
                                                                           row.derive_salt),
                            method=SIGNATURE_METHOD)


def request_signature(db: Session, user: User | UserSnapshot, *, server_secret: str) -> RequestSignature | None:
    """The user's current request-signature secret, or None if none was ever generated."""
    row = _signature_row(db, user)
    return _describe(row, server_secret) if row else None


def rotate_signature_secret(db: Session, principal: Principal, *, server_secret: str) -> RequestSignature:
    """A new request-signature secret for the principal's user; the previous one is revoked."""
    now = utcnow()
    for row in db.scalars(select(ApiKey).where(ApiKey.user_id == principal.user.id,
                                               ApiKey.key_type == SIGNATURE_KEY_TYPE, ApiKey.revoked_at.is_(None))):
        row.revoked_at = now
    public_id = "sig_" + secrets.token_hex(10)
    salt = secrets.token_hex(16)
    # Not an API key: the stored digest is of a value nobody is given, so the secret never logs in.
    unusable = hashlib.sha256(f"unusable:{public_id}:{secrets.token_hex(16)}".encode()).hexdigest()
    row = ApiKey(public_id=public_id, secret_sha256=unusable, derive_salt=salt,
                 key_type=SIGNATURE_KEY_TYPE, name="request signature secret", user_id=principal.user.id,
                 team_id=principal.team_id)
    db.add(row)
    db.commit()
    return _describe(row, server_secret)


def account_view(db: Session, principal: Principal, *, server_secret: str) -> AccountView:
    user = principal.user
    return AccountView(
        user=user,
        team=principal.team,
        other_teams=[t for t in teams_of(db, user) if t.id != principal.team_id],
        signing_key=signing_key(db, user, server_secret=server_secret),
        signature=request_signature(db, user, server_secret=server_secret),
    )


def update_password(db: Session, principal: Principal, *, new_password: object) -> User:
    """Replace the principal's password (argon2). Tokens already issued stay valid until they expire."""
    user = db.get_one(User, principal.user.id)
    if not isinstance(new_password, str) or not MIN_PASSWORD <= len(new_password) <= MAX_PASSWORD:
        raise InvalidInput(f"the new password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters",
                           field="newPassword")
    if "\x00" in new_password:
        raise InvalidInput("the new password contains a NUL character", field="newPassword")
    user.password_hash = hash_password(new_password)
    db.commit()
    return user


def log_in(db: Session, *, email: str, password: str, server_secret: str, throttle: Throttle, client: str | None,
           team_ref: str | None = None) -> IssuedToken:
    """A login token for the password user acting in ``team_ref`` (their first team without one);
    Unauthenticated for a wrong email or password, TooManyAttempts while the account or the
    ``client`` address is locked out (see ``verify_password``)."""
    user = verify_password(db, email=email, password=password, throttle=throttle, client=client)
    return issue_token(db, user=user, team=select_team(db, user, team_ref), server_secret=server_secret)


def select_team(db: Session, user: User, team_ref: str | None) -> Team:
    """The team the user acts in: ``team_ref`` (UUID or numeric id) if they belong to it, else
    their first team. A team they are not in is reported as absent."""
    teams = teams_of(db, user)
    if not teams:
        raise NotFound("the user belongs to no team", field="team")
    if team_ref in (None, ""):
        return teams[0]
    ref = str(team_ref).strip()
    for team in teams:
        if team.uuid == ref or team.id == row_id(ref):
            return team
    raise NotFound(f"the user belongs to no team {ref}", field="team")


def add_member(db: Session, *, email: str, team_name: str, role: str = "member") -> Membership:
    """Put an existing user in an existing team (by name)."""
    user = get_user_by_email(db, email)
    team = db.scalar(select(Team).where(Team.name == team_name).order_by(Team.id))
    if team is None:
        raise NotFound(f"no team named {team_name!r}", field="team")
    if db.scalar(select(Membership).where(Membership.user_id == user.id, Membership.team_id == team.id)):
        raise Conflict(f"{user.email} is already in team {team_name!r}", field="team")
    membership = Membership(user_id=user.id, team_id=team.id, role=role)
    db.add(membership)
    db.flush()
    return membership


def parse_origin(value: object) -> str:
    """The origin ``value`` names, as browsers send it in ``Origin`` (``scheme://host[:port]``,
    lower case, default ports dropped); InvalidInput for anything else (a path, credentials, a
    scheme other than http/https, a wildcard)."""
    text = str(value).strip() if isinstance(value, str) else ""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or parts.username is not None or parts.password is not None or parts.path not in ("", "/")
            or parts.query or parts.fragment or "*" in text):
        raise InvalidInput(f"{text[:100]!r} is not a web origin such as https://example.com", field="origins")
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[scheme]
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def set_playback_origins(db: Session, *, team: Team, origins: list[str]) -> list[str]:
    """Let only pages on ``origins`` play the team's streams (an empty list: any origin again).
    Each is checked and normalised by :func:`parse_origin`; duplicates are dropped."""
    clean = list(dict.fromkeys(parse_origin(o) for o in origins))
    if len(clean) > MAX_PLAYBACK_ORIGINS:
        raise InvalidInput(f"at most {MAX_PLAYBACK_ORIGINS} playback origins", field="origins")
    team.playback_origins = clean or None
    return clean
