"""The player pages (/view/{id}, /embed/{id}) on a real server whose workers ingest and
transcode real clips, driven by Chromium: HLS playback and quality switching, poster and seek
previews, private videos and playback tokens, processing and failed videos, and the signed
stream prefix."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from reelbase.core.playback.streams import sign_playback
from reelbase.core.playback.viewers import sign_view_token
from tests.conftest import Account, LiveServer, make_account
from tests.jobs.conftest import ffmpeg, pipeline_server, upload_file, wait_for_state
from tests.web.conftest import sign_in

Shot = Callable[[Page, str], Path]


@dataclass
class Site:
    live: LiveServer
    owner: Account
    api: httpx.Client
    private: dict  # a 6 s 854x480 clip with audio, private: ladder 360 + 480
    broken: dict  # a text file named .mp4, public: fails at ingest
    short_clip: Path

    @property
    def secret(self) -> str:
        return self.live.runtime.secret_key

    def token_for(self, video_id: str, **body: object) -> dict:
        r = self.api.post(f"/api/v1/videos/{video_id}/playback-token", json=body or None)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("player")
    clip, short, text = root / "six.mp4", root / "ten.mp4", root / "notes.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=854x480:r=30:d=6", "-f", "lavfi", "-i", "sine=f=440:d=6",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(clip))
    # Ten seconds, so that processing outlasts the processing page's 2 s poll and the page can be
    # seen showing a stage before it turns into the player (a 2 s clip is often ready between polls).
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=10", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", str(short))
    text.write_text("these are my notes, not a video\n" * 20)
    with pipeline_server(root / "server") as live:
        owner = make_account(live.runtime)
        with live.client(owner.secret) as api:
            private = upload_file(api, clip, title="Private <b>clip</b>", description="Line one\nLine two")
            broken = upload_file(api, text, title="Broken upload", public=True)
            yield Site(live=live, owner=owner, api=api, private=private, broken=broken, short_clip=short)


def _ready(site: Site) -> dict:
    return wait_for_state(site.api, site.private["id"], {"ready", "failed"}, timeout=180)


def _player_attr(page: Page, name: str) -> str | None:
    return page.get_attribute("#player", f"data-{name}")


def test_embed_plays_hls_with_poster_and_switches_quality(site: Site, page: Page, shot: Shot) -> None:
    assert _ready(site)["state"] == "ready"
    issued = site.token_for(site.private["id"], ttl_seconds=600)
    code = site.private["token"]
    assert issued["embed_url"] == f"{site.live.url}/embed/{code}?t={issued['token']}"
    assert issued["view_url"] == f"{site.live.url}/view/{code}?t={issued['token']}"

    response = page.goto(issued["embed_url"])
    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"].endswith("frame-ancestors *")
    page.wait_for_selector('#player[data-engine="hls.js"][data-levels="360,480"]')
    poster = page.get_attribute("#video", "poster")
    assert poster and "/poster/default.jpg" in poster
    image = page.request.get(site.live.url + poster)
    assert image.status == 200 and image.headers["content-type"] == "image/jpeg" and len(image.body()) > 1000
    assert page.locator(".quality-menu option").all_inner_texts() == ["Auto", "480p", "360p"]
    shot(page, "embed-poster")

    page.click(".controls .play")
    page.wait_for_function("() => document.getElementById('video').currentTime > 0.3")
    for height in (360, 480):
        page.select_option(".quality-menu", label=f"{height}p")
        page.wait_for_function(
            f"() => document.getElementById('player').dataset.levelHeight === '{height}' && "
            f"document.getElementById('video').videoHeight === {height}")
        assert _player_attr(page, "level") == str(height)
    page.wait_for_function("() => document.getElementById('video').currentTime > 2")
    assert page.evaluate("document.getElementById('video').paused") is False
    page.select_option(".quality-menu", label="Auto")
    assert _player_attr(page, "level") == "auto"
    shot(page, "embed-playing")
    assert page.page_errors == []  # type: ignore[attr-defined]


def test_view_page_for_a_team_member_with_storyboard_previews(site: Site, page: Page, shot: Shot) -> None:
    assert _ready(site)["state"] == "ready"
    sign_in(page, site.live, site.owner)
    code = site.private["token"]
    page.goto(f"{site.live.url}/view/{code}")  # private, no token: a member of the team may watch
    assert page.inner_text("h1.video-title") == "Private <b>clip</b>"  # escaped, shown as text
    assert page.inner_text(".description") == "Line one\nLine two"
    snippet = page.input_value("#embed-code")
    assert snippet.startswith(f'<iframe src="{site.live.url}/embed/{code}"')
    assert "playback-token" in page.inner_text(".share")  # private: the embed needs a token
    page.wait_for_selector('#player[data-engine="hls.js"]')
    page.wait_for_function("() => document.getElementById('video').duration > 5")
    tiles = int(_player_attr(page, "storyboard-tiles") or 0)
    assert tiles >= 5  # one a second

    box = page.locator(".seek").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)
    page.wait_for_selector(".preview:not([hidden])")
    style = page.get_attribute(".preview .tile", "style") or ""
    assert "/storyboard/" in style and ".jpg" in style and "background-position" in style
    assert 4.0 < float(page.get_attribute(".preview", "data-time") or 0) < 5.0
    sprite = re.search(r'url\("([^"]+)"\)', style)
    assert sprite and page.request.get(sprite[1]).status == 200
    shot(page, "view")
    page.click(".controls .mute")
    page.wait_for_selector('#player[data-muted="1"]')  # set on the video's volumechange event
    assert page.evaluate("document.getElementById('video').muted") is True

    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)  # seek to the middle
    page.wait_for_function("() => Math.abs(document.getElementById('video').currentTime - 3) < 0.5")
    assert page.goto(f"{site.live.url}/view/{site.private['id']}").status == 200  # the UUID works too
    assert page.page_errors == []  # type: ignore[attr-defined]


def test_private_video_needs_a_valid_token(site: Site, page: Page, shot: Shot) -> None:
    assert _ready(site)["state"] == "ready"
    code, uuid = site.private["token"], site.private["id"]
    good = site.token_for(uuid)["token"]
    expired = sign_view_token(site.secret, uuid, int(time.time()) - 5)
    tampered = good[:-1] + ("0" if good[-1] != "0" else "1")
    later = sign_view_token(site.secret, uuid, int(time.time()) + 3600)
    moved = later.split(".")[0] + "0." + later.split(".")[1]  # another expiry, same signature
    with httpx.Client(base_url=site.live.url) as anon:
        private = anon.get(f"/embed/{code}")
        assert private.status_code == 403 and "This video is private" in private.text
        assert "data-hls" not in private.text
        assert anon.get(f"/view/{code}/status").status_code == 403
        for token, words in ((expired, "expired"), (tampered, "not valid"), (moved, "not valid"), ("junk", "malformed")):
            r = anon.get(f"/view/{code}", params={"t": token})
            assert r.status_code == 403 and words in r.text, (token, r.text[:300])
        other = site.api.post("/api/v1/videos", json={"title": "another"}).json()
        theirs = sign_view_token(site.secret, other["id"], int(time.time()) + 600)
        assert anon.get(f"/view/{code}", params={"t": theirs}).status_code == 403
        ok = anon.get(f"/embed/{uuid}", params={"t": good})
        assert ok.status_code == 200 and "data-hls=\"/play/" in ok.text
        assert anon.get(f"/view/{code}/status", params={"t": good}).json()["state"] == "ready"
        missing = anon.get("/view/0123456789abcdef")
        assert missing.status_code == 404 and "Video not found" in missing.text
    page.goto(f"{site.live.url}/view/{code}")
    assert "This video is private" in page.inner_text("main")
    shot(page, "private")
    page.goto(f"{site.live.url}/embed/{code}?t={expired}")
    assert "expired" in page.inner_text("main")
    shot(page, "expired-token")


def test_signed_stream_prefix_serves_files_and_refuses_tampering(site: Site) -> None:
    assert _ready(site)["state"] == "ready"
    code, uuid = site.private["token"], site.private["id"]
    with httpx.Client(base_url=site.live.url) as anon:
        html = anon.get(f"/embed/{code}", params={"t": site.token_for(uuid)["token"]}).text
        hls = re.search(r'data-hls="([^"]+)"', html)
        assert hls
        master = anon.get(hls[1])
        assert master.status_code == 200 and master.headers["content-type"].startswith("application/vnd.apple.mpegurl")
        media = [line for line in master.text.splitlines() if line and not line.startswith("#")]
        playlist = anon.get(hls[1].rsplit("/", 1)[0] + "/" + media[0])
        assert playlist.status_code == 200 and "#EXTINF" in playlist.text
        m = re.match(r"^/play/([0-9a-f]{16})/(\d+)/([0-9a-f]{64})/hls/(.+)$", hls[1])
        assert m and m[1] == code
        _, _, expires, sig, path = m.group(0, 1, 2, 3, 4)
        files = re.search(r'data-files="([^"]+)"', html)
        assert files and '.mp4' in files[1]
        mp4 = f"/play/{code}/{expires}/{sig}/mp4/480.mp4"
        part = anon.get(mp4, headers={"Range": "bytes=0-99"})
        assert part.status_code == 206 and part.headers["content-range"].startswith("bytes 0-99/")
        assert len(part.content) == 100 and part.content[4:8] == b"ftyp"
        assert part.headers["content-security-policy"] == "default-src 'none'; sandbox"  # never a document

        past = int(time.time()) - 10
        refused = {
            "signature": f"/play/{code}/{expires}/{sig[:-1]}{'0' if sig[-1] != '0' else '1'}/hls/{path}",
            "expiry": f"/play/{code}/{int(expires) + 3600}/{sig}/hls/{path}",
            "expired": f"/play/{code}/{past}/{sign_playback(site.secret, uuid, past)}/hls/{path}",
            "video": f"/play/{site.broken['token']}/{expires}/{sig}/hls/{path}",
        }
        for what, url in refused.items():
            r = anon.get(url)
            assert r.status_code == 403, (what, r.status_code, r.text)
        assert anon.get(f"/play/{code}/{expires}/{sig}/hls/../../original").status_code == 404
        assert anon.get(f"/play/{code}/{expires}/{sig}/mp4/480.webm").status_code == 404


def test_processing_page_refreshes_into_the_player_of_an_mp4_only_video(
    site: Site, page: Page, shot: Shot
) -> None:
    # Public, and converted to MP4 renditions only (no HLS): the page plays the MP4 file.
    video = site.api.post("/api/v1/videos", json={"title": "Coming soon", "public": True,
                                                  "options": {"mp4_only": True}}).json()
    page.goto(f"{site.live.url}/view/{video['token']}")
    assert page.get_attribute("#player", "data-state") == "created"
    text = page.inner_text("#player")
    assert "still being processed" in text and "Waiting for the upload" in text
    with site.short_clip.open("rb") as fh:
        r = site.api.put(f"/api/v1/videos/{video['id']}/source", params={"filename": "ten.mp4"}, content=fh.read())
    assert r.status_code == 200, r.text
    # The page polls every 2 s: it shows the stages as they come, then reloads into the player.
    page.wait_for_function("() => ['uploaded', 'ingesting', 'transcoding'].includes("
                           "document.getElementById('player').dataset.state)", timeout=60_000)
    shot(page, "processing")
    page.wait_for_selector('#player[data-engine="file"]', timeout=120_000)
    assert page.get_attribute("#player", "data-levels") == "360"
    assert page.get_attribute("#player", "data-hls") == ""
    assert "/mp4/360.mp4" in page.evaluate("document.getElementById('video').currentSrc")
    assert page.locator(".quality").is_hidden()  # one file: nothing to choose
    page.click(".controls .play")
    page.wait_for_function("() => document.getElementById('video').currentTime > 0.5")
    assert page.page_errors == []  # type: ignore[attr-defined]


def test_failed_video_shows_the_failure(site: Site, page: Page, shot: Shot) -> None:
    failed = wait_for_state(site.api, site.broken["id"], {"failed", "ready"}, timeout=120)
    assert failed["state"] == "failed"
    page.goto(f"{site.live.url}/view/{site.broken['token']}")
    assert page.get_attribute("#player", "data-state") == "failed"
    assert "This video could not be processed." in page.inner_text(".failure")
    assert failed["state_message"]
    assert failed["state_message"].strip()[:60] in page.inner_text(".failure .reason")
    shot(page, "failed")
    page.goto(f"{site.live.url}/embed/{site.broken['token']}")
    assert "This video could not be processed." in page.inner_text("main")
    shot(page, "failed-embed")


def test_playback_token_api_checks_the_team_and_the_ttl(site: Site) -> None:
    stranger = make_account(site.live.runtime)
    uuid = site.private["id"]
    with site.live.client(stranger.secret) as theirs:
        assert theirs.post(f"/api/v1/videos/{uuid}/playback-token").status_code == 404
    with site.live.client() as anon:
        assert anon.post(f"/api/v1/videos/{uuid}/playback-token").status_code == 401
    r = site.api.post(f"/api/v1/videos/{uuid}/playback-token", json={"ttl_seconds": 10})
    assert r.status_code == 422 and r.json()["error"]["field"] == "ttl_seconds"
    body = site.token_for(site.private["token"], ttl_seconds=120)
    expires = int(body["token"].split(".")[0])
    assert abs(expires - (time.time() + 120)) < 10
    assert body["expires_at"].endswith("Z") and body["video_id"] == uuid
