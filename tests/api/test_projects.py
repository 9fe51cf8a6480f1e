from __future__ import annotations

from tests.conftest import Account, LiveServer


def test_projects_crud_and_video_count(live: LiveServer, alice: Account, bob: Account) -> None:
    c = live.client(alice.secret)
    p = c.post("/api/v1/projects", json={"name": "Films", "description": "long ones"})
    assert p.status_code == 201
    pid = p.json()["id"]
    c.post("/api/v1/videos", json={"title": "in", "project": pid})
    got = c.get(f"/api/v1/projects/{pid}").json()
    assert got["name"] == "Films" and got["video_count"] == 1
    assert c.patch(f"/api/v1/projects/{pid}", json={"name": "Movies"}).json()["name"] == "Movies"
    listing = c.get("/api/v1/projects").json()
    assert listing["total"] == 1 and listing["items"][0]["name"] == "Movies"
    assert live.client(bob.secret).get(f"/api/v1/projects/{pid}").status_code == 404
    assert c.delete(f"/api/v1/projects/{pid}").status_code == 204
    assert c.get(f"/api/v1/projects/{pid}").status_code == 404
    videos = c.get("/api/v1/videos").json()["items"]
    assert videos[0]["title"] == "in" and videos[0]["project"] is None


def test_projects_validation_names_field(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    r = c.post("/api/v1/projects", json={"name": ""})
    assert r.status_code == 422 and r.json()["error"]["field"] == "name"
    r = c.post("/api/v1/projects", json={"name": "x", "color": "red"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "color"
    r = c.post("/api/v1/videos", json={"project": "no-such-project"})
    assert r.status_code == 404 and r.json()["error"]["field"] == "project"
