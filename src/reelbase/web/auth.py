"""Signing in and out of the web pages (``/login``, ``/logout``) and the dependencies pages use
to know who is there. The session itself is :mod:`reelbase.core.auth.web_sessions`, which also
checks the sign-in form's CSRF token and has wrong passwords counted by the throttle; a locked-out
sign-in shows the form again, 429 with ``Retry-After``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from reelbase.core.context import Principal
from reelbase.core.errors import DomainError, TooManyAttempts
from reelbase.core.auth import (
    COOKIE_NAME,
    LOGIN_COOKIE,
    SESSION_TTL,
    WebSession,
    check_csrf,
    login_form,
    read_session,
    sign_in,
)
from reelbase.edge.deps import client_address, get_runtime
from reelbase.web.render import message, render

router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    """Raised by :func:`require_session`; answered by a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def optional_session(request: Request) -> tuple[Principal, WebSession] | None:
    """The signed-in person, or None. Also put on ``request.state`` for the templates."""
    cookie = request.cookies.get(COOKIE_NAME)
    if not cookie:
        return None
    runtime = get_runtime(request)
    try:
        principal, session = read_session(runtime, cookie)
    except DomainError:
        return None
    request.state.web_session = session
    request.state.web_principal = principal
    return principal, session


def require_session(request: Request) -> tuple[Principal, WebSession]:
    found = optional_session(request)
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return found


def require_csrf(request: Request, session: WebSession, given: str | None) -> None:
    check_csrf(session, given or request.headers.get("x-csrf-token"))


OptionalSession = Annotated[tuple[Principal, WebSession] | None, Depends(optional_session)]
SessionRequired = Annotated[tuple[Principal, WebSession], Depends(require_session)]


def sign_in_redirect(_request: Request, exc: SignInRequired) -> Response:
    return RedirectResponse(f"/login?next={quote(exc.next_url, safe='')}", status_code=303)


def _safe_next(target: str | None) -> str:
    # Only paths on this site: never "//other.example" or "https://…".
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(request: Request, *, next_url: str, email: str, error: str | None, status: int = 200,
                headers: dict[str, str] | None = None) -> Response:
    """The sign-in form, with its CSRF token; the nonce cookie it is bound to is (re)set with it."""
    runtime = get_runtime(request)
    form = login_form(runtime.secret_key, request.cookies.get(LOGIN_COOKIE))
    response = render(request, "login.html", status=status, title="Sign in", next=next_url, error=error,
                      email=email, login_csrf=form.csrf)
    response.headers.update(headers or {})
    response.set_cookie(LOGIN_COOKIE, form.nonce, max_age=SESSION_TTL, httponly=True, samesite="lax",
                        secure=runtime.settings.public_url.startswith("https://"), path="/login")
    return response


@router.get("/login")
def login_page(request: Request, session: OptionalSession, next: str | None = None) -> Response:
    if session is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, next_url=_safe_next(next), email="", error=None)


@router.post("/login")
async def login(request: Request, email: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
                next: Annotated[str, Form()] = "/", csrf: Annotated[str, Form()] = "") -> Response:
    runtime = get_runtime(request)

    def check() -> WebSession:
        with runtime.session() as db:
            return sign_in(db, email=email, password=password, server_secret=runtime.secret_key,
                           throttle=runtime.throttle, client=client_address(request),
                           login_nonce=request.cookies.get(LOGIN_COOKIE), login_csrf=csrf)

    try:
        session = await run_in_threadpool(check)
    except TooManyAttempts as exc:
        text = f"Too many failed sign-ins. Wait {exc.retry_after} s, then try again."
        return _login_page(request, next_url=_safe_next(next), email=email, error=text, status=exc.status,
                           headers={"Retry-After": str(exc.retry_after)})
    except DomainError as exc:
        if exc.status == 401:
            text = "Wrong email or password."
        elif exc.code == "csrf_failed":
            text = "This sign-in form was out of date or came from another site. Sign in again."
        else:
            text = exc.message
        return _login_page(request, next_url=_safe_next(next), email=email, error=text, status=exc.status)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE_NAME, session.token, max_age=SESSION_TTL, httponly=True, samesite="lax",
                        secure=runtime.settings.public_url.startswith("https://"), path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionRequired, csrf: Annotated[str, Form()] = "") -> Response:
    try:
        require_csrf(request, session[1], csrf)
    except DomainError as exc:
        return message(request, "Could not sign out", exc.message, status=exc.status, error=True)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response
