"""Signing in to the pages, and the session cookie as a credential for the native API."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Page

from tests.conftest import Account, LiveServer, login_csrf


@contextmanager
def _sign_in(live: LiveServer, account: Account) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30) as client:
        yield _signed(client, account)


def _signed(client: httpx.Client, account: Account) -> httpx.Client:
    r = client.post("/login", data={"email": account.email, "password": account.password, "next": "/",
                                    "csrf": login_csrf(client)})
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert "reelbase_session" in client.cookies
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    return client


def test_wrong_password_shows_the_form_again_with_an_error(live: LiveServer, alice: Account) -> None:
    with httpx.Client(base_url=live.url) as client:
        r = client.post("/login", data={"email": alice.email, "password": "nope", "next": "/",
                                        "csrf": login_csrf(client)})
        assert r.status_code == 401
        assert "Wrong email or password." in r.text
        assert f'value="{alice.email}"' in r.text
        assert "reelbase_session" not in client.cookies
        assert "frame-ancestors 'self'" in r.headers["content-security-policy"]


def test_next_only_goes_to_a_path_on_this_site(live: LiveServer, alice: Account) -> None:
    with httpx.Client(base_url=live.url) as client:
        csrf = login_csrf(client)
        for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
            r = client.post("/login", data={"email": alice.email, "password": alice.password, "next": evil,
                                            "csrf": csrf})
            assert r.status_code == 303 and r.headers["location"] == "/"


def test_the_session_cookie_reads_the_api_and_writes_only_with_the_csrf_token(
    live: LiveServer, alice: Account, bob: Account
) -> None:
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {bob.secret}"}) as other:
        theirs = other.post("/api/v1/videos", json={"title": "bob's"}).json()
    with _sign_in(live, alice) as client:
        r = client.post("/api/v1/videos", json={"title": "mine"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
        login = client.get("/login?next=/x", follow_redirects=False)
        assert login.status_code == 303  # already signed in
        page = client.get("/login")
        assert page.status_code == 303
        # The CSRF token is in every page the signed-in person gets; take it from the message page.
        forbidden = client.post("/logout", data={"csrf": "wrong"})
        assert forbidden.status_code == 403
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]{64})"', forbidden.text)
        assert csrf, forbidden.text[:500]
        r = client.post("/api/v1/videos", json={"title": "mine"}, headers={"X-CSRF-Token": csrf[1]})
        assert r.status_code == 201, r.text
        listed = client.get("/api/v1/videos").json()
        titles = [v["title"] for v in listed["items"]]
        assert titles == ["mine"]
        assert client.get(f"/api/v1/videos/{theirs['id']}").status_code == 404
        out = client.post("/logout", data={"csrf": csrf[1]})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert "reelbase_session" not in client.cookies
        assert client.get("/api/v1/videos").status_code == 401


def test_a_non_ascii_csrf_token_is_refused_not_crashed(live: LiveServer, alice: Account) -> None:
    # hmac.compare_digest raises TypeError on non-ASCII text; a form field can carry any.
    with _sign_in(live, alice) as client:
        r = client.post("/logout", data={"csrf": "é" * 64})
        assert r.status_code == 403
        r = client.post("/api/v1/videos", json={"title": "mine"}, headers={"X-CSRF-Token": b"\xe9" * 64})
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"


def test_a_forged_or_banned_session_is_refused(live: LiveServer, alice: Account) -> None:
    with httpx.Client(base_url=live.url, cookies={"reelbase_session": "eyJhbGciOiJub25lIn0.e30."},
                      timeout=30) as client:
        assert client.get("/api/v1/videos").status_code == 401
    with _sign_in(live, alice) as client:
        assert client.get("/api/v1/videos").status_code == 200
        from reelbase.core.auth.accounts import set_banned
        with live.runtime.session() as db:
            set_banned(db, email=alice.email, banned=True)
            db.commit()
        assert client.get("/api/v1/videos").status_code == 403


def test_sign_in_page_in_the_browser(live: LiveServer, alice: Account, page: Page,
                                     shot: Callable[[Page, str], Path]) -> None:
    page.goto(f"{live.url}/")
    assert page.url == f"{live.url}/login?next=%2F"  # signed out: the dashboard asks to sign in
    page.fill("#email", alice.email)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.inner_text("[role=alert]") == "Wrong email or password."
    shot(page, "1-wrong-password")
    page.fill("#password", alice.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/")
    assert page.inner_text("header .who") == alice.email
    page.click("header .signout button")
    page.wait_for_url(f"{live.url}/login")
    assert all(c["name"] != "reelbase_session" for c in page.context.cookies())
    assert page.page_errors == []  # type: ignore[attr-defined]
