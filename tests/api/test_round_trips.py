"""Round trips per read: each read the API and the dialects answer costs a small constant number
of SQL statements, the same for a list of 3 videos as for a list of 30, so rendering never lazy
loads a video's files, project or parent one row at a time.

Statements are counted on the live server's engine (``before_cursor_execute``) while one request
runs. Those issued while authenticating the request (from ``reelbase.core.auth``, the request
dependencies or a dialect's ``auth`` module: key, user and team today) are counted apart and only
bounded, so what is asserted is the read's own cost, whatever authentication costs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidRequestError

from reelbase.core.auth import accounts
from reelbase.core.runtime import Runtime
from reelbase.core.videos import Show, catalog, projects
from reelbase.core.videos.assets import NewAsset, replace_assets
from reelbase.db.models import AssetKind
from tests.conftest import Account, LiveServer
from tests.dialects import pixop_client, sparevideos_client

# What one read may cost, besides authentication.
VIDEO_READ = 1  # the video, its project and parent joined, its files in the same statement
LIST_READ = 3  # the count, the page (projects and parents joined), the page's files in one statement
PROJECTS_READ = 3  # the count, the page, the video counts of the page's projects grouped
DIALECT_READ = 1  # a video without its files (Integros, ilos)
DIALECT_LIST_READ = 2  # the count and the page (Integros)
FILE_INFO_READ = 1  # SpareVideos me/file: the video with its files
PIXOP_READ = 3  # the video with its files, then its upload sessions and its jobs
AUTH_AT_MOST = 4  # key, user and team, and for a Pixop JWT the membership (fewer once a cache answers)


@dataclass
class Statements:
    auth: list[str] = field(default_factory=list)
    read: list[str] = field(default_factory=list)


AUTH_MODULES = ("reelbase.core.auth", "reelbase.edge.deps")  # and each dialect's auth module


def _authenticating() -> bool:
    """Whether the statement about to run comes from authentication (found on the call stack)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.startswith(AUTH_MODULES) or (name.startswith("reelbase.dialects.") and name.endswith(".auth")):
            return True
        frame = frame.f_back
    return False


@contextmanager
def counting(engine: Engine) -> Iterator[Statements]:
    seen = Statements()

    def before(conn: object, cursor: object, statement: str, *args: object) -> None:
        (seen.auth if _authenticating() else seen.read).append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def measured(live: LiveServer, send: httpx.Client, method: str, url: str, **kwargs: object) -> tuple[httpx.Response, Statements]:
    with counting(live.runtime.engine) as seen:
        r = send.request(method, url, **kwargs)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    assert len(seen.auth) <= AUTH_AT_MOST, seen.auth
    return r, seen


def _files(video_uuid: str, n: int) -> list[NewAsset]:
    """What ingest and the ladder store for a video: original, renditions, manifests,
    thumbnails at two sizes (one default), a storyboard."""
    root = f"videos/{video_uuid}/set-{n}/"
    out = [NewAsset(kind=AssetKind.original.value, label="original", storage_key=root + "source", size_bytes=1000,
                    content_type="video/mp4")]
    for height in (360, 480, 720):
        out.append(NewAsset(kind=AssetKind.rendition.value, label=str(height), storage_key=f"{root}{height}.mp4",
                            size_bytes=height, content_type="video/mp4", height=height, width=height * 16 // 9,
                            extra={"container": "mp4"}))
    for label, path in (("hls", "master.m3u8"), ("dash", "manifest.mpd")):
        out.append(NewAsset(kind=AssetKind.manifest.value, label=label, storage_key=root + label + "/" + path,
                            size_bytes=100, content_type="application/vnd.apple.mpegurl", extra={"path": path}))
    for index in range(1, 4):
        for height in (360, 720):
            out.append(NewAsset(kind=AssetKind.thumbnail.value, label=f"{index:02d}_{height}",
                                storage_key=f"{root}thumb_{index}_{height}.jpg", size_bytes=10,
                                content_type="image/jpeg", height=height, width=height * 16 // 9,
                                is_default=index == 1, extra={"index": index, "time_s": index}))
    out.append(NewAsset(kind=AssetKind.storyboard.value, label="vtt", storage_key=root + "storyboard.vtt",
                        size_bytes=10, content_type="text/vtt"))
    return out


def seed(runtime: Runtime, acct: Account, count: int) -> list[str]:
    """``count`` videos of the account's team as the pipeline leaves them: every other one with
    its files, some in one of three projects, one derived from another. Returns their tokens."""
    tokens = []
    with runtime.session() as db:
        principal = accounts.authenticate_secret(db, acct.secret)
        folders = [projects.add_project(db, principal, name=f"p{i}") for i in range(3)]
        first = None
        for i in range(count):
            video = catalog.add_video(db, principal, settings=runtime.settings, title=f"v{i}",
                                      project_ref=folders[i % 3].uuid if i % 2 else None,
                                      parent=first if i == 1 else None)
            video.state, video.duration_ms, video.original_filename = "ready", 1000 + i, f"v{i}.mp4"
            if i % 2 == 0:
                replace_assets(db, video, [k.value for k in AssetKind], _files(video.uuid, i))
            first = first or video
            tokens.append(video.token)
        db.commit()
    return tokens


def test_native_video_and_lists_cost_a_constant_number_of_statements(live: LiveServer, alice: Account) -> None:
    tokens = seed(live.runtime, alice, 3)
    with live.client(alice.secret) as c:
        for token in tokens[:2]:  # one with files and no parent, one derived, in a project, without files
            r, seen = measured(live, c, "GET", f"/api/v1/videos/{token}")
            assert r.json()["token"] == token
            assert len(seen.read) == VIDEO_READ, seen.read
        assert r.json()["parent"] is not None and r.json()["project"] is not None
        r, few = measured(live, c, "GET", "/api/v1/videos", params={"per_page": 30})
        assert len(r.json()["items"]) == 3 and len(few.read) == LIST_READ, few.read
        seed(live.runtime, alice, 27)
        r, many = measured(live, c, "GET", "/api/v1/videos", params={"per_page": 30})
        body = r.json()
        assert len(body["items"]) == 30 and sum(len(v["thumbnails"]) for v in body["items"]) > 30
        assert len(many.read) == LIST_READ, many.read
        r, seen = measured(live, c, "GET", "/api/v1/projects")
        assert len(r.json()["items"]) == 6 and {p["video_count"] for p in r.json()["items"]} > {0}
        assert len(seen.read) == PROJECTS_READ, seen.read


def test_dialect_reads_cost_a_constant_number_of_statements(live: LiveServer, alice: Account) -> None:
    tokens = seed(live.runtime, alice, 3)
    key = {"access_key": alice.secret}
    with httpx.Client(base_url=live.url, timeout=60) as c:
        r, few = measured(live, c, "GET", "/compat/integros/v1/videos.json", params=key)
        assert len(r.json()) == 3 and len(few.read) == DIALECT_LIST_READ, few.read
        r, seen = measured(live, c, "GET", f"/compat/integros/v1/videos/{tokens[0]}.json", params=key)
        assert r.json()["token"] == tokens[0] and len(seen.read) == DIALECT_READ, seen.read
        r, seen = measured(live, c, "POST", "/compat/ilos/video/metadata",
                           json={"api_key": alice.secret, "randtag": tokens[0]})
        assert r.json()["data"]["totalMs"] == 1000 and len(seen.read) == DIALECT_READ, seen.read
        for token in tokens[:2]:
            r, seen = measured(live, c, "GET", f"{sparevideos_client.API}/me/file",
                               params={"token": sparevideos_client.token(alice, "file", "get", file_code=token)})
            assert r.json()["code"] == token and len(seen.read) == FILE_INFO_READ, seen.read
        assert r.json()["thumbnail"] is None and "hls" not in r.json()["streams"]
        seed(live.runtime, alice, 27)
        r, many = measured(live, c, "GET", "/compat/integros/v1/videos.json", params={**key, "per_page": 30})
        assert len(r.json()) == 30 and len(many.read) == DIALECT_LIST_READ, many.read
    jwt = pixop_client.login(live, alice)
    with pixop_client.service(live, jwt) as c:
        for token in tokens[:2]:
            r, seen = measured(live, c, "GET", f"/videos/v1/video/{token}")
            assert r.json()["video"]["name"] in ("v0", "v1") and len(seen.read) == PIXOP_READ, seen.read
        assert r.json()["video"]["parentId"] is not None


def test_a_read_loads_what_it_shows_and_cannot_lazy_load_the_rest(runtime: Runtime, alice: Account) -> None:
    tokens = seed(runtime, alice, 2)
    with runtime.session() as db:
        principal = accounts.authenticate_secret(db, alice.secret)
    with runtime.session() as db:
        child = catalog.find_video(db, principal, tokens[1], show=Show.REFS)
        assert child.parent is not None and child.project is not None
        for unasked in ("assets", "team"):
            with pytest.raises(InvalidRequestError, match="lazy"):
                getattr(child, unasked)
    with runtime.session() as db:
        with pytest.raises(InvalidRequestError, match="lazy"):
            catalog.find_video(db, principal, tokens[0], show=Show.ROW).project  # noqa: B018
    with runtime.session() as db:
        page = catalog.list_videos(db, principal, show=Show.FILES | Show.OWNERS)
        assert sorted(len(v.assets) for v in page.items) == [0, len(_files("x", 0))]
        assert {v.team.uuid for v in page.items} == {principal.team.uuid}
    with runtime.session() as db:  # a lookup that names nothing loads the rest on first use
        plain = catalog.find_video(db, principal, tokens[0])
        assert plain.project is None and len(plain.assets) == len(_files("x", 0))
