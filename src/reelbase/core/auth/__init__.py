"""Who is asking: users, teams, API keys and their authentication, passwords, JWTs, browser sessions, request signatures, the one signer of expiring things, and the throttle on guessing.

Surfaces import this package only (``from reelbase.core import auth``); the modules
inside it import each other directly. Names load on first use, so importing the facade
costs nothing and adds no import cycle between families."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reelbase.core.facade import lazy_exports

if TYPE_CHECKING:
    from reelbase.core.auth.account_settings import AccountView, account_view, log_in, parse_origin, rotate_signature_secret, select_team, set_playback_origins, update_password
    from reelbase.core.auth.accounts import SECRET_PREFIX, authenticate_api_key, create_api_key, create_user, get_user_by_email, key_secret, list_api_keys, primary_team, principal_for_public_id, principal_for_user, revoke_api_key, set_banned, set_team_limits, team_limits, verify_password
    from reelbase.core.auth.jwt_tokens import IssuedToken, TokenMissing, authenticate_token, issue_token, rotate_signing_key
    from reelbase.core.auth.key_admin import MAX_NAME, find_key, issue_key, list_keys, revoke_key
    from reelbase.core.auth.signed_requests import SignedRequest, sign_request, verify_signed_request
    from reelbase.core.auth.throttle import Throttle, open_throttle
    from reelbase.core.auth.web_sessions import COOKIE_NAME, LOGIN_COOKIE, SESSION_TTL, LoginForm, WebSession, check_csrf, check_login_csrf, login_form, read_session, sign_in

_EXPORTS = {
    "account_settings": ("AccountView", "account_view", "log_in", "parse_origin", "rotate_signature_secret", "select_team", "set_playback_origins", "update_password"),
    "accounts": ("SECRET_PREFIX", "authenticate_api_key", "create_api_key", "create_user", "get_user_by_email", "key_secret", "list_api_keys", "primary_team", "principal_for_public_id", "principal_for_user", "revoke_api_key", "set_banned", "set_team_limits", "team_limits", "verify_password"),
    "jwt_tokens": ("IssuedToken", "TokenMissing", "authenticate_token", "issue_token", "rotate_signing_key"),
    "key_admin": ("MAX_NAME", "find_key", "issue_key", "list_keys", "revoke_key"),
    "signed_requests": ("SignedRequest", "sign_request", "verify_signed_request"),
    "throttle": ("Throttle", "open_throttle"),
    "web_sessions": ("COOKIE_NAME", "LOGIN_COOKIE", "SESSION_TTL", "LoginForm", "WebSession", "check_csrf", "check_login_csrf", "login_form", "read_session", "sign_in"),
}

__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
