"""The signed-in dashboard in a real browser, against one pipeline server (with job workers) for
the module: the video grid (thumbnails, search, filters), one video (metadata, quality, files,
history, a processing request that completes), live progress without a reload, uploading with
Uppy over tus, API keys and webhooks."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Account, LiveServer, login_csrf, make_account
from tests.jobs.conftest import clips, pipeline_server, upload_file, wait_for_state  # noqa: F401 - clips is a fixture
from tests.web.conftest import sign_in

HARBOUR = "Sunrise over the harbour"
TRAIN = "Night train to Lisbon"
Shot = Callable[[Page, str], Path]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Webhook deliveries may reach the test's own receiver on loopback.
    with pipeline_server(tmp_path_factory.mktemp("dashboard"), fetch_allow_hosts="127.0.0.1") as live:
        yield live


@pytest.fixture(scope="module")
def account(server: LiveServer) -> Account:
    return make_account(server.runtime)


@pytest.fixture(scope="module")
def api(server: LiveServer, account: Account) -> Iterator[httpx.Client]:
    with server.client(account.secret) as client:
        yield client


@pytest.fixture(scope="module")
def two_videos(api: httpx.Client, clips: dict[str, Path]) -> dict[str, dict]:
    harbour = upload_file(api, clips["av480"], title=HARBOUR, description="Boats leaving at dawn")
    train = upload_file(api, clips["portrait"], title=TRAIN)
    return {name: wait_for_state(api, v["id"], {"ready"}, timeout=90)
            for name, v in (("harbour", harbour), ("train", train))}


def _no_errors(page: Page) -> None:
    assert page.page_errors == [], page.page_errors  # type: ignore[attr-defined]


def test_dashboard_lists_searches_and_filters_the_teams_videos(
    page: Page, shot: Shot, server: LiveServer, account: Account, two_videos: dict[str, dict]
) -> None:
    page.goto(f"{server.url}/")
    assert "/login" in page.url  # not signed in: the form first
    sign_in(page, server, account)
    page.goto(f"{server.url}/")
    cards = page.locator(".vcard")
    expect(cards).to_have_count(2)
    expect(cards.locator(".vtitle")).to_have_text([TRAIN, HARBOUR])  # newest first
    expect(cards.locator(".state")).to_have_text(["ready", "ready"])
    expect(cards.locator(".duration")).to_have_text(["0:02", "0:02"])
    page.wait_for_function("""() => {
        const imgs = [...document.querySelectorAll('.vcard .thumb img')];
        return imgs.length === 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    }""")
    shot(page, "1-videos")

    page.fill("input[name=q]", "harbour")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"q=harbour"))
    expect(cards).to_have_count(1)
    expect(cards.locator(".vtitle")).to_have_text(HARBOUR)
    page.fill("input[name=q]", "dawn")  # the description matches too
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"q=dawn"))
    expect(cards.locator(".vtitle")).to_have_text(HARBOUR)
    shot(page, "2-search")

    page.goto(f"{server.url}/")
    page.select_option("select[name=state]", "failed")  # applies at once
    page.wait_for_url(re.compile(r"state=failed"))
    expect(cards).to_have_count(0)
    expect(page.locator(".msg.empty")).to_contain_text("No videos match")
    page.select_option("select[name=state]", "ready")
    page.wait_for_url(re.compile(r"state=ready"))
    expect(cards).to_have_count(2)
    page.goto(f"{server.url}/?state=processing")
    expect(cards).to_have_count(0)
    _no_errors(page)


def test_video_page_shows_the_video_and_a_processing_request_completes(
    page: Page, shot: Shot, server: LiveServer, account: Account, api: httpx.Client, two_videos: dict[str, dict]
) -> None:
    video = two_videos["harbour"]
    sign_in(page, server, account)
    page.goto(f"{server.url}/")
    page.click(f"text={HARBOUR}")
    page.wait_for_url(f"**/videos/{video['id']}")
    expect(page.locator("h1")).to_have_text(HARBOUR)
    expect(page.locator(".player iframe")).to_have_attribute("src", f"/embed/{video['token']}")
    meta = page.locator("table.metadata")
    for text in ("854×480", "30 fps", "progressive", "H.264", "aac", "0:02", "av480.mp4", "yuv420p"):
        expect(meta).to_contain_text(text)
    for metric in ("blur", "blockiness", "noise", "overall"):
        quality = video["quality"]
        expected = quality["overall"] if metric == "overall" else quality["metrics"][metric]
        row = page.locator(f'tr[data-metric="{metric}"]')
        expect(row.locator(".qlabel")).to_have_text(expected["label"])
        assert float(row.locator("td, th").nth(1).inner_text()) == expected["score"]
    expect(page.locator('tr[data-job="ingest"] .state')).to_have_text("succeeded")
    expect(page.locator('tr[data-job="transcode"] .state')).to_have_text("succeeded")
    download = page.locator('tr[data-rendition="480"] a')
    got = page.request.get(server.url + download.get_attribute("href"))  # the session cookie is enough
    assert got.status == 200 and got.headers["content-type"] == "video/mp4" and len(got.body()) > 10_000
    shot(page, "1-video")

    form = page.locator("#processing-form")
    form.locator("input[name='frameRate.fps']").fill("0")
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-error")).to_contain_text("frameRate.fps")
    expect(form.locator("input[name='frameRate.fps']")).to_have_class(re.compile("invalid"))

    form.locator("input[name='frameRate.fps']").fill("15")
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-ok")).to_contain_text("Processing started")
    derived = page.locator("#derived .vcard")
    expect(derived).to_have_count(1)
    expect(derived).to_have_attribute("data-state", "ready", timeout=60_000)  # live, no reload
    shot(page, "2-processed")

    derived_id = derived.get_attribute("data-video-id")
    body = api.get(f"/api/v1/videos/{derived_id}").json()
    assert body["parent"] == video["id"] and body["options"]["processing"] == {"frameRate": {"fps": 15}}
    assert body["media_info"]["video"]["avg_frame_rate"] == 15
    derived.locator(".vtitle").click()
    page.wait_for_url(f"**/videos/{derived_id}")
    expect(page.locator("table.metadata")).to_contain_text("15 fps")
    expect(page.locator("table.fullref")).to_contain_text("VMAF")
    expect(page.locator(".crumbs")).to_contain_text(HARBOUR)
    shot(page, "3-derived")
    _no_errors(page)


def test_a_video_in_progress_turns_ready_without_a_reload(
    page: Page, shot: Shot, server: LiveServer, account: Account, api: httpx.Client, clips: dict[str, Path]
) -> None:
    video = api.post("/api/v1/videos", json={"title": "Arriving live"}).json()
    sign_in(page, server, account)
    page.goto(f"{server.url}/?state=processing")
    card = page.locator(f'[data-video-id="{video["id"]}"]')
    expect(card).to_have_attribute("data-state", "created")
    expect(card.locator("progress")).to_be_visible()
    page.evaluate("""() => {
        window.stillThisPage = true;
        window.statesSeen = [];
        const card = document.querySelector('[data-video-id]');
        new MutationObserver(() => window.statesSeen.push(card.dataset.state))
            .observe(card, { attributes: true, attributeFilter: ['data-state'] });
    }""")
    shot(page, "1-waiting")
    detail = page.context.new_page()  # the video's own page, open meanwhile
    detail.goto(f"{server.url}/videos/{video['id']}")
    expect(detail.locator(".player-wait")).to_contain_text("appears when the video is ready")
    expect(detail.locator("table.metadata")).to_have_count(0)
    r = api.put(f"/api/v1/videos/{video['id']}/source", params={"filename": "live.mp4"},
                content=clips["av480"].read_bytes())
    assert r.status_code == 200, r.text
    expect(card).not_to_have_attribute("data-state", "created")
    shot(page, "2-progress")
    expect(card).to_have_attribute("data-state", "ready", timeout=60_000)
    expect(card.locator(".live")).to_be_hidden()
    expect(card.locator(".state")).to_have_text("ready")
    expect(card.locator(".thumb img")).to_have_count(1)
    expect(card.locator(".duration")).to_have_text("0:02")
    assert page.evaluate("window.stillThisPage") is True
    assert page.evaluate("window.statesSeen").count("ready") == 1
    shot(page, "3-ready")
    # the video's page reloads itself once the video is ready, to show what is now known
    expect(detail.locator("table.metadata")).to_contain_text("854×480", timeout=15_000)
    expect(detail.locator(".player iframe")).to_have_count(1)
    shot(detail, "4-video-ready")
    _no_errors(page)


def test_upload_page_uploads_with_uppy_over_tus(
    page: Page, shot: Shot, server: LiveServer, account: Account, api: httpx.Client, clips: dict[str, Path]
) -> None:
    project = api.post("/api/v1/projects", json={"name": "Browser uploads"}).json()
    sign_in(page, server, account)
    page.goto(f"{server.url}/upload")
    page.select_option("#upload-project", project["id"])
    page.locator(".uppy-Dashboard input[type=file]").first.set_input_files(str(clips["portrait"]))
    page.evaluate("""() => {
        const uppy = window.reelbaseUppy;
        uppy.setFileMeta(uppy.getFiles()[0].id, { title: 'Filmed in the browser' });
    }""")
    shot(page, "1-picked")
    page.locator(".uppy-StatusBar-actionBtn--upload").click()
    item = page.locator("#uploaded li[data-video-id]")
    expect(item).to_have_count(1, timeout=30_000)
    expect(item.locator("a")).to_have_text("Filmed in the browser")
    expect(item).to_have_attribute("data-state", "ready", timeout=60_000)
    shot(page, "2-uploaded")
    video = api.get(f"/api/v1/videos/{item.get_attribute('data-video-id')}").json()
    assert video["title"] == "Filmed in the browser" and video["original_filename"] == "portrait.mp4"
    assert video["project"] == project["id"] and video["size"] == clips["portrait"].stat().st_size
    item.locator("a").click()
    page.wait_for_url(f"**/videos/{video['id']}")
    expect(page.locator("h1")).to_have_text("Filmed in the browser")
    _no_errors(page)


def test_keys_page_creates_a_working_key_and_revokes_it(
    page: Page, shot: Shot, server: LiveServer, account: Account
) -> None:
    sign_in(page, server, account)
    page.goto(f"{server.url}/settings/keys")
    expect(page.locator(f'tr[data-key="{account.public_id}"]')).to_have_count(1)
    page.fill("#key-form input[name=name]", "made in the browser")
    page.click("#key-form button[type=submit]")
    secret_box = page.locator("#new-secret-value")
    expect(secret_box).to_have_text(re.compile(r"^rb_\S{30,}$"))
    secret = secret_box.inner_text()
    row = page.locator("#keys tr", has_text="made in the browser")
    expect(row).to_have_count(1)
    public_id = row.get_attribute("data-key")
    shot(page, "1-created")

    with server.client(secret) as client:
        me = client.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["key"]["public_id"] == public_id
        page.once("dialog", lambda dialog: dialog.accept())
        row.locator("button", has_text="Revoke").click()
        expect(row.locator(".state")).to_have_text("revoked")
        assert client.get("/api/v1/me").status_code == 401
    page.reload()
    assert secret not in page.content()  # shown once only
    expect(page.locator(f'tr[data-key="{public_id}"] .state')).to_have_text("revoked")
    expect(page.locator(f'tr[data-key="{public_id}"] button')).to_have_count(0)
    shot(page, "2-revoked")
    _no_errors(page)


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.received.append({"headers": dict(self.headers), "body": json.loads(body)})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_webhooks_page_adds_shows_deliveries_and_deletes(
    page: Page, shot: Shot, server: LiveServer, account: Account, api: httpx.Client, clips: dict[str, Path]
) -> None:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    try:
        sign_in(page, server, account)
        page.goto(f"{server.url}/settings/webhooks")
        expect(page.locator(".msg.empty")).to_have_text("No webhooks yet.")
        page.fill("#webhook-form input[name=url]", url)
        page.uncheck("#webhook-form input[value='upload.completed']")
        page.uncheck("#webhook-form input[value='video.failed']")
        page.fill("#webhook-form input[name=description]", "test receiver")
        page.click("#webhook-form button[type=submit]")
        hook = page.locator("section.hook")
        expect(hook).to_have_count(1)
        expect(hook.locator(".hook-url")).to_have_text(url)
        expect(hook.locator(".state")).to_have_text(["video.ready"])
        listed = api.get("/api/v1/webhooks").json()["items"]
        assert [(h["url"], h["events"]) for h in listed] == [(url, ["video.ready"])]

        upload_file(api, clips["portrait"], title="Rings the hook")
        delivered = page.locator("section.hook tr[data-delivery]")
        for _ in range(60):  # the video gets ready and the delivery runs on workers: reload until it shows
            page.reload()
            if delivered.count() and "succeeded" in delivered.first.inner_text():
                break
            page.wait_for_timeout(500)
        expect(delivered.first).to_contain_text("video.ready")
        expect(delivered.first).to_contain_text("succeeded")
        expect(delivered.first).to_contain_text("200")
        assert _Receiver.received and _Receiver.received[-1]["body"]["type"] == "video.ready"
        assert "webhook-signature" in {k.lower() for k in _Receiver.received[-1]["headers"]}
        shot(page, "1-webhook")

        page.once("dialog", lambda dialog: dialog.accept())
        hook.locator("button", has_text="Delete").click()
        expect(hook).to_have_count(0)
        expect(page.locator(".msg.empty")).to_have_text("No webhooks yet.")
        assert api.get("/api/v1/webhooks").json()["items"] == []
        shot(page, "2-deleted")
        _no_errors(page)
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_pages_need_a_session_paginate_and_hide_other_teams(server: LiveServer, api: httpx.Client) -> None:
    other = make_account(server.runtime)
    with server.client() as browser, server.client(other.secret) as theirs:
        for path in ("/", "/upload", "/settings/keys", "/settings/webhooks", "/videos/x"):
            r = browser.get(path)
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
        for i in range(26):
            assert theirs.post("/api/v1/videos", json={"title": f"Clip {i:02d}"}).status_code == 201
        browser.post("/login", data={"email": other.email, "password": other.password, "next": "/",
                                     "csrf": login_csrf(browser)})
        first = browser.get("/")
        assert first.status_code == 200 and first.text.count('class="vcard"') == 24
        assert "Clip 25" in first.text and "Clip 01" not in first.text and HARBOUR not in first.text
        assert 'rel="next" href="/?page=2"' in first.text and 'rel="prev"' not in first.text
        second = browser.get("/?page=2")
        assert second.text.count('class="vcard"') == 2 and "Clip 00" in second.text
        assert 'rel="prev" href="/"' in second.text and 'rel="next"' not in second.text
        filtered = browser.get("/", params={"q": "clip", "state": "processing"})
        assert 'href="/?q=clip&amp;state=processing&amp;page=2"' in filtered.text  # filters kept
        mine = api.get("/api/v1/videos", params={"per_page": 1}).json()["items"][0]
        hidden = browser.get(f"/videos/{mine['id']}")
        assert hidden.status_code == 404 and mine["title"] not in hidden.text
        assert browser.get("/?state=bogus").status_code == 200  # an unknown filter shows everything
