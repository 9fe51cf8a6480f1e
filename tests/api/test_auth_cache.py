"""Authentication from the principal cache, over real HTTP: a known key, token, signature or
session costs no query and writes nothing, and a revocation, a ban, a rotated signing key or a
changed team limit is seen on the very next request (core/auth/principal_cache.py,
core/auth/key_use.py). Two processes on PostgreSQL + Redis: tests/test_serve_auth.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event, select, update

from reelbase.core import auth as core_auth
from reelbase.core.auth import accounts
from reelbase.core.auth.key_use import KeyUse
from reelbase.core.errors import Banned, Unauthenticated
from reelbase.core.runtime import Runtime, build_runtime
from reelbase.db.models import ApiKey, Team, User
from tests.conftest import Account, LiveServer, login_csrf, make_account, make_settings
from tests.dialects.pixop_client import basic, failure_of, login, service
from tests.dialects.sparevideos_client import API as SPARE_API
from tests.dialects.sparevideos_client import expect_error, token


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """Every SQL statement the runtime's engine sends while inside."""
    sent: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)


def writes(sent: list[str]) -> list[str]:
    return [s for s in sent if not s.lstrip().upper().startswith("SELECT")]


def test_auth_cache_a_known_key_costs_no_query_and_the_cache_holds_no_secret(live: LiveServer,
                                                                           alice: Account) -> None:
    runtime = live.runtime
    with live.client(alice.secret) as client:
        assert client.get("/api/v1/me").status_code == 200
        with statements(runtime) as sent:
            for _ in range(20):
                assert accounts.authenticate_api_key(runtime, alice.secret, client="127.0.0.1").user.email == alice.email
        assert sent == []
        cached = repr(runtime.auth_cache.keys())
        assert alice.secret not in cached and accounts._sha256(alice.secret) in cached

        runtime.auth_cache.clear()
        with statements(runtime) as sent:
            accounts.authenticate_api_key(runtime, alice.secret, client="127.0.0.1")
        assert len(sent) == 1 and sent[0].lstrip().upper().startswith("SELECT"), sent  # one join

        # over HTTP too: twenty requests after the first write nothing (last_used_at is recorded
        # at most once a minute per key)
        with statements(runtime) as sent:
            for _ in range(20):
                assert client.get("/api/v1/keys").status_code == 200
        assert writes(sent) == []


def test_auth_cache_a_revoked_key_is_refused_on_the_very_next_request(live: LiveServer, alice: Account) -> None:
    with live.client(alice.secret) as owner:
        made = owner.post("/api/v1/keys", json={"name": "short-lived"}).json()
        with live.client(made["secret"]) as key:
            for _ in range(5):
                assert key.get("/api/v1/me").status_code == 200
            assert owner.delete(f"/api/v1/keys/{made['public_id']}").status_code == 204
            refused = key.get("/api/v1/me")
            assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]
        assert owner.get("/api/v1/me").status_code == 200


def test_auth_cache_a_ban_its_lifting_and_new_team_limits_are_seen_at_once(live: LiveServer,
                                                                          alice: Account) -> None:
    with live.client(alice.secret) as client:
        assert client.get("/api/v1/me").json()["team"]["limits"]["quota_videos"] > 3
        with live.runtime.session() as db:
            accounts.set_banned(db, email=alice.email, banned=True, reason="testing")
            db.commit()
        banned = client.get("/api/v1/me")
        assert banned.status_code == 403 and banned.json()["error"]["code"] == "user_banned"
        assert "testing" in banned.json()["error"]["message"]
        with live.runtime.session() as db:
            accounts.set_banned(db, email=alice.email, banned=False)
            db.commit()
        assert client.get("/api/v1/me").status_code == 200
        with live.runtime.session() as db:
            accounts.set_team_limits(db, team=db.get_one(Team, alice.team_id), quota_videos=3)
            db.commit()
        assert client.get("/api/v1/me").json()["team"]["limits"]["quota_videos"] == 3


def test_auth_cache_a_change_made_in_bulk_drops_everything(live: LiveServer, alice: Account) -> None:
    with live.client(alice.secret) as client:
        assert client.get("/api/v1/me").status_code == 200
        with live.runtime.session() as db:
            db.execute(update(User).where(User.email == alice.email).values(banned=True))
            db.commit()
        assert len(live.runtime.auth_cache) == 0
        assert client.get("/api/v1/me").status_code == 403


def test_auth_cache_jwt_costs_no_query_and_rotation_and_ban_are_seen_at_once(live: LiveServer,
                                                                            alice: Account) -> None:
    runtime = live.runtime
    jwt = login(live, alice)
    with service(live, jwt) as c:
        assert c.get("/accounts/v1/account").status_code == 200
        with statements(runtime) as sent:
            for _ in range(10):
                assert core_auth.authenticate_token(runtime, jwt).user.email == alice.email
        assert sent == []

        # a password change keeps the token (Pixop's rule) but drops what the cache knew of the user
        with service(live, headers=basic(alice.email, alice.password)) as account:
            changed = account.post("/accounts/v1/update-password", json={"newPassword": "another-password"})
            assert changed.status_code == 200, changed.text
        assert not [k for k in runtime.auth_cache.keys() if k[0] == "jwt_signer"]
        assert c.get("/accounts/v1/account").status_code == 200

        with service(live, headers=basic(alice.email, "another-password")) as account:
            assert account.get("/accounts/v1/generate-auth-secret").status_code == 200
        replaced = c.get("/accounts/v1/account")
        assert replaced.status_code == 401 and failure_of(replaced) == "InvalidJWTTokenFoundException"

    fresh = login(live, Account(alice.email, "another-password", alice.secret, alice.public_id, alice.team_id))
    with service(live, fresh) as c:
        assert c.get("/accounts/v1/account").status_code == 200
        with runtime.session() as db:
            accounts.set_banned(db, email=alice.email, banned=True)
            db.commit()
        banned = c.get("/accounts/v1/account")
        assert banned.status_code == 403 and failure_of(banned) == "UserBannedException"


def test_auth_cache_signed_requests_cost_no_query_and_a_revoked_key_is_refused_at_once(
    live: LiveServer, alice: Account
) -> None:
    runtime = live.runtime
    with httpx.Client(base_url=live.url, timeout=60) as c:
        listed = c.get(f"{SPARE_API}/me/files", params={"token": token(alice, "files", "get")})
        assert listed.json()["status"] == "success", listed.text
        signed = token(alice, "files", "get")
        with statements(runtime) as sent:
            for _ in range(10):
                core_auth.verify_signed_request(runtime, signed, method="files", action="get", client="127.0.0.1")
        assert sent == []
        with runtime.session() as db:
            accounts.revoke_api_key(db, alice.public_id)
            db.commit()
        expect_error(c.get(f"{SPARE_API}/me/files", params={"token": token(alice, "files", "get")}), 401, 401)


def test_auth_cache_a_signed_in_browser_is_refused_at_once_when_banned(live: LiveServer, alice: Account) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as browser:
        signed_in = browser.post("/login", data={"email": alice.email, "password": alice.password, "next": "/",
                                                 "csrf": login_csrf(browser)})
        assert signed_in.status_code == 303
        assert browser.get("/api/v1/keys").status_code == 200
        cookie = browser.cookies["reelbase_session"]
        with statements(live.runtime) as sent:
            for _ in range(10):
                assert core_auth.read_session(live.runtime, cookie)[0].user.email == alice.email
        assert sent == []
        with live.runtime.session() as db:
            accounts.set_banned(db, email=alice.email, banned=True)
            db.commit()
        assert browser.get("/api/v1/keys").status_code == 403


def test_auth_cache_processes_sharing_a_data_directory_see_each_others_changes_at_once(tmp_path: Path) -> None:
    settings = {"auth_cache_seconds": 600.0}
    here = build_runtime(make_settings(tmp_path, **settings))
    there = build_runtime(make_settings(tmp_path, **settings))  # another process on the same SQLite file
    try:
        alice, bob = make_account(here), make_account(here)
        for runtime in (here, there):
            for secret in (alice.secret, bob.secret):
                accounts.authenticate_api_key(runtime, secret, client="127.0.0.1")
            assert len(runtime.auth_cache) == 2
        with here.session() as db:
            accounts.revoke_api_key(db, alice.public_id)
            db.commit()
        with pytest.raises(Unauthenticated):
            accounts.authenticate_api_key(there, alice.secret, client="127.0.0.1")
        with there.session() as db:
            accounts.set_banned(db, email=bob.email, banned=True)
            db.commit()
        with pytest.raises(Banned):
            accounts.authenticate_api_key(here, bob.secret, client="127.0.0.1")
    finally:
        here.engine.dispose()
        there.engine.dispose()


def test_auth_cache_last_used_is_recorded_once_an_interval_and_never_backwards(live: LiveServer,
                                                                              alice: Account) -> None:
    runtime = live.runtime
    with live.client(alice.secret) as client:
        with statements(runtime) as sent:
            assert client.get("/api/v1/me").status_code == 200  # the key's first use
        assert len(writes(sent)) == 1, sent
        first = client.get(f"/api/v1/keys/{alice.public_id}").json()["last_used_at"]
        assert first is not None

    with runtime.session() as db:
        key = accounts.authenticate_secret(db, alice.secret).api_key
    assert key is not None and key.last_used_at is not None
    start = key.last_used_at
    use = KeyUse(runtime.engine, interval=60)  # this process's recorder, as another process's
    with statements(runtime) as sent:
        use.used(key, now=start + dt.timedelta(seconds=30))  # within the interval: nothing
    assert sent == []
    use.used(key, now=start + dt.timedelta(seconds=61))
    use.flush()
    later = start + dt.timedelta(seconds=61)

    def stored() -> dt.datetime | None:
        with runtime.session() as db:
            return db.scalar(select(ApiKey.last_used_at).where(ApiKey.id == key.id))

    assert stored() == later
    other = KeyUse(runtime.engine, interval=60)  # a process whose record is older
    other.used(key, now=start + dt.timedelta(seconds=40))
    other.flush()
    assert stored() == later, "a late record never moves last_used_at backwards"
