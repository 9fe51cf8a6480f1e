"""The uploader page in Chromium: two generated videos through Uppy over tus, one interrupted
(its chunks refused, then the page reloaded) and resumed from the stored offset after the same
file is added again; both become ready. The basic form works with JavaScript off; spent and
expired tokens get a message; the page works inside an iframe on another origin."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, FrameLocator, Page, Request, Route, expect

from tests.conftest import LiveServer, make_account
from tests.dialects.ilos_client import set_token_expiry
from tests.jobs.conftest import ffmpeg, pipeline_server, wait_for_state

Shot = Callable[[Page, str], Path]
CHUNK = 64 * 1024
CUT_AT = 8 * CHUNK  # the interrupted file's chunks past this offset are refused


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with pipeline_server(tmp_path_factory.mktemp("uploader")) as live:
        yield live


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small clip (under ``CUT_AT``) and a big one: 2 s of lossless noise, a few MB."""
    root = tmp_path_factory.mktemp("uploader-media")
    small, big = root / "small clip.mp4", root / "big-noise.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2", "-f", "lavfi", "-i", "sine=f=330:d=2",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(small))
    ffmpeg("-f", "lavfi", "-i", "nullsrc=s=320x240:r=25:d=2,geq=lum='random(1)*255':cb=128:cr=128",
           "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", str(big))
    assert small.stat().st_size < CUT_AT - CHUNK and big.stat().st_size > 2_000_000
    return {"small": small, "big": big}


def make_token(server: LiveServer, secret: str, **body: object) -> dict:
    with server.client(secret) as c:
        r = c.post("/api/v1/upload-tokens", json={"kind": "upload", **body})
    assert r.status_code == 201, r.text
    return r.json()


def tus_offset(url: str) -> int:
    r = httpx.head(url, headers={"Tus-Resumable": "1.0.0"}, timeout=30)
    assert r.status_code == 200, r.status_code
    return int(r.headers["upload-offset"])


def test_two_files_one_interrupted_by_a_reload_resume_and_become_ready(
    server: LiveServer, page: Page, videos: dict[str, Path], shot: Shot
) -> None:
    account = make_account(server.runtime)
    made = make_token(server, account.secret, folder="Uploads")
    seen: list[tuple[str, str, dict[str, str]]] = []
    page.on("request", lambda r: seen.append((r.method, r.url, r.headers)) if "/api/v1/uploads/" in r.url else None)
    refused: list[str] = []

    def cut(route: Route, request: Request) -> None:
        # A dropped network for the big file: its chunks past CUT_AT never reach the server.
        if request.method == "PATCH" and int(request.headers.get("upload-offset", "0")) >= CUT_AT:
            refused.append(request.url)
            route.abort("connectionfailed")
        else:
            route.continue_()

    page.route(re.compile(r"/api/v1/uploads/"), cut)
    page.goto(f"{made['uploader_url']}?chunkSize={CHUNK}")
    expect(page.locator(".uppy-Dashboard")).to_be_visible()
    shot(page, "1-empty")
    page.locator("input.uppy-Dashboard-input").first.set_input_files([str(videos["small"]), str(videos["big"])])
    expect(page.locator(".uppy-Dashboard-Item")).to_have_count(2)
    shot(page, "2-two-files")
    page.click(".uppy-StatusBar-actionBtn--upload")
    expect(page.locator("#uploaded li")).to_have_count(1, timeout=30_000)  # the small one is done
    expect(page.locator("#uploaded li")).to_contain_text("small clip")
    deadline = time.monotonic() + 20
    while not refused and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert refused, "the big file's upload was never cut"
    big_url = refused[0]
    assert tus_offset(big_url) == CUT_AT  # the server holds exactly what got through
    shot(page, "3-interrupted")

    # Reload mid-upload (the page stays open while an upload of its series is unfinished),
    # add the same file again: it continues from the stored offset over the same upload.
    page.unroute(re.compile(r"/api/v1/uploads/"))
    page.reload()
    expect(page.locator(".uppy-Dashboard")).to_be_visible()
    expect(page.locator("#uploaded li")).to_have_count(1)  # remembered from before the reload
    before = len(seen)
    page.locator("input.uppy-Dashboard-input").first.set_input_files(str(videos["big"]))
    shot(page, "4-reloaded")
    page.click(".uppy-StatusBar-actionBtn--upload")
    expect(page.locator("#uploaded li")).to_have_count(2, timeout=60_000)
    shot(page, "5-done")
    after = seen[before:]
    upload_id = big_url.split("/api/v1/uploads/")[1].split("?")[0]
    assert not [r for r in after if r[0] == "POST"], "a new upload was created instead of resuming"
    patches = [int(h["upload-offset"]) for m, u, h in after if m == "PATCH" and upload_id in u]
    assert patches and patches[0] == CUT_AT, patches
    assert any(m == "HEAD" and upload_id in u for m, u, _ in after)

    with server.client(account.secret) as c:
        items = c.get("/api/v1/videos").json()["items"]
        assert sorted(v["title"] for v in items) == ["big-noise", "small clip"]
        ready = [wait_for_state(c, v["id"], {"ready", "failed"}, timeout=120) for v in items]
    assert [v["state"] for v in ready] == ["ready", "ready"], [v["state_message"] for v in ready]
    assert {v["project"] for v in ready} == {ready[0]["project"]} and ready[0]["project"]
    sizes = {v["title"]: v["size"] for v in ready}
    assert sizes == {"big-noise": videos["big"].stat().st_size, "small clip": videos["small"].stat().st_size}
    links = page.locator("#uploaded a").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
    assert sorted(links) == sorted(f"/view/{v['token']}" for v in ready)

    # Every upload of the token is done: the token is spent.
    page.goto(made["uploader_url"])
    expect(page.locator("h1")).to_have_text("Link already used")
    shot(page, "6-spent")
    assert page.page_errors == []  # type: ignore[attr-defined]


def test_basic_form_works_without_javascript_and_tells_spent_and_expired(
    server: LiveServer, browser: Browser, videos: dict[str, Path], shot: Shot
) -> None:
    account = make_account(server.runtime)
    made = make_token(server, account.secret, public=True)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{made['uploader_url']}?uploaderType=basic")
        expect(page.locator("form[enctype='multipart/form-data']")).to_be_visible()
        shot(page, "1-form")
        page.fill("#title", "Form <upload>")
        page.set_input_files("#file", str(videos["small"]))
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Uploaded — processing")
        shot(page, "2-uploaded")
        with server.client(account.secret) as c:
            video = c.get(f"/api/v1/videos/{made['video_id']}").json()
        assert video["title"] == "Form <upload>" and video["public"] is True
        assert video["state"] not in ("created", "uploading"), video["state"]
        assert page.locator("a[href*='/view/']").get_attribute("href") == f"{server.url}/view/{video['token']}"

        page.goto(f"{made['uploader_url']}?uploaderType=basic")
        expect(page.locator("h1")).to_have_text("Link already used")
        expect(page.locator(".msg.error")).to_contain_text("already used")
        shot(page, "3-spent")

        late = make_token(server, account.secret)
        set_token_expiry(server.runtime, late["token"], int(time.time()) - 5)
        page.goto(late["uploader_url"])
        expect(page.locator("h1")).to_have_text("Link expired")
        shot(page, "4-expired")
    finally:
        context.close()
    with httpx.Client(timeout=30) as client:
        spent = client.post(made["uploader_url"], files={"file": ("again.mp4", b"x" * 100, "video/mp4")})
        slots = client.post(f"{made['uploader_url']}/slots", json={"name": "more.mp4"})
    assert spent.status_code == 403 and "already used" in spent.text
    assert slots.status_code == 403 and slots.json()["error"]["code"] == "upload_url_used"


class HostPage:
    """Another origin (another port on loopback) whose page puts the uploader in an iframe."""

    def __init__(self, src: str = "", *, html: str | None = None) -> None:
        if html is None:
            html = f'<!doctype html><title>Host</title><h1>Partner site</h1><iframe src="{src}" width="900" height="600">'
        body = html.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _upload_in(frame: FrameLocator, file: Path) -> None:
    """Add one file to the uploader inside ``frame``, start it and wait until it is uploaded."""
    expect(frame.locator(".uppy-Dashboard")).to_be_visible()
    frame.locator("input.uppy-Dashboard-input").first.set_input_files(str(file))
    frame.locator(".uppy-StatusBar-actionBtn--upload").click()
    expect(frame.locator("#uploaded li")).to_contain_text("Uploaded — processing", timeout=30_000)


def test_uploader_works_inside_an_iframe_on_another_origin(
    server: LiveServer, page: Page, videos: dict[str, Path], shot: Shot
) -> None:
    account = make_account(server.runtime)
    made = make_token(server, account.secret)
    host = HostPage(made["uploader_url"])
    try:
        page.goto(host.url)
        frame = page.frame_locator("iframe")
        _upload_in(frame, videos["small"])
        shot(page, "iframe")
    finally:
        host.close()
    with server.client(account.secret) as c:
        video = c.get(f"/api/v1/videos/{made['video_id']}").json()
    assert video["title"] == "small clip" and video["state"] not in ("created", "uploading")
    assert page.page_errors == []  # type: ignore[attr-defined]


def test_integros_widget_in_iframe_mode_mounts_this_uploader_on_a_partner_page(
    server: LiveServer, page: Page, videos: dict[str, Path], shot: Shot
) -> None:
    account = make_account(server.runtime)
    script = f"{server.url}/compat/integros/v1/widgets/uploader.js?access_key={account.secret}"
    host = HostPage(html=('<!doctype html><title>Partner</title><h1>Partner site</h1>'
                          '<div id="integros-uploader"></div>'
                          f'<script src="{script}" data-mode="iframe"></script>'))
    try:
        page.goto(host.url)
        iframe = page.locator("#integros-uploader iframe.integros-uploader-frame")
        expect(iframe).to_have_count(1)
        src = iframe.get_attribute("src") or ""
        assert src.startswith(f"{server.url}/embed/uploader/")
        frame = page.frame_locator("#integros-uploader iframe")
        _upload_in(frame, videos["small"])
        shot(page, "integros-iframe")
    finally:
        host.close()
    with server.client(account.secret) as c:
        titles = [v["title"] for v in c.get("/api/v1/videos").json()["items"]]
    assert titles == ["small clip"]
    assert page.page_errors == []  # type: ignore[attr-defined]
