from __future__ import annotations

from reelbase.core.auth import accounts
from tests.conftest import Account, LiveServer


def test_auth_missing_key_is_401_with_error_shape(live: LiveServer) -> None:
    r = live.client().get("/api/v1/videos")
    assert r.status_code == 401
    body = r.json()
    assert body["error"]["code"] == "unauthenticated"
    assert "API key" in body["error"]["message"]


def test_auth_bad_key_is_401(live: LiveServer) -> None:
    r = live.client("rb_notakey").get("/api/v1/me")
    assert r.status_code == 401
    assert r.json()["error"]["status"] == 401


def test_auth_bearer_and_x_api_key_both_work(live: LiveServer, alice: Account) -> None:
    me1 = live.client(alice.secret).get("/api/v1/me").json()
    me2 = live.client(headers={"X-Api-Key": alice.secret}).get("/api/v1/me").json()
    assert me1["user"]["email"] == alice.email == me2["user"]["email"]
    assert me1["key"]["public_id"] == alice.public_id
    assert me1["key"]["type"] == "user"


def test_auth_revoked_key_stops_working(live: LiveServer, alice: Account) -> None:
    client = live.client(alice.secret)
    assert client.get("/api/v1/me").status_code == 200
    with live.runtime.session() as db:
        accounts.revoke_api_key(db, alice.public_id)
        db.commit()
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert "revoked" in r.json()["error"]["message"]


def test_auth_banned_user_keys_stop_working(live: LiveServer, alice: Account) -> None:
    client = live.client(alice.secret)
    with live.runtime.session() as db:
        accounts.set_banned(db, email=alice.email, banned=True)
        db.commit()
    r = client.get("/api/v1/me")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "user_banned"


def test_auth_key_secret_is_not_stored_but_derivable(live: LiveServer, alice: Account) -> None:
    from sqlalchemy import select

    from reelbase.db.models import ApiKey

    with live.runtime.session() as db:
        key = db.scalar(select(ApiKey).where(ApiKey.public_id == alice.public_id))
        assert key is not None
        stored = " ".join(str(getattr(key, c.key)) for c in ApiKey.__table__.columns)
        assert alice.secret not in stored
        assert accounts.key_secret(key, live.runtime.secret_key) == alice.secret


def test_me_reports_team_limits_and_usage(live: LiveServer, alice: Account) -> None:
    body = live.client(alice.secret).get("/api/v1/me").json()
    assert body["team"]["usage"] == {"stored_bytes": 0, "videos": 0}
    assert body["team"]["limits"]["max_upload_bytes"] == live.runtime.settings.max_upload_bytes


def test_password_verification(live: LiveServer, alice: Account) -> None:
    import pytest

    from reelbase.core.errors import Unauthenticated

    guard = {"throttle": live.runtime.throttle, "client": "127.0.0.1"}
    with live.runtime.session() as db:
        assert accounts.verify_password(db, email=alice.email, password=alice.password, **guard).email == alice.email
        with pytest.raises(Unauthenticated):
            accounts.verify_password(db, email=alice.email, password="wrong-password", **guard)
        with pytest.raises(Unauthenticated):
            accounts.verify_password(db, email="nobody@example.com", password="whatever1", **guard)
