"""Password, API key and signature guessing slowed down, over real HTTP: the sign-in page, Pixop's
Basic ``/token``, VALT's login, bad API keys on the native API and in each dialect, client addresses
behind trusted proxies, and two servers sharing their counts through the real Redis.

Every server here is built with the settings its test is about (small waits keep the tests fast);
the other tests of the suite run with the defaults."""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import redis

from reelbase.app import create_app
from reelbase.core.runtime import build_runtime
from tests.conftest import Account, LiveServer, login_csrf, make_account, make_settings, start_server
from tests.dialects.pixop_client import basic, service
from tests.dialects.sparevideos_client import php_sign

REDIS_URL = "redis://127.0.0.1:6379/0"
BAD_KEY = "rb_" + "x" * 43


@contextmanager
def serving(tmp_path: Path, *, forwarded_allow_ips: str | None = None, **settings: object) -> Iterator[LiveServer]:
    """The app on a real port with ``settings`` (two servers on one ``tmp_path`` share the database);
    ``forwarded_allow_ips`` is uvicorn's (the proxies whose X-Forwarded-For it believes)."""
    runtime = build_runtime(make_settings(tmp_path, **settings))
    options = {} if forwarded_allow_ips is None else {"forwarded_allow_ips": forwarded_allow_ips}
    url, server, thread = start_server(create_app(runtime), **options)
    runtime.settings.public_url = url
    try:
        yield LiveServer(url=url, runtime=runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.engine.dispose()


def sign_in(client: httpx.Client, email: str, password: str, csrf: str) -> httpx.Response:
    return client.post("/login", data={"email": email, "password": password, "next": "/", "csrf": csrf})


def form_error(page: httpx.Response) -> str:
    found = re.search(r'role="alert">([^<]*)<', page.text)
    assert found, page.text[:500]
    return found[1]


def test_thirty_wrong_passwords_on_the_sign_in_page_meet_a_429_after_five(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with serving(tmp_path) as live, httpx.Client(base_url=live.url, timeout=30) as browser:
        alice = make_account(live.runtime)
        csrf = login_csrf(browser)
        answers = []
        with caplog.at_level(logging.WARNING, logger="reelbase.core.auth.throttle"):
            started = time.monotonic()
            for n in range(30):
                answers.append(sign_in(browser, alice.email, f"guess-{n:02d}", csrf))
            took = time.monotonic() - started
        assert [r.status_code for r in answers] == [401] * 5 + [429] * 25
        assert form_error(answers[4]) == "Wrong email or password."
        assert "retry-after" not in answers[4].headers
        last = answers[-1]
        assert last.headers["retry-after"] == "1"
        assert form_error(last) == "Too many failed sign-ins. Wait 1 s, then try again."
        assert f'value="{alice.email}"' in last.text and last.headers["cache-control"] == "no-store"
        assert "reelbase_session" not in browser.cookies
        # the 25 refusals ran no argon2: the whole burst costs about five password checks
        assert took < 10, took
        logged = [r.getMessage() for r in caplog.records]
        assert logged[0] == f"throttle: account {alice.email} from 127.0.0.1 locked out for 1 s after 6 failures"
        assert all("guess-" not in line for line in logged)
        # while locked out even the right password waits; once the wait is over it is accepted
        assert sign_in(browser, alice.email, alice.password, csrf).status_code == 429
        time.sleep(int(last.headers["retry-after"]) + 0.1)
        signed = sign_in(browser, alice.email, alice.password, csrf)
        assert signed.status_code == 303 and signed.headers["location"] == "/"
        assert "reelbase_session" in browser.cookies


def test_each_further_failure_waits_longer_and_a_success_clears_the_account(tmp_path: Path) -> None:
    with serving(tmp_path, throttle_free_failures=2, throttle_base_seconds=0.5) as live, \
            httpx.Client(base_url=live.url, timeout=30) as browser:
        alice = make_account(live.runtime)
        csrf = login_csrf(browser)
        assert [sign_in(browser, alice.email, "wrong", csrf).status_code for _ in range(2)] == [401, 401]
        first = sign_in(browser, alice.email, "wrong", csrf)  # 3rd: locked out for 0.5 s
        assert first.status_code == 429 and first.headers["retry-after"] == "1"
        time.sleep(0.6)
        second = sign_in(browser, alice.email, "wrong", csrf)  # 4th: locked out for 1 s
        assert second.status_code == 429 and second.headers["retry-after"] == "1"
        time.sleep(0.6)  # past the first wait, not past the second
        assert sign_in(browser, alice.email, alice.password, csrf).status_code == 429
        time.sleep(0.5)
        assert sign_in(browser, alice.email, alice.password, csrf).status_code == 303
        # the success cleared the account's count: the next slip is an ordinary 401 again
        browser.cookies.delete("reelbase_session")
        again = sign_in(browser, alice.email, "wrong", csrf)
        assert again.status_code == 401 and form_error(again) == "Wrong email or password."


def test_pixop_basic_token_answers_429_in_pixop_terms(tmp_path: Path) -> None:
    with serving(tmp_path) as live:
        alice = make_account(live.runtime)
        answers = []
        for n in range(10):
            with service(live, headers=basic(alice.email, f"guess-{n}")) as c:
                answers.append(c.get("/accounts/v1/token"))
        assert [r.status_code for r in answers] == [401] * 5 + [429] * 5
        assert answers[0].json()["exception"] == "InvalidCredentialsException"
        last = answers[-1]
        assert last.headers["retry-after"] == "1"
        assert last.json() == {"exception": "TooManyRequestsException",
                               "errorMessage": "too many failed sign-ins: try again in 1 s"}
        with service(live, headers=basic(alice.email, alice.password)) as c:
            assert c.get("/accounts/v1/token").status_code == 429
            time.sleep(1.1)
            token = c.get("/accounts/v1/token")
        assert token.status_code == 200 and token.json()["jwtToken"]


def test_valt_login_answers_429_in_valt_terms(tmp_path: Path) -> None:
    with serving(tmp_path, throttle_free_failures=3) as live, \
            httpx.Client(base_url=live.url + "/compat/valt", timeout=30) as c:
        alice = make_account(live.runtime)
        answers = [c.post("/api/v3/login", json={"username": alice.email, "password": f"no-{n}"}) for n in range(5)]
        assert [r.status_code for r in answers] == [401, 401, 401, 429, 429]
        assert answers[0].json() == {"error": {"code": 401, "message": "Bad credentials."}}
        assert answers[-1].headers["retry-after"] == "1"
        assert answers[-1].json() == {"error": {"code": 429, "message": "too many failed sign-ins: try again in 1 s"}}
        time.sleep(1.1)
        ok = c.post("/api/v3/login", json={"username": alice.email, "password": alice.password})
        assert ok.status_code == 200 and ok.json()["data"]["access_token"]


def test_one_address_guessing_many_accounts_is_locked_out_for_all_of_them(tmp_path: Path) -> None:
    with serving(tmp_path, throttle_address_free_failures=4) as live, \
            httpx.Client(base_url=live.url, timeout=30) as browser:
        alice = make_account(live.runtime)
        csrf = login_csrf(browser)
        codes = [sign_in(browser, f"victim{n}@example.com", "password1", csrf).status_code for n in range(5)]
        assert codes == [401, 401, 401, 401, 429]
        refused = sign_in(browser, alice.email, alice.password, csrf)  # an account with no failure of its own
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"


def test_the_address_is_the_peer_and_forwarded_for_counts_only_from_trusted_proxies(tmp_path: Path) -> None:
    def attempt(browser: httpx.Client, csrf: str, forwarded: str, email: str, password: str) -> int:
        return browser.post("/login", headers={"X-Forwarded-For": forwarded},
                            data={"email": email, "password": password, "csrf": csrf}).status_code

    # A server that trusts no proxy: what a client writes in X-Forwarded-For changes nothing.
    with serving(tmp_path / "direct", forwarded_allow_ips="", throttle_address_free_failures=2) as live, \
            httpx.Client(base_url=live.url, timeout=30) as browser:
        csrf = login_csrf(browser)
        assert [attempt(browser, csrf, f"203.0.113.{n}", f"v{n}@example.com", "password1")
                for n in range(3)] == [401, 401, 429]
    # Behind a trusted proxy (here the loopback, uvicorn's default), the address the proxy appended
    # is the client, and nothing a client wrote before it.
    with serving(tmp_path / "proxied", throttle_address_free_failures=2) as live, \
            httpx.Client(base_url=live.url, timeout=30) as browser:
        alice = make_account(live.runtime)
        csrf = login_csrf(browser)
        assert [attempt(browser, csrf, "203.0.113.1", f"v{n}@example.com", "password1")
                for n in range(3)] == [401, 401, 429]
        assert attempt(browser, csrf, "198.51.100.1, 203.0.113.1", alice.email, alice.password) == 429
        assert attempt(browser, csrf, "203.0.113.2", alice.email, alice.password) == 303


def test_bad_api_keys_lock_the_address_out_of_the_native_api(tmp_path: Path) -> None:
    with serving(tmp_path, throttle_secret_free_failures=3, throttle_base_seconds=0.5) as live:
        alice = make_account(live.runtime)
        with live.client(BAD_KEY) as guesser:
            answers = [guesser.get("/api/v1/videos") for _ in range(4)]
        assert [r.status_code for r in answers] == [401, 401, 401, 429]
        assert answers[0].json()["error"]["code"] == "unauthenticated"
        assert answers[-1].headers["retry-after"] == "1"
        assert answers[-1].json() == {"error": {
            "code": "too_many_attempts", "status": 429, "retry_after": 1,
            "message": "too many bad API keys or signatures from your address: try again in 1 s"}}
        with live.client(alice.secret) as owner:
            assert owner.get("/api/v1/videos").status_code == 429  # refused before the key is looked up
            time.sleep(0.6)
            assert owner.get("/api/v1/videos").status_code == 200
        # the 429 is documented in the native API's description
        spec = httpx.get(f"{live.url}/openapi.json").json()
        assert spec["components"]["schemas"]["ErrorDetail"]["properties"]["retry_after"]


def test_each_dialect_answers_too_many_bad_keys_or_signatures_in_its_own_shape(tmp_path: Path) -> None:
    # Each dialect is tried from an address of its own (X-Forwarded-For from the loopback, which the
    # test server trusts as a proxy), so each count starts at zero.
    with serving(tmp_path, throttle_secret_free_failures=2) as live:
        alice = make_account(live.runtime)
        forged = php_sign({"algo": "sha256", "public_key": alice.public_id, "method": "upload", "action": "initiate",
                           "expires": int(time.time()) + 600}, "not-the-private-key")
        tries = {
            "integros": lambda c: c.get("/compat/integros/v1/videos/x.json", params={"access_key": BAD_KEY}),
            "ilos": lambda c: c.post("/compat/ilos/v1/token/upload", data={"api_key": BAD_KEY}),
            "valt": lambda c: c.post("/compat/valt/api/v3/records/create-upload", params={"access_token": BAD_KEY},
                                     json={"name": "x"}),
            "sparevideos": lambda c: c.get("/compat/sparevideos/api/v1/upload/initiate", params={"token": forged}),
        }
        answers = {}
        for n, (name, attempt) in enumerate(tries.items()):
            with httpx.Client(base_url=live.url, timeout=30, headers={"X-Forwarded-For": f"192.0.2.{n + 1}"}) as c:
                answers[name] = [attempt(c) for _ in range(3)]
        for name, rs in answers.items():
            assert [r.status_code for r in rs] == [401, 401, 429], (name, [r.text for r in rs])
            assert rs[-1].headers["retry-after"] == "1", name
        message = "too many bad API keys or signatures from your address: try again in 1 s"
        assert answers["integros"][-1].json() == {"error": message}
        assert answers["ilos"][-1].json() == {"worked": False, "level": "error", "message": message, "data": None}
        assert answers["valt"][-1].json() == {"error": {"code": 429, "message": message}}
        assert answers["sparevideos"][-1].json() == {"status": "error", "error": 401, "message": message}


@pytest.fixture
def redis_queue() -> Iterator[str]:
    """A queue name of this test's own on the real Redis; its throttle keys are removed afterwards."""
    name = f"test-{secrets.token_hex(6)}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{name}:*"))
    if keys:
        client.delete(*keys)


def test_two_servers_on_one_redis_share_the_counts(tmp_path: Path, redis_queue: str) -> None:
    shared = {"queue_url": REDIS_URL, "queue_name": redis_queue, "throttle_free_failures": 4,
              "throttle_secret_free_failures": 2}
    with serving(tmp_path, **shared) as one, serving(tmp_path, **shared) as two:
        alice: Account = make_account(one.runtime)
        with httpx.Client(base_url=one.url, timeout=30) as a, httpx.Client(base_url=two.url, timeout=30) as b:
            csrf_a, csrf_b = login_csrf(a), login_csrf(b)
            codes = [sign_in(a, alice.email, "wrong", csrf_a).status_code, sign_in(b, alice.email, "wrong", csrf_b).status_code,
                     sign_in(a, alice.email, "wrong", csrf_a).status_code, sign_in(b, alice.email, "wrong", csrf_b).status_code]
            assert codes == [401, 401, 401, 401]  # four free failures in all, two on each server
            assert sign_in(a, alice.email, "wrong", csrf_a).status_code == 429
            started = time.monotonic()
            refused = sign_in(b, alice.email, alice.password, csrf_b)  # the other server knows at once
            assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
            assert time.monotonic() - started < 1
            time.sleep(1.1)
            assert sign_in(b, alice.email, alice.password, csrf_b).status_code == 303
        # bad API keys add up across the servers too
        with one.client(BAD_KEY) as a, two.client(BAD_KEY) as b:
            assert [a.get("/api/v1/videos").status_code, b.get("/api/v1/videos").status_code,
                    a.get("/api/v1/videos").status_code] == [401, 401, 429]
