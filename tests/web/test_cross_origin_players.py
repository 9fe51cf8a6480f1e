"""Reelbase streams play in the players other sites use, from a page on another origin: hls.js,
dash.js and Shaka Player (vendored from npm by scripts/setup.sh) in Chromium, on a page served by
a tiny static server on another loopback port, each loading a Reelbase manifest of a real ladder
(a 4 s clip encoded by the server's workers) and playing it: the video's clock advances and no
request to Reelbase fails. On S3 too, where the served playlists name presigned segment URLs
(the MPD's template expanded into a SegmentList): the players fetch every segment from the store."""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page

from reelbase.core.playback.streams import signed_prefix
from tests.conftest import Account, LiveServer, free_port, make_account
from tests.jobs.conftest import ffmpeg, pipeline_server, upload_file, wait_for_state
from tests.storage.s3server import start_s3_server

VENDOR = Path(__file__).resolve().parents[2] / "src" / "reelbase" / "web" / "static" / "vendor"

# Each page plays the manifest named by ?src= (with ?key=, an API key sent as a Bearer header)
# and records the player's errors in window.errors.
PAGES = {
    "hls.html": """<!doctype html><video id="video" muted playsinline></video>
<script type="module">
import Hls from "./hls.min.mjs";
const params = new URLSearchParams(location.search), video = document.getElementById("video");
window.errors = [];
const hls = new Hls({xhrSetup: (xhr) => {
  if (params.get("key")) xhr.setRequestHeader("Authorization", "Bearer " + params.get("key"));
}});
hls.on(Hls.Events.ERROR, (_, d) => window.errors.push(`${d.type} ${d.details} fatal=${d.fatal}`));
hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch((e) => window.errors.push("play " + e)));
hls.loadSource(params.get("src"));
hls.attachMedia(video);
</script>""",
    "dash.html": """<!doctype html><video id="video" muted playsinline></video>
<script src="./dash.all.min.js"></script>
<script>
const params = new URLSearchParams(location.search), video = document.getElementById("video");
window.errors = [];
const player = dashjs.MediaPlayer().create();
player.on(dashjs.MediaPlayer.events.ERROR, (e) => window.errors.push(JSON.stringify(e.error)));
player.initialize(video, params.get("src"), true);
</script>""",
    "shaka.html": """<!doctype html><video id="video" muted playsinline></video>
<script src="./shaka-player.compiled.js"></script>
<script>
const params = new URLSearchParams(location.search), video = document.getElementById("video");
window.errors = [];
shaka.polyfill.installAll();
const player = new shaka.Player();
player.addEventListener("error", (e) => window.errors.push(`shaka ${e.detail.code}`));
player.attach(video).then(() => player.load(params.get("src"))).then(() => video.play())
  .catch((e) => window.errors.push(`shaka ${e.code || e}`));
</script>""",
}


@dataclass
class Site:
    live: LiveServer
    owner: Account
    video: dict
    page_origin: str

    def play(self, kind: str, path: str) -> str:
        expires, sig = signed_prefix(self.live.runtime.secret_key, self.video["id"])
        return f"{self.live.url}/play/{self.video['token']}/{expires}/{sig}/{kind}/{path}"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The origin of a static server of the player pages (another loopback port than Reelbase's)."""
    root = tmp_path_factory.mktemp("pages")
    for name in ("hls.min.mjs", "dash.all.min.js", "shaka-player.compiled.js"):
        if not (VENDOR / name).exists():
            pytest.fail(f"{VENDOR / name} is missing: scripts/setup.sh copies it from web/node_modules")
        (root / name).symlink_to(VENDOR / name)
    for name, html in PAGES.items():
        (root / name).write_text(html)
    static = ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(_Quiet, directory=str(root)))
    threading.Thread(target=static.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{static.server_port}"
    finally:
        static.shutdown()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=426x240:r=25:d=4", "-f", "lavfi", "-i", "sine=f=330:d=4",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path))
    return path


def _site(root: Path, clip: Path, page_origin: str, **settings: object) -> Iterator[Site]:
    with pipeline_server(root, **settings) as live:
        owner = make_account(live.runtime)
        with live.client(owner.secret) as api:
            video = upload_file(api, clip, title="Played elsewhere", public=True)
            video = wait_for_state(api, video["id"], {"ready", "failed"}, timeout=180)
        assert video["state"] == "ready", video
        yield Site(live=live, owner=owner, video=video, page_origin=page_origin)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, clip: Path, pages: str) -> Iterator[Site]:
    yield from _site(tmp_path_factory.mktemp("local"), clip, pages)


@pytest.fixture(scope="module")
def s3_site(tmp_path_factory: pytest.TempPathFactory, clip: Path, pages: str) -> Iterator[Site]:
    endpoint, stop = start_s3_server()
    try:
        yield from _site(tmp_path_factory.mktemp("s3"), clip, pages,
                         storage_url=f"s3://reelbase-players/t-{uuid.uuid4().hex[:10]}", s3_endpoint_url=endpoint,
                         s3_access_key_id="testing", s3_secret_access_key="testing", s3_region="us-east-1",
                         s3_create_bucket=True)
    finally:
        stop()


def _plays(page: Page, site: Site, player: str, src: str, key: str | None = None) -> list[str]:
    """Play ``src`` with ``player``; returns the URLs of the segments the player fetched."""
    failed: list[str] = []
    fetched: list[str] = []
    page.on("requestfinished", lambda r: fetched.append(r.url) if ".m4s" in r.url else None)
    origins: set[str | None] = set()  # what the player's requests to Reelbase said they came from
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("requestfinished", lambda r: origins.add(r.all_headers().get("origin"))
            if r.url.startswith(site.live.url) else None)
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
            if r.url.startswith(site.live.url) and r.status >= 400 else None)
    url = f"{site.page_origin}/{player}?src={quote(src, safe='')}" + (f"&key={quote(key)}" if key else "")
    page.goto(url)
    page.wait_for_function("() => document.getElementById('video').currentTime > 1.5", timeout=60_000)
    errors = page.evaluate("window.errors")
    assert not [e for e in errors if "network" in e.lower() or "fatal=true" in e or e.startswith("shaka")], errors
    assert failed == []
    assert site.page_origin in origins  # cross-origin requests, answered with CORS
    assert page.page_errors == []  # type: ignore[attr-defined]
    return fetched


def test_hls_js_plays_the_native_stream_with_an_api_key(page: Page, site: Site) -> None:
    src = f"{site.live.url}/api/v1/videos/{site.video['id']}/stream/hls/dash/master.m3u8"
    _plays(page, site, "hls.html", src, key=site.owner.secret)


def test_dash_js_plays_the_signed_mpd(page: Page, site: Site) -> None:
    _plays(page, site, "dash.html", site.play("dash", "dash/manifest.mpd"))


def test_shaka_player_plays_the_signed_hls_and_dash(page: Page, site: Site) -> None:
    _plays(page, site, "shaka.html", site.play("hls", "dash/master.m3u8"))
    with httpx.Client() as client:  # the same manifest, as Shaka fetched it: from another origin
        r = client.get(site.play("dash", "dash/manifest.mpd"), headers={"Origin": site.page_origin})
        assert r.headers["access-control-allow-origin"] == "*"
    page.goto("about:blank")
    _plays(page, site, "shaka.html", site.play("dash", "dash/manifest.mpd"))


@pytest.mark.parametrize(("player", "kind", "path"), [("hls.html", "hls", "dash/master.m3u8"),
                                                      ("dash.html", "dash", "dash/manifest.mpd"),
                                                      ("shaka.html", "dash", "dash/manifest.mpd")])
def test_players_fetch_the_segments_from_the_store_on_s3(page: Page, s3_site: Site, player: str, kind: str,
                                                          path: str) -> None:
    endpoint = s3_site.live.runtime.settings.s3_endpoint_url
    assert endpoint
    fetched = _plays(page, s3_site, player, s3_site.play(kind, path))
    assert fetched and all(url.startswith(endpoint + "/") and "X-Amz-Signature=" in url for url in fetched), fetched
