from __future__ import annotations

import os

import pytest

from tests.conftest import Account, LiveServer


@pytest.fixture
def uploaded(live: LiveServer, alice: Account) -> tuple[dict, bytes]:
    c = live.client(alice.secret)
    v = c.post("/api/v1/videos", json={"title": "dl"}).json()
    data = os.urandom(1_234_567)
    c.put(f"/api/v1/videos/{v['id']}/source", params={"filename": "movie.mp4"}, content=data)
    return v, data


def test_download_range_206_with_content_range(live: LiveServer, alice: Account, uploaded) -> None:
    v, data = uploaded
    c = live.client(alice.secret)
    r = c.get(f"/api/v1/videos/{v['id']}/original", headers={"Range": "bytes=100-199"})
    assert r.status_code == 206
    assert r.content == data[100:200]
    assert r.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert r.headers["content-length"] == "100"
    tail = c.get(f"/api/v1/videos/{v['id']}/original", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == data[-10:]
    open_end = c.get(f"/api/v1/videos/{v['id']}/original", headers={"Range": f"bytes={len(data) - 5}-"})
    assert open_end.content == data[-5:]
    past_end = c.get(f"/api/v1/videos/{v['id']}/original", headers={"Range": f"bytes=10-{len(data) * 2}"})
    assert past_end.status_code == 206 and past_end.content == data[10:]


def test_download_range_beyond_end_416(live: LiveServer, alice: Account, uploaded) -> None:
    v, data = uploaded
    r = live.client(alice.secret).get(
        f"/api/v1/videos/{v['id']}/original", headers={"Range": f"bytes={len(data)}-"}
    )
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(data)}"
    assert r.json()["error"]["code"] == "range_not_satisfiable"


def test_download_etag_if_none_match_304_and_head(live: LiveServer, alice: Account, uploaded) -> None:
    v, data = uploaded
    c = live.client(alice.secret)
    first = c.get(f"/api/v1/videos/{v['id']}/original")
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = c.get(f"/api/v1/videos/{v['id']}/original", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = c.get(f"/api/v1/videos/{v['id']}/original", headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200 and other.content == data
    head = c.head(f"/api/v1/videos/{v['id']}/original")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(data)) and head.headers["etag"] == etag


def test_download_of_video_without_file_is_409(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    v = c.post("/api/v1/videos", json={}).json()
    r = c.get(f"/api/v1/videos/{v['id']}/original")
    assert r.status_code == 409
    assert "no file yet" in r.json()["error"]["message"]


def test_delete_video_removes_stored_objects_and_derived(live: LiveServer, alice: Account, uploaded) -> None:
    from sqlalchemy import select

    from reelbase.core.context import Principal
    from reelbase.core.videos.catalog import add_video, find_video
    from reelbase.db.models import ApiKey, Team, User, Video

    v, _ = uploaded
    rt = live.runtime
    with rt.session() as db:
        key = db.scalar(select(ApiKey).where(ApiKey.public_id == alice.public_id))
        principal = Principal(user=db.get_one(User, key.user_id), team=db.get_one(Team, key.team_id), api_key=key)
        parent = find_video(db, principal, v["id"])
        child = add_video(db, principal, settings=rt.settings, title="derived", parent=parent)
        db.commit()
        child_uuid = child.uuid
    rt.store.put_stream(f"videos/{child_uuid}/processed/out.mov", [b"derived bytes"])
    assert len(list(rt.store.list("videos/"))) == 2
    c = live.client(alice.secret)
    assert c.delete(f"/api/v1/videos/{v['id']}").status_code == 204
    assert c.get(f"/api/v1/videos/{v['id']}").status_code == 404
    assert c.get(f"/api/v1/videos/{child_uuid}").status_code == 404
    assert list(rt.store.list("videos/")) == []
    with rt.session() as db:
        assert db.scalar(select(Video).where(Video.uuid == child_uuid)) is None
