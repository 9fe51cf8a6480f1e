"""The recorder page in Chromium with fake camera, microphone and screen: a 3 s recording becomes
a ready video of about 3 s and its token's callback arrives; "screen and webcam" composes a live
preview; the token's options (title asked for, one video only, webcam only) shape the page."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import LiveServer, make_account
from tests.jobs.conftest import pipeline_server, wait_for_state
from tests.jobs.test_webhooks import Receiver

Shot = Callable[[Page, str], Path]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with pipeline_server(tmp_path_factory.mktemp("recorder")) as live:
        yield live


def wait_until(page: Page, predicate: str, timeout: float = 15) -> None:
    """Poll ``predicate`` (a JS function) with page.evaluate: page.wait_for_function evaluates
    strings with eval, which the page's CSP (rightly) forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}"
        page.wait_for_timeout(100)


def make_token(server: LiveServer, secret: str, **body: object) -> dict:
    with server.client(secret) as c:
        r = c.post("/api/v1/upload-tokens", json={"kind": "record", **body})
    assert r.status_code == 201, r.text
    return r.json()


def test_three_second_screen_recording_becomes_a_ready_video_and_calls_back(
    server: LiveServer, page: Page, shot: Shot
) -> None:
    receiver = Receiver()
    try:
        server.runtime.settings.fetch_allow_hosts = f"127.0.0.1:{receiver.port}"
        account = make_account(server.runtime)
        made = make_token(server, account.secret, title="Support call", callback_url=receiver.url, folder="Calls")
        page.goto(made["recorder_url"])
        recorder = page.locator("#recorder")
        expect(recorder).to_have_attribute("data-state", "idle")
        expect(page.locator("input[name=mode][value=screen]")).to_be_checked()
        shot(page, "1-idle")
        page.click("#start")
        expect(recorder).to_have_attribute("data-state", "recording")
        wait_until(page, "() => document.getElementById('preview').videoWidth > 0")
        page.wait_for_timeout(3000)
        expect(page.locator("#elapsed")).to_have_text(re.compile(r"^0:0[2-5]$"))
        shot(page, "2-recording")
        page.click("#stop")
        expect(recorder).to_have_attribute("data-state", "done", timeout=30_000)
        expect(page.locator("#done")).to_contain_text("Uploaded — processing")
        code = page.locator("#view-link").get_attribute("href")
        expect(page.locator("#another")).to_be_visible()  # auto_close_recorder is off
        shot(page, "3-uploaded")

        with server.client(account.secret) as c:
            video = wait_for_state(c, made["video_id"], {"ready", "failed"}, timeout=120)
        assert video["state"] == "ready", video
        assert code == f"/view/{video['token']}"
        assert 2000 <= video["duration_ms"] <= 5000, video["duration_ms"]
        assert video["title"] == "Support call"  # the token's title stays
        assert video["original_filename"].startswith("recording-") and video["original_filename"].endswith(".webm")
        assert video["media_info"]["has_audio"] is True  # the microphone was recorded
        receiver.wait(1, timeout=60)
        assert len(receiver.requests) == 1
        hook = json.loads(receiver.requests[0][1])
        assert hook["type"] == "video.ready" and hook["data"]["id"] == made["video_id"]

        # The token is spent: the page says so; "record another" opens the series' next token.
        with httpx.Client(timeout=30) as browser:
            spent = browser.get(made["recorder_url"])
        assert spent.status_code == 403 and "already used" in spent.text
        page.click("#another")
        page.wait_for_url(lambda url: re.search(r"/embed/recorder/[0-9a-f]{32}$", url) is not None
                          and made["token"] not in url)
        expect(recorder).to_have_attribute("data-state", "idle")
        assert page.page_errors == []  # type: ignore[attr-defined]
    finally:
        receiver.close()


def test_screen_and_webcam_compose_a_preview_then_the_asked_title_names_the_video(
    server: LiveServer, page: Page, shot: Shot
) -> None:
    account = make_account(server.runtime)
    made = make_token(server, account.secret, options={"request_video_title": True, "auto_close_recorder": True})
    page.goto(made["recorder_url"])
    page.check("input[name=mode][value=both]")
    page.click("#start")
    expect(page.locator("#recorder")).to_have_attribute("data-state", "recording")
    wait_until(page, "() => document.getElementById('preview').videoWidth > 0")
    page.wait_for_timeout(1200)
    # The preview is the composed canvas: screen-sized, with the webcam in the bottom-right corner
    # inside a white frame (the fake devices draw only greens, so white pixels come from the frame).
    probe = """() => {
      const v = document.getElementById('preview');
      const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
      const ctx = c.getContext('2d'); ctx.drawImage(v, 0, 0);
      const white = (x0, y0, w, h) => {
        const d = ctx.getImageData(x0, y0, w, h).data; let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] > 230 && d[i + 1] > 230 && d[i + 2] > 230) n++;
        return n;
      };
      const w = c.width / 2, h = c.height / 2;
      return {width: c.width, height: c.height, corner: white(w, h, w, h), elsewhere: white(0, 0, w, h),
              tracks: v.srcObject.getTracks().map((t) => t.kind).sort(), time: v.currentTime};
    }"""
    first = page.evaluate(probe)
    page.wait_for_timeout(500)
    second = page.evaluate(probe)
    shot(page, "1-both-recording")
    assert first["width"] >= 640 and first["height"] >= 360, first
    assert first["tracks"] == ["audio", "video"]
    assert second["time"] > first["time"] > 0  # live
    assert first["corner"] > 200 and first["elsewhere"] == 0, first
    page.click("#stop")
    expect(page.locator("#recorder")).to_have_attribute("data-state", "titling")
    expect(page.locator("#title-form")).to_be_visible()
    shot(page, "2-title")
    page.fill("#title", "Bug <report> walkthrough")
    page.click("#title-form button[type=submit]")
    expect(page.locator("#recorder")).to_have_attribute("data-state", "done", timeout=30_000)
    expect(page.locator("#another")).to_be_hidden()  # auto_close_recorder: one video only
    shot(page, "3-done")
    with server.client(account.secret) as c:
        video = c.get(f"/api/v1/videos/{made['video_id']}").json()
        assert video["title"] == "Bug <report> walkthrough" and video["state"] != "uploading", video
        refused = httpx.post(f"{server.url}/embed/recorder/{made['token']}/next", timeout=30)
    assert refused.status_code == 403 and "one video only" in refused.json()["error"]["message"]
    assert page.page_errors == []  # type: ignore[attr-defined]


def test_webcam_only_token_offers_no_screen_and_unknown_tokens_get_a_message(server: LiveServer) -> None:
    account = make_account(server.runtime)
    made = make_token(server, account.secret, options={"webcam_only": True})
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        page = browser.get(f"/embed/recorder/{made['token']}")
        unknown = browser.get("/embed/recorder/0123456789abcdef0123456789abcdef")
    assert page.status_code == 200 and 'value="screen"' not in page.text and "records your webcam" in page.text
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    assert unknown.status_code == 401 and "Unknown link" in unknown.text


def test_ilos_record_token_opens_this_recorder_with_its_options(server: LiveServer) -> None:
    account = make_account(server.runtime)
    body = {"api_key": account.secret, "webcam_only": True, "request_video_title": True,
            "auto_close_recorder": True, "collection": "Support", "video_set_public": True}
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.post("/compat/ilos/v1/token/record", json=body)
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        page = c.get(f"/embed/recorder/{token}")
        slot = c.post(f"/embed/recorder/{token}/slot", json={"title": "Ticket 42"})
    assert page.status_code == 200
    html = page.text
    assert 'value="screen"' not in html and 'data-ask-title="true"' in html and 'data-auto-close="true"' in html
    assert slot.status_code == 201 and slot.json()["endpoint"].startswith(f"/api/v1/uploads/?token={token}&")
    with server.client(account.secret) as c:
        video = c.get(f"/api/v1/videos/{slot.json()['video']}").json()
        folder = c.get(f"/api/v1/projects/{video['project']}").json()
    assert video["title"] == "Ticket 42" and video["public"] is True and folder["name"] == "Support"
