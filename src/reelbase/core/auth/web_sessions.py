"""Signed-in people in a browser: a session is a short-lived signed token (JWT, HS256) kept in an
HttpOnly cookie, made after an email + password check. Nothing is stored server side; a session
ends when it expires, when the person signs out (the cookie is dropped), or at once when the user
is banned (checked on every request).

Cross-site request forgery: the cookie is ``SameSite=Lax``, and every request that changes
something must also carry the session's CSRF token (a form field or the ``X-CSRF-Token`` header),
an HMAC of the session's random id that a page of another origin cannot read. The sign-in form,
before there is a session, carries a token of the same kind bound to a nonce cookie of its own
(:class:`LoginForm`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jwt
from sqlalchemy.orm import Session

from reelbase.core.auth import signer
from reelbase.core.auth.accounts import member_principal, principal_for_user, refuse_banned, verify_password
from reelbase.core.auth.principal_cache import Tag, principal_tags
from reelbase.core.auth.throttle import Throttle
from reelbase.core.context import Principal
from reelbase.core.errors import Forbidden, Unauthenticated
from reelbase.db.models import User

if TYPE_CHECKING:
    from reelbase.core.runtime import Runtime

COOKIE_NAME = "reelbase_session"
LOGIN_COOKIE = "reelbase_login"  # the sign-in form's CSRF nonce, before there is a session
SESSION_TTL = 12 * 3600
_NONCE = re.compile(r"[0-9a-f]{32}")
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


@dataclass(frozen=True)
class LoginForm:
    """The sign-in form's CSRF pair: ``nonce`` goes into a cookie (:data:`LOGIN_COOKIE`), ``csrf``
    into the form. A page of another site can post the form but neither read nor send the cookie
    (SameSite=Lax), so it cannot sign a browser in to an account of its choosing."""

    nonce: str
    csrf: str


def _login_csrf_of(server_secret: str, nonce: str) -> str:
    return hmac.new(_key(server_secret), f"login-csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def login_form(server_secret: str, nonce: str | None) -> LoginForm:
    """The pair for a sign-in form: the browser's own nonce (from its cookie) when it has a
    well-formed one, so several open forms stay valid, else a new one."""
    if not nonce or not _NONCE.fullmatch(nonce):
        nonce = secrets.token_hex(16)
    return LoginForm(nonce=nonce, csrf=_login_csrf_of(server_secret, nonce))


def check_login_csrf(server_secret: str, nonce: str | None, given: str | None) -> None:
    if not nonce or not given or not _NONCE.fullmatch(nonce) or not signer.equal(
            _login_csrf_of(server_secret, nonce), given.strip()):
        raise CsrfFailed("the sign-in form is out of date or came from another site: reload it and try again")


def sign_in(db: Session, *, email: str, password: str, server_secret: str, throttle: Throttle, client: str | None,
            login_nonce: str | None, login_csrf: str | None, now: float | None = None) -> WebSession:
    """Check the sign-in form's CSRF token (:func:`check_login_csrf`), then the password (counted
    by ``throttle`` against the account and the ``client`` address), and open a session for the
    user's first team."""
    check_login_csrf(server_secret, login_nonce, login_csrf)
    user = verify_password(db, email=email, password=password, throttle=throttle, client=client)
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


def read_session(runtime: Runtime, token: str) -> tuple[Principal, WebSession]:
    """The principal a session cookie stands for; Unauthenticated when it is bad or expired,
    Banned for a banned user. The user and team come through the runtime's principal cache
    (``core/auth/principal_cache.py``): no query while cached, a ban seen at once. Blocking on a
    miss: call from a worker thread."""
    if not token or len(token) > 2048:
        raise Unauthenticated("not signed in")
    try:
        claims = jwt.decode(token, _key(runtime.secret_key), algorithms=["HS256"], audience=_AUDIENCE,
                            options={"require": ["exp", "iat", "sub", "sid"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("your session expired; sign in again") from None
    except jwt.PyJWTError:
        raise Unauthenticated("not signed in") from None
    user_id, team_id = int(claims["sub"]), int(claims["team"])

    def load() -> tuple[Principal, set[Tag]]:
        with runtime.session() as db:
            user = db.get(User, user_id)
            if user is None:
                raise Unauthenticated("not signed in")
            principal = member_principal(db, user, team_id)
        return principal, principal_tags(principal)

    principal = runtime.auth_cache.fetch(("session", user_id, team_id), load)
    refuse_banned(principal.user)
    session = WebSession(token=token, csrf=_csrf_of(runtime.secret_key, str(claims["sid"])), user_id=user_id,
                         team_id=principal.team_id, expires=int(claims["exp"]))
    return principal, session


def check_csrf(session: WebSession, given: str | None) -> None:
    if not given or not signer.equal(session.csrf, given.strip()):
        raise CsrfFailed("missing or wrong CSRF token: reload the page and try again")
