"""The sign-in form's CSRF token, over plain HTTP: a form posted from another site (which neither
reads the page nor carries its nonce cookie) signs no one in, and forged posts cost no throttle."""

from __future__ import annotations

import re

import httpx

from tests.conftest import Account, LiveServer, login_csrf


def _form(client: httpx.Client, email: str, password: str, csrf: str | None) -> httpx.Response:
    data = {"email": email, "password": password, "next": "/"}
    if csrf is not None:
        data["csrf"] = csrf
    return client.post("/login", data=data)


def test_the_form_carries_a_token_bound_to_an_httponly_nonce_cookie(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url) as browser:
        page = browser.get("/login")
        assert page.status_code == 200
        assert re.search(r'<input type="hidden" name="csrf" value="[0-9a-f]{64}">', page.text)
        cookie = page.headers["set-cookie"].lower()
        assert cookie.startswith("reelbase_login=") and "httponly" in cookie and "samesite=lax" in cookie
        assert "path=/login" in cookie
        # the same browser keeps its nonce, so a second open form is as good as the first
        mine = login_csrf(browser)
        assert login_csrf(browser) == mine
    with httpx.Client(base_url=live.url) as other:
        assert login_csrf(other) != mine


def test_a_post_without_the_token_or_the_cookie_signs_no_one_in(live: LiveServer, alice: Account) -> None:
    with httpx.Client(base_url=live.url) as browser:
        missing = _form(browser, alice.email, alice.password, None)
        assert missing.status_code == 403
        assert "This sign-in form was out of date or came from another site. Sign in again." in missing.text
        assert "reelbase_session" not in browser.cookies
        # the answer is a fresh form, so reloading is enough
        assert re.search(r'name="csrf" value="[0-9a-f]{64}"', missing.text)
    with httpx.Client(base_url=live.url) as attacker:
        token = login_csrf(attacker)  # a token of the attacker's own nonce...
    with httpx.Client(base_url=live.url) as victim:
        cross_site = _form(victim, alice.email, alice.password, token)  # ...posted without it (SameSite)
        assert cross_site.status_code == 403 and "reelbase_session" not in victim.cookies
        login_csrf(victim)  # the victim's own nonce, with the attacker's token: still refused
        assert _form(victim, alice.email, alice.password, token).status_code == 403
        assert _form(victim, alice.email, alice.password, "é" * 64).status_code == 403


def test_forged_posts_are_refused_before_the_password_is_checked_or_counted(live: LiveServer, alice: Account) -> None:
    with httpx.Client(base_url=live.url) as browser:
        for _ in range(12):  # more than the throttle's free failures, but none reaches the password
            assert _form(browser, alice.email, "not the password", None).status_code == 403
        signed = _form(browser, alice.email, alice.password, login_csrf(browser))
        assert signed.status_code == 303 and "reelbase_session" in browser.cookies
