"""The ``upload.completed`` event: queued for a team's subscriptions once a video's original is
stored, before ingest, and only for subscriptions that asked for it."""

from __future__ import annotations

from tests.conftest import Account, LiveServer


def test_upload_completed_is_queued_for_subscribers_once(live: LiveServer, alice: Account) -> None:
    with live.client(alice.secret) as c:
        wanted = c.post("/api/v1/webhooks", json={"url": "https://hooks.example/up", "events": ["upload.completed"]})
        other = c.post("/api/v1/webhooks", json={"url": "https://hooks.example/ready", "events": ["video.ready"]})
        assert wanted.status_code == other.status_code == 201
        video = c.post("/api/v1/videos", json={"title": "event me"}).json()
        assert c.get(f"/api/v1/webhooks/{wanted.json()['id']}/deliveries").json()["items"] == []
        sent = c.put(f"/api/v1/videos/{video['id']}/source", params={"filename": "a.mp4"}, content=b"\x00" * 1000)
        assert sent.status_code == 200, sent.text
        items = c.get(f"/api/v1/webhooks/{wanted.json()['id']}/deliveries").json()["items"]
        assert [d["event"] for d in items] == ["upload.completed"]
        data = items[0]["payload"]["data"]
        assert items[0]["payload"]["type"] == "upload.completed"
        assert video["id"] in (data.get("id"), data.get("video_id"), data.get("uuid")), data
        assert c.get(f"/api/v1/webhooks/{other.json()['id']}/deliveries").json()["items"] == []
