from __future__ import annotations

from tests.conftest import Account, LiveServer, make_account


def test_videos_create_returns_representation_with_upload_url(live: LiveServer, alice: Account) -> None:
    r = live.client(alice.secret).post(
        "/api/v1/videos",
        json={"title": "Holiday", "description": "beach", "template_fields": {"camera": "A"}, "public": True},
    )
    assert r.status_code == 201
    v = r.json()
    assert v["title"] == "Holiday" and v["description"] == "beach"
    assert v["state"] == "created" and v["progress"] == 0
    assert v["template_fields"] == {"camera": "A"} and v["public"] is True
    assert len(v["token"]) == 16 and int(v["token"], 16) >= 0
    assert v["upload_url"] == f"{live.url}/api/v1/videos/{v['id']}/source"


def test_videos_get_by_uuid_token_and_numeric_id(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    v = c.post("/api/v1/videos", json={"title": "x"}).json()
    assert c.get(f"/api/v1/videos/{v['id']}").json()["id"] == v["id"]
    assert c.get(f"/api/v1/videos/{v['token']}").json()["id"] == v["id"]


def test_videos_other_team_gets_404_not_403(live: LiveServer, alice: Account, bob: Account) -> None:
    v = live.client(alice.secret).post("/api/v1/videos", json={"title": "secret"}).json()
    c = live.client(bob.secret)
    for method in ("GET", "DELETE"):
        r = c.request(method, f"/api/v1/videos/{v['id']}")
        assert r.status_code == 404, method
        assert r.json()["error"]["code"] == "not_found"
    assert c.patch(f"/api/v1/videos/{v['id']}", json={"title": "mine"}).status_code == 404
    assert c.get(f"/api/v1/videos/{v['id']}/original").status_code == 404
    assert c.get("/api/v1/videos").json()["total"] == 0
    assert live.client(alice.secret).get(f"/api/v1/videos/{v['id']}").json()["title"] == "secret"


def test_videos_list_pagination_newest_first_with_link_headers(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    ids = [c.post("/api/v1/videos", json={"title": f"v{i}"}).json()["id"] for i in range(5)]
    r = c.get("/api/v1/videos", params={"per_page": 2, "page": 2})
    body = r.json()
    assert body["total"] == 5 and body["pages"] == 3 and body["page"] == 2
    assert [v["id"] for v in body["items"]] == list(reversed(ids))[2:4]
    link = r.headers["link"]
    assert 'rel="next"' in link and 'rel="prev"' in link and "page=3" in link
    assert r.headers["x-total-count"] == "5"
    assert c.get("/api/v1/videos", params={"per_page": 101}).status_code == 422


def test_videos_search_by_words_and_filter_by_state_and_project(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    p = c.post("/api/v1/projects", json={"name": "Trips"}).json()
    c.post("/api/v1/videos", json={"title": "Sunset at the beach", "project": p["id"]})
    c.post("/api/v1/videos", json={"title": "Mountain", "description": "a BEACH far away"})
    c.post("/api/v1/videos", json={"title": "Office 100%"})
    titles = {v["title"] for v in c.get("/api/v1/videos", params={"q": "beach"}).json()["items"]}
    assert titles == {"Sunset at the beach", "Mountain"}
    assert [v["title"] for v in c.get("/api/v1/videos", params={"q": "beach sunset"}).json()["items"]] == [
        "Sunset at the beach"
    ]
    assert [v["title"] for v in c.get("/api/v1/videos", params={"q": "100%"}).json()["items"]] == ["Office 100%"]
    assert c.get("/api/v1/videos", params={"q": "%"}).json()["total"] == 1
    in_project = c.get("/api/v1/videos", params={"project": p["id"]}).json()
    assert [v["title"] for v in in_project["items"]] == ["Sunset at the beach"]
    assert c.get("/api/v1/videos", params={"state": "created"}).json()["total"] == 3
    assert c.get("/api/v1/videos", params={"state": "ready"}).json()["total"] == 0
    bad = c.get("/api/v1/videos", params={"state": "bogus"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "state"


def test_videos_patch_changes_fields_and_refuses_unknown(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    v = c.post("/api/v1/videos", json={"title": "old"}).json()
    r = c.patch(f"/api/v1/videos/{v['id']}", json={"title": "new", "public": True})
    assert r.status_code == 200 and r.json()["title"] == "new" and r.json()["public"] is True
    bad = c.patch(f"/api/v1/videos/{v['id']}", json={"state": "ready"})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "state"
    assert c.get(f"/api/v1/videos/{v['id']}").json()["state"] == "created"


def test_videos_malformed_json_is_400(live: LiveServer, alice: Account) -> None:
    r = live.client(alice.secret).post(
        "/api/v1/videos", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "malformed_json"


def test_videos_quota_on_count_names_the_limit(live: LiveServer) -> None:
    from reelbase.core.auth import accounts

    acct = make_account(live.runtime)
    with live.runtime.session() as db:
        from reelbase.db.models import Team

        team = db.get_one(Team, acct.team_id)
        accounts.set_team_limits(db, team=team, quota_videos=2)
        db.commit()
    c = live.client(acct.secret)
    assert c.post("/api/v1/videos", json={}).status_code == 201
    assert c.post("/api/v1/videos", json={}).status_code == 201
    r = c.post("/api/v1/videos", json={})
    assert r.status_code == 413
    assert r.json()["error"]["limit"] == "quota_videos"
    assert "quota_videos" in r.json()["error"]["message"]


def test_organization_key_videos_have_no_owner_user(live: LiveServer) -> None:
    from reelbase.db.models import Video

    acct = make_account(live.runtime, key_type="organization")
    v = live.client(acct.secret).post("/api/v1/videos", json={"title": "org"}).json()
    with live.runtime.session() as db:
        from sqlalchemy import select

        video = db.scalar(select(Video).where(Video.uuid == v["id"]))
        assert video is not None and video.user_id is None and video.team_id == acct.team_id


def test_openapi_and_docs_are_served(live: LiveServer) -> None:
    spec = live.client().get("/openapi.json").json()
    assert "/api/v1/videos/{video_id}/source" in spec["paths"]
    assert "/api/v1/projects" in spec["paths"]
    docs = live.client().get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
