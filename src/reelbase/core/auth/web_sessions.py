"""Signed-in people in a browser: a session is a short-lived signed token (JWT, HS256) kept in an
HttpOnly cookie, made after an email + password check. Nothing is stored server side; a session
ends when it expires, when the person signs out (the cookie is dropped), or at once when the user
is banned (checked on every request).

Cross-site request forgery: the cookie is ``SameSite=Lax``, and every request that changes
something must also carry the session's CSRF token (a form field or the ``X-CSRF-Token`` header),
an HMAC of the session's random id that a page of another origin cannot read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import jwt
from sqlalchemy.orm import Session

from reelbase.core.auth import signer
from reelbase.core.auth.accounts import principal_for_user, verify_password
from reelbase.core.context import Principal
from reelbase.core.errors import Forbidden, Unauthenticated
from reelbase.db.models import User

COOKIE_NAME = "reelbase_session"
SESSION_TTL = 12 * 3600
_AUDIENCE = "reelbase-web"


class CsrfFailed(Forbidden):
    code = "csrf_failed"


@dataclass(frozen=True)
class WebSession:
    token: str  # the cookie's value
    csrf: str
    user_id: int
    team_id: int
    expires: int


def _key(server_secret: str) -> bytes:
    return hmac.new(server_secret.encode(), b"reelbase:web-session:v1", hashlib.sha256).digest()


def _csrf_of(server_secret: str, sid: str) -> str:
    return hmac.new(_key(server_secret), f"csrf:{sid}".encode(), hashlib.sha256).hexdigest()


def sign_in(db: Session, *, email: str, password: str, server_secret: str, now: float | None = None) -> WebSession:
    """Check the password and open a session for the user's first team."""
    user = verify_password(db, email=email, password=password)
    principal = principal_for_user(db, user)
    return open_session(principal, server_secret=server_secret, now=now)


def open_session(principal: Principal, *, server_secret: str, now: float | None = None) -> WebSession:
    issued = int(time.time() if now is None else now)
    sid = secrets.token_hex(16)
    expires = issued + SESSION_TTL
    claims = {"sub": str(principal.user.id), "team": principal.team_id, "sid": sid, "iat": issued,
              "exp": expires, "aud": _AUDIENCE}
    token = jwt.encode(claims, _key(server_secret), algorithm="HS256")
    return WebSession(token=token, csrf=_csrf_of(server_secret, sid), user_id=principal.user.id,
                      team_id=principal.team_id, expires=expires)


def read_session(db: Session, token: str, *, server_secret: str) -> tuple[Principal, WebSession]:
    """The principal a session cookie stands for; Unauthenticated when it is bad or expired."""
    if not token or len(token) > 2048:
        raise Unauthenticated("not signed in")
    try:
        claims = jwt.decode(token, _key(server_secret), algorithms=["HS256"], audience=_AUDIENCE,
                            options={"require": ["exp", "iat", "sub", "sid"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("your session expired; sign in again") from None
    except jwt.PyJWTError:
        raise Unauthenticated("not signed in") from None
    user = db.get(User, int(claims["sub"]))
    if user is None:
        raise Unauthenticated("not signed in")
    principal = principal_for_user(db, user, int(claims["team"]))
    session = WebSession(token=token, csrf=_csrf_of(server_secret, str(claims["sid"])), user_id=user.id,
                         team_id=principal.team_id, expires=int(claims["exp"]))
    return principal, session


def check_csrf(session: WebSession, given: str | None) -> None:
    if not given or not signer.equal(session.csrf, given.strip()):
        raise CsrfFailed("missing or wrong CSRF token: reload the page and try again")
