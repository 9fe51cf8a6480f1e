"""/api/v1/keys over real HTTP: create (secret once), list, revoke; scoped to the caller."""

from __future__ import annotations

from tests.conftest import Account, LiveServer, login_csrf, make_account


def test_keys_create_list_and_revoke_stops_the_key(live: LiveServer, alice: Account) -> None:
    with live.client(alice.secret) as client:
        r = client.post("/api/v1/keys", json={"name": "ci deploys"})
        assert r.status_code == 201, r.text
        made = r.json()
        assert made["type"] == "user" and made["name"] == "ci deploys" and not made["revoked"]
        assert made["secret"].startswith("rb_") and len(made["secret"]) > 40
        assert made["owner"] == alice.email

        listed = client.get("/api/v1/keys").json()["items"]
        assert [k["public_id"] for k in listed] == [alice.public_id, made["public_id"]]
        assert all("secret" not in k for k in listed)

        with live.client(made["secret"]) as new:
            me = new.get("/api/v1/me")
            assert me.status_code == 200 and me.json()["key"]["public_id"] == made["public_id"]
            assert client.get(f"/api/v1/keys/{made['public_id']}").json()["last_used_at"] is not None

            assert client.delete(f"/api/v1/keys/{made['public_id']}").status_code == 204
            refused = new.get("/api/v1/me")
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
        again = client.delete(f"/api/v1/keys/{made['public_id']}")
        assert again.status_code == 204  # idempotent
        shown = client.get(f"/api/v1/keys/{made['public_id']}").json()
        assert shown["revoked"] and shown["revoked_at"]
        assert client.get("/api/v1/me").status_code == 200  # the other key still works


def test_keys_are_scoped_to_the_team_and_to_their_owner(live: LiveServer, alice: Account, bob: Account) -> None:
    carol = make_account(live.runtime, team=alice.email)  # alice's team is named after her
    assert carol.team_id == alice.team_id
    with live.client(alice.secret) as a, live.client(bob.secret) as b, live.client(carol.secret) as c:
        org = a.post("/api/v1/keys", json={"name": "team", "type": "organization"})
        assert org.status_code == 201 and org.json()["type"] == "organization"
        org_id = org.json()["public_id"]
        with live.client(org.json()["secret"]) as as_org:
            assert as_org.get("/api/v1/me").json()["key"]["type"] == "organization"
            assert org_id in [k["public_id"] for k in as_org.get("/api/v1/keys").json()["items"]]

        # another team sees none of it and cannot revoke it
        assert [k["public_id"] for k in b.get("/api/v1/keys").json()["items"]] == [bob.public_id]
        assert b.get(f"/api/v1/keys/{org_id}").status_code == 404
        assert b.delete(f"/api/v1/keys/{org_id}").status_code == 404
        assert b.delete(f"/api/v1/keys/{alice.public_id}").status_code == 404
        assert a.get("/api/v1/me").status_code == 200

        # a teammate sees the organization key, not alice's personal key, and cannot revoke that
        seen = [k["public_id"] for k in c.get("/api/v1/keys").json()["items"]]
        assert seen == [carol.public_id, org_id]
        assert c.delete(f"/api/v1/keys/{alice.public_id}").status_code == 404
        assert a.get("/api/v1/me").status_code == 200
        assert c.delete(f"/api/v1/keys/{org_id}").status_code == 204  # the team's key: any member
        assert a.get(f"/api/v1/keys/{org_id}").json()["revoked"]


def test_key_creation_refuses_bad_input_and_needs_csrf_with_a_session(live: LiveServer, alice: Account) -> None:
    with live.client(alice.secret) as client:
        bad = client.post("/api/v1/keys", json={"type": "admin"})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "type"
        long = client.post("/api/v1/keys", json={"name": "x" * 201})
        assert long.status_code == 422
        extra = client.post("/api/v1/keys", json={"name": "a", "secret": "mine"})
        assert extra.status_code == 422
        assert client.delete("/api/v1/keys/pk_nope").status_code == 404
    with live.client() as browser:
        assert browser.get("/api/v1/keys").status_code == 401
        browser.post("/login", data={"email": alice.email, "password": alice.password, "next": "/",
                                     "csrf": login_csrf(browser)})
        assert browser.get("/api/v1/keys").status_code == 200
        forged = browser.post("/api/v1/keys", json={"name": "from another site"})
        assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_failed"
        assert browser.delete(f"/api/v1/keys/{alice.public_id}").status_code == 403
