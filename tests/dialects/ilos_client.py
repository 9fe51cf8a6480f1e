"""Helpers for the ilos golden tests: a client on ``<server>/compat/ilos`` (the document's base
URL swapped), videos put in place through the core, a token's stored expiry moved, and the
module-wide live server (on SQLite and on PostgreSQL) with its shared accounts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from reelbase.core.auth import accounts

from reelbase.core.videos import catalog as videos
from reelbase.app import create_app
from reelbase.core.runtime import Runtime, build_runtime
from reelbase.db.models import UploadSession, Video
from tests.conftest import Account, LiveServer, fresh_pg_schema, make_account, make_settings, start_server

BASE = "/compat/ilos"
DOC_ENDPOINT = "https://yoursite.com/endpoint"
RECORD_KEYS = {"worked", "video_endpoint", "video_endpoint_extras", "video_set_public", "token",
               "recorderDownloadUrl", "recorderLaunchURI", "recordButtonIframe", "expires"}
UPLOAD_KEYS = {"worked", "video_endpoint", "video_endpoint_extras", "video_set_public", "token",
               "uploadIframe", "uploadIframeBasic", "expires"}
WEBHOOK_KEYS = {"token", "randtag", "videoURL", "embedURL", "iframe", "video_endpoint_extras"}
IFRAME = re.compile(r"^<iframe src='([^']+)'></iframe>$")


def ilos(live: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=live.url + BASE, timeout=60)


def post_json(c: httpx.Client, path: str, body: dict) -> httpx.Response:
    return c.post(path, headers={"Content-Type": "application/json"}, content=json.dumps(body))


def iframe_src(tag: str) -> str:
    match = IFRAME.match(tag)
    assert match, tag
    return match.group(1)


def put_video(runtime: Runtime, secret: str, *, title: str, description: str = "", state: str = "ready",
              duration_ms: int | None = None, public: bool = False) -> str:
    """A video of the key's team, as the pipeline would leave it; returns its token (randtag)."""
    with runtime.session() as db:
        principal = accounts.authenticate_secret(db, secret)
        video = videos.add_video(db, principal, settings=runtime.settings, title=title, description=description,
                                 public=public)
        video.state = state
        video.duration_ms = duration_ms
        db.commit()
        return video.token


def video_of_token(runtime: Runtime, token: str) -> Video:
    with runtime.session() as db:
        sess = db.scalar(select(UploadSession).where(UploadSession.public_id == token))
        assert sess is not None
        video = db.get_one(Video, sess.video_id)
        db.expunge(video)
        return video


def set_token_expiry(runtime: Runtime, token: str, expires: int) -> None:
    with runtime.session() as db:
        sess = db.scalar(select(UploadSession).where(UploadSession.public_id == token))
        assert sess is not None
        meta: dict[str, Any] = dict(sess.upload_metadata)
        meta["token"] = {**meta["token"], "expires": expires}
        sess.upload_metadata = meta
        db.commit()


def form_upload(client: httpx.Client, page_url: str, data: bytes, *, filename: str = "clip.mp4",
                title: str | None = None) -> httpx.Response:
    """What a browser does with the basic uploader: post the form (fields, then the file) to the
    page's own URL (its form action)."""
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)" enctype="multipart/form-data">', page.text)
    assert action, page.text
    target = httpx.URL(page_url).join(action.group(1).replace("&amp;", "&"))
    fields = {"title": title} if title is not None else None
    return client.post(str(target), data=fields, files={"file": (filename, data, "video/mp4")})


@contextmanager
def module_server(tmp_dir: Path, database_url: str | None) -> Iterator[LiveServer]:
    """One live server for a whole test module (each test makes its own accounts, so tests do not
    see each other's videos): the per-test server start and migrations dominate otherwise."""
    overrides: dict[str, object] = {"database_url": database_url} if database_url else {}
    runtime = build_runtime(make_settings(tmp_dir, **overrides))
    runtime.settings.public_url = "will be replaced"
    url, server, thread = start_server(create_app(runtime))
    runtime.settings.public_url = url
    try:
        yield LiveServer(url=url, runtime=runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.engine.dispose()




@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp(f"ilos-{request.param}")
    if request.param == "sqlite":
        with module_server(tmp, None) as server:
            yield server
    else:
        with fresh_pg_schema() as url, module_server(tmp, url) as server:
            yield server


# Accounts are shared by a module's tests (each password hash costs a noticeable moment); tests
# that need a team of their own (search results, a revoked key) make one.
@pytest.fixture(scope="module")
def alice(live: LiveServer) -> Account:
    return make_account(live.runtime)


@pytest.fixture(scope="module")
def bob(live: LiveServer) -> Account:
    return make_account(live.runtime)


@pytest.fixture(scope="module")
def org(live: LiveServer) -> Account:
    return make_account(live.runtime, key_type="organization")
