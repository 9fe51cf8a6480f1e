"""Stream files as players on other origins get them, over real HTTP against a server whose
workers encode a real clip: CORS on every player URL (native, /play/, SpareVideos, ilos) with its
preflight, a team's list of playback origins (set with the CLI) refusing other pages with a 403 in
each surface's shape, the caching of segments and playlists by version and by the video's state,
Range/HEAD/304 on segments sent by the OS, and on S3 segments fetched from presigned URLs."""

from __future__ import annotations

import os
import re
import subprocess
import time
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from reelbase.core.playback.origins import KEEP_S
from reelbase.core.playback.streams import signed_prefix
from tests.conftest import Account, LiveServer, make_account
from tests.jobs.conftest import ffmpeg, pipeline_server, upload_file, wait_for_state
from tests.storage.s3server import start_s3_server

OTHER = "http://127.0.0.2:8123"  # a page on another origin
MPD = "{urn:mpeg:dash:schema:mpd:2011}"


@dataclass
class Site:
    live: LiveServer
    owner: Account
    api: httpx.Client
    video: dict

    @property
    def native(self) -> str:
        return f"/api/v1/videos/{self.video['id']}/stream"

    @property
    def play(self) -> str:
        expires, sig = signed_prefix(self.live.runtime.secret_key, self.video["id"])
        return f"/play/{self.video['token']}/{expires}/{sig}"

    @property
    def thumbnail(self) -> str:
        listed = self.api.get(f"/api/v1/videos/{self.video['id']}/thumbnails").json()["items"]
        return f"/api/v1/videos/{self.video['id']}/thumbnails/{listed[0]['index']}.jpg"

    @property
    def spare(self) -> str:
        expires, sig = signed_prefix(self.live.runtime.secret_key, self.video["id"])
        return f"/compat/sparevideos/stream/{self.video['token']}/{expires}/{sig}"

    def anon(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.live.url, headers=headers, timeout=30)


def _clip(root: Path, seconds: int = 3) -> Path:
    path = root / f"clip{seconds}.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=320x180:r=25:d={seconds}", "-f", "lavfi", "-i", f"sine=d={seconds}",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path))
    return path


def _site(root: Path, **overrides: object) -> Iterator[Site]:
    clip = _clip(root)
    with pipeline_server(root / "server", **overrides) as live:
        owner = make_account(live.runtime)
        with live.client(owner.secret) as api:
            video = upload_file(api, clip, title="delivery", public=True)
            video = wait_for_state(api, video["id"], {"ready", "failed"}, timeout=180)
            assert video["state"] == "ready", video
            yield Site(live=live, owner=owner, api=api, video=video)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site(tmp_path_factory.mktemp("delivery"))


@pytest.fixture(scope="module")
def s3_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    endpoint, stop = start_s3_server()
    try:
        yield from _site(tmp_path_factory.mktemp("delivery-s3"), storage_url=f"s3://reelbase-play/t-{uuid.uuid4().hex[:10]}",
                         s3_endpoint_url=endpoint, s3_access_key_id="testing", s3_secret_access_key="testing",
                         s3_region="us-east-1", s3_create_bucket=True)
    finally:
        stop()


def _uris(playlist: str) -> list[str]:
    found = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    return re.findall(r'URI="([^"]+)"', playlist) + found


def _media_playlist(client: httpx.Client, master_url: str) -> tuple[str, httpx.Response]:
    master = client.get(master_url)
    assert master.status_code == 200, master.text
    variant = next(u for u in _uris(master.text) if u.startswith("media_0.m3u8"))
    url = master_url.rsplit("/", 1)[0] + "/" + variant
    return url, client.get(url)


def test_preflight_is_answered_on_every_player_url(site: Site) -> None:
    token = site.video["token"]
    urls = [f"{site.native}/hls/dash/master.m3u8", site.thumbnail,
            f"/api/v1/videos/{site.video['id']}/files/storyboard/vtt", f"{site.play}/hls/dash/master.m3u8",
            f"{site.play}/storyboard/x.vtt", f"{site.spare}/dash/dash/manifest.mpd",
            f"/compat/sparevideos/thumbnail/{token}/300/default.jpg", f"/compat/ilos/media/{token}.mp4"]
    with site.anon() as anon:
        for url in urls:
            r = anon.options(url, headers={"Origin": OTHER, "Access-Control-Request-Method": "GET",
                                           "Access-Control-Request-Headers": "authorization, range, if-none-match"})
            assert r.status_code == 204, (url, r.status_code, r.text)
            assert r.headers["access-control-allow-origin"] == "*"
            assert "GET" in r.headers["access-control-allow-methods"]
            allowed = r.headers["access-control-allow-headers"].lower()
            assert "range" in allowed and "if-none-match" in allowed and "authorization" in allowed
            assert int(r.headers["access-control-max-age"]) > 0


def test_player_files_answer_cors_and_keep_the_sandbox(site: Site) -> None:
    token = site.video["token"]
    with site.anon(Origin=OTHER) as anon, site.live.client(site.owner.secret, headers={"Origin": OTHER}) as api:
        answers = {
            "native playlist": api.get(f"{site.native}/hls/dash/master.m3u8"),
            "native thumbnail": api.get(site.thumbnail),
            "native storyboard": api.get(f"/api/v1/videos/{site.video['id']}/files/storyboard/vtt"),
            "play mpd": anon.get(f"{site.play}/dash/dash/manifest.mpd"),
            "play segment": anon.get(f"{site.play}/hls/dash/init-stream0.m4s"),
            "play poster": anon.get(f"{site.play}/poster/default.jpg"),
            "sparevideos stream": anon.get(f"{site.spare}/mp4/180.mp4", headers={"Range": "bytes=0-9"}),
            "sparevideos thumbnail": anon.get(f"/compat/sparevideos/thumbnail/{token}/300/default.jpg"),
            "ilos media": anon.get(f"/compat/ilos/media/{token}.mp4", headers={"Range": "bytes=0-9"}),
        }
        for what, r in answers.items():
            assert r.status_code in (200, 206), (what, r.status_code, r.text[:200])
            assert r.headers["access-control-allow-origin"] == "*", what
            exposed = r.headers["access-control-expose-headers"].lower()
            assert {"content-length", "content-range", "etag"} <= {h.strip() for h in exposed.split(",")}, what
            assert r.headers["cross-origin-resource-policy"] == "cross-origin", what
            assert r.headers["content-security-policy"] == "default-src 'none'; sandbox", what
            assert r.headers["x-content-type-options"] == "nosniff", what
        assert answers["sparevideos stream"].content[4:8] == b"ftyp"
        # Errors too, so a player on another origin can read why a file was refused.
        missing = anon.get(f"{site.play}/hls/dash/chunk-stream0-99999.m4s")
        assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == "*"
        expired = anon.get(f"/play/{token}/1000/{'0' * 64}/hls/dash/master.m3u8")
        assert expired.status_code == 403 and expired.headers["access-control-allow-origin"] == "*"
        assert api.get(f"/api/v1/videos/{site.video['id']}/thumbnails/x.jpg").headers[
            "access-control-allow-origin"] == "*"  # a 422 of the route


def test_playlists_tag_their_uris_and_caching_follows_version_and_state(site: Site) -> None:
    with site.anon() as anon:
        master = anon.get(f"{site.play}/hls/dash/master.m3u8")
        assert master.headers["cache-control"] == "private, max-age=600"  # the entry, named without a version
        versions = {u.split("?v=")[1] for u in _uris(master.text)}
        assert len(versions) == 1 and all("?v=" in u for u in _uris(master.text))
        version = versions.pop()
        url, media = _media_playlist(anon, f"{site.play}/hls/dash/master.m3u8")
        assert media.status_code == 200 and media.headers["cache-control"] == "private, max-age=3600"
        segments = _uris(media.text)
        assert segments and all(u.endswith(f"?v={version}") for u in segments)
        segment_url = url.rsplit("/", 1)[0] + "/" + segments[-1]
        segment = anon.get(segment_url)
        assert segment.status_code == 200 and segment.headers["cache-control"] == "private, max-age=31536000, immutable"
        bare = anon.get(segment_url.split("?")[0])
        assert bare.content == segment.content and bare.headers["cache-control"] == "private, max-age=86400"
        stale = anon.get(segment_url.split("?")[0] + "?v=000000000000")  # not this ladder's segment
        assert stale.status_code == 404
        stale = anon.get(url.split("?")[0] + "?v=000000000000")  # a playlist: the current one, briefly
        assert stale.text == media.text and stale.headers["cache-control"] == "private, max-age=60"

        mpd = anon.get(f"{site.play}/dash/dash/manifest.mpd")
        assert mpd.status_code == 200 and mpd.headers["content-type"].startswith("application/dash+xml")
        templates = ET.fromstring(mpd.text).iter(f"{MPD}SegmentTemplate")
        assert all(t.get("media", "").endswith(f"?v={version}") for t in templates)
        again = anon.get(f"{site.play}/dash/dash/manifest.mpd", headers={"If-None-Match": mpd.headers["etag"]})
        assert again.status_code == 304

        # Segments go out through the OS, with Range, HEAD and 304 as every file.
        part = anon.get(segment_url, headers={"Range": "bytes=4-11"})
        assert part.status_code == 206 and part.content == segment.content[4:12]
        assert part.headers["content-range"] == f"bytes 4-11/{len(segment.content)}"
        assert anon.get(segment_url, headers={"Range": f"bytes={len(segment.content)}-"}).status_code == 416
        head = anon.head(segment_url)
        assert head.status_code == 200 and head.headers["content-length"] == str(len(segment.content))
        assert anon.get(segment_url, headers={"If-None-Match": segment.headers["etag"]}).status_code == 304

    # A rebuild: while it runs the playlists are growing (seconds), after it the old version is stale.
    r = site.api.post(f"/api/v1/videos/{site.video['id']}/conversions", json={})
    assert r.status_code == 202, r.text
    with site.live.client(site.owner.secret) as api:
        during = api.get(f"{site.native}/hls/dash/master.m3u8")
        assert api.get(f"/api/v1/videos/{site.video['id']}").json()["state"] == "transcoding"
        assert during.status_code == 200 and during.headers["cache-control"] == "private, max-age=2"
        assert wait_for_state(api, site.video["id"], {"ready", "failed"}, timeout=180)["state"] == "ready"
        after = api.get(f"{site.native}/hls/dash/master.m3u8")
        assert after.headers["cache-control"] == "private, max-age=600" and f"?v={version}" not in after.text
        old = api.get(f"{site.native}/hls/dash/{segments[-1]}")  # asked for, and remembered, before
        assert old.status_code == 404 and old.json()["error"]["code"] == "not_found"
        old_playlist = api.get(f"{site.native}/hls/dash/{url.rsplit('/', 1)[1]}")
        assert old_playlist.status_code == 200 and old_playlist.headers["cache-control"] == "private, max-age=60"
        assert f"?v={version}" not in old_playlist.text


def _cli(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    settings = site.live.runtime.settings
    env = {**os.environ, "REELBASE_DATA_DIR": str(settings.data_dir), "REELBASE_SECRET_KEY": settings.secret_key,
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "reelbase.cli", "teams", "playback-origins", "--email",
                           site.owner.email, *args], env=env, capture_output=True, text=True, timeout=120)


def test_a_team_can_restrict_playback_to_its_origins(site: Site) -> None:
    token = site.video["token"]
    allowed = "https://videos.example.com"
    bad = _cli(site, "--origin", "https://example.com/path")
    assert bad.returncode == 1 and "not a web origin" in bad.stdout
    listed = _cli(site, "--origin", "HTTPS://Videos.Example.com:443", "--origin", "http://127.0.0.3:9000")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert f"{allowed}, http://127.0.0.3:9000" in listed.stdout
    try:
        with site.anon() as anon, site.live.client(site.owner.secret) as api:
            # Each process reads a team's list again within KEEP_S seconds: the CLI's change applies then.
            _until(lambda: anon.get(f"{site.play}/hls/dash/master.m3u8", headers={"Origin": OTHER}).status_code == 403)
            ok = anon.get(f"{site.play}/hls/dash/master.m3u8", headers={"Origin": allowed})
            assert ok.status_code == 200
            assert ok.headers["access-control-allow-origin"] == allowed and ok.headers["vary"] == "Origin"
            pages = {
                "native": lambda h: api.get(f"{site.native}/hls/dash/master.m3u8", headers=h),
                "play": lambda h: anon.get(f"{site.play}/hls/dash/master.m3u8", headers=h),
                "sparevideos": lambda h: anon.get(f"/compat/sparevideos/thumbnail/{token}/300/default.jpg", headers=h),
                "ilos": lambda h: anon.get(f"/compat/ilos/media/{token}.mp4", headers=h),
            }
            for what, fetch in pages.items():
                refused = fetch({"Origin": OTHER})
                assert refused.status_code == 403, (what, refused.text)
                assert refused.headers["vary"] == "Origin" and refused.headers["access-control-allow-origin"] == "*"
                assert OTHER in refused.text, what
                # An <img> or <video src> sends no Origin: its page's Referer is checked instead.
                assert fetch({"Referer": f"{OTHER}/blog/post.html"}).status_code == 403, what
                assert fetch({"Referer": "http://127.0.0.3:9000/page"}).status_code in (200, 206), what
                assert fetch({}).status_code in (200, 206), what  # no page named: a download, a native app
                assert fetch({"Origin": site.live.url}).status_code in (200, 206), what  # Reelbase's own pages
            assert pages["native"]({"Origin": OTHER}).json()["error"]["code"] == "origin_not_allowed"
            spare = pages["sparevideos"]({"Origin": OTHER}).json()
            assert spare["status"] == "error" and spare["error"] == 403 and OTHER in spare["message"]
            # The preflight needs no database and answers any origin; the request itself is refused.
            assert anon.options(f"{site.play}/hls/dash/master.m3u8", headers={
                "Origin": OTHER, "Access-Control-Request-Method": "GET"}).status_code == 204
    finally:
        assert "playback origins any" in _cli(site, "--any").stdout
    with site.anon(Origin=OTHER) as anon:
        _until(lambda: anon.get(f"{site.play}/hls/dash/master.m3u8").status_code == 200)


def _until(condition: Callable[[], bool], limit_s: float = KEEP_S * 3) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, "the change did not apply"
        time.sleep(0.25)


def test_on_s3_the_player_fetches_segments_from_presigned_urls(s3_site: Site) -> None:
    site = s3_site
    endpoint = site.live.runtime.settings.s3_endpoint_url
    assert endpoint
    with site.anon(Origin=OTHER) as anon, httpx.Client(timeout=30) as store:
        master = anon.get(f"{site.play}/hls/dash/master.m3u8")
        assert master.status_code == 200 and all(u.startswith("media_") for u in _uris(master.text))
        url, media = _media_playlist(anon, f"{site.play}/hls/dash/master.m3u8")
        assert media.status_code == 200
        uris = _uris(media.text)
        assert uris and all(u.startswith(endpoint + "/") and "X-Amz-Signature=" in u for u in uris)
        init = store.get(uris[0])
        assert init.status_code == 200 and init.content[4:8] == b"ftyp"
        assert init.headers["cache-control"] == "private, max-age=31536000, immutable"
        assert store.get(uris[-1]).status_code == 200
        # The rewritten playlist is kept: the same text, ETag and 304, and a short enough cache.
        again = anon.get(url)
        assert again.text == media.text and again.headers["etag"] == media.headers["etag"]
        assert anon.get(url, headers={"If-None-Match": media.headers["etag"]}).status_code == 304
        assert 0 < int(media.headers["cache-control"].split("max-age=")[1]) <= 3600

        # The MPD's template became a list of presigned segment URLs.
        mpd = ET.fromstring(anon.get(f"{site.play}/dash/dash/manifest.mpd").text)
        assert not list(mpd.iter(f"{MPD}SegmentTemplate"))
        lists = list(mpd.iter(f"{MPD}SegmentList"))
        assert lists and all(s.find(f"{MPD}SegmentTimeline") is not None for s in lists)
        for segment_list in lists:
            init_url = segment_list.find(f"{MPD}Initialization").get("sourceURL")  # type: ignore[union-attr]
            media_urls = [s.get("media") for s in segment_list.iter(f"{MPD}SegmentURL")]
            assert init_url.startswith(endpoint) and store.get(init_url).content[4:8] == b"ftyp"
            assert media_urls and all(u and u.startswith(endpoint) for u in media_urls)

        # A segment asked for through the app is a redirect to the store, never its bytes.
        direct = anon.get(f"{site.play}/hls/dash/init-stream0.m4s")
        assert direct.status_code == 307 and direct.headers["location"].startswith(endpoint)
        assert direct.headers["access-control-allow-origin"] == "*" and not direct.content
        assert store.get(direct.headers["location"]).content == init.content
        native = site.api.get(f"{site.native}/hls/dash/init-stream0.m4s")
        assert native.status_code == 307 and native.headers["location"].startswith(endpoint)


def test_the_api_hands_out_signed_player_urls(site: Site) -> None:
    r = site.api.get(f"/api/v1/videos/{site.video['id']}/player-urls")
    assert r.status_code == 200, r.text
    urls = r.json()
    prefix = urls["prefix"]
    assert re.fullmatch(rf"{re.escape(site.live.url)}/play/{site.video['token']}/(\d+)/[0-9a-f]{{64}}", prefix)
    assert int(prefix.split("/")[-2]) - time.time() >= 24 * 3600 - 60
    assert urls["hls"] == f"{prefix}/hls/dash/master.m3u8" and urls["dash"] == f"{prefix}/dash/dash/manifest.mpd"
    assert urls["files"] and urls["files"][0]["url"].startswith(prefix + "/mp4/")
    with httpx.Client(headers={"Origin": OTHER}, timeout=30) as anon:  # no key: the signed prefix is the grant
        for url in (urls["hls"], urls["dash"], urls["files"][0]["url"], urls["poster"], urls["storyboard"]):
            got = anon.get(url, headers={"Range": "bytes=0-"})
            assert got.status_code in (200, 206), (url, got.status_code)
            assert got.headers["access-control-allow-origin"] == "*"
    stranger = make_account(site.live.runtime)
    with site.live.client(stranger.secret) as theirs, site.live.client() as nobody:
        assert theirs.get(f"/api/v1/videos/{site.video['id']}/player-urls").status_code == 404
        assert nobody.get(f"/api/v1/videos/{site.video['id']}/player-urls").status_code == 401
    waiting = site.api.post("/api/v1/videos", json={"title": "not yet"}).json()
    r = site.api.get(f"/api/v1/videos/{waiting['id']}/player-urls")
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_media"
