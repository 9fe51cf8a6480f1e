"""``POST /api/v1/upload-tokens``: one-time tokens for the uploader and recorder pages, made with
an API key or a signed-in browser (cookie + CSRF), with clear 422s for bad input; and the
series a token starts (the uploader page's further files)."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from tests.conftest import Account, LiveServer, login_csrf


def test_upload_token_chooses_the_video_settings_and_names_its_page(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    before = dt.datetime.now(dt.UTC)
    r = c.post("/api/v1/upload-tokens", json={
        "kind": "upload", "title": "  Quarterly <b>report</b> ", "public": True, "folder": "Reports",
        "callback_url": "https://hooks.example.com/done", "lifetime_seconds": 600,
    })
    assert r.status_code == 201, r.text
    body = r.json()
    token = body["token"]
    assert re.fullmatch(r"[0-9a-f]{32}", token) and body["kind"] == "upload"
    assert body["uploader_url"] == f"{live.url}/embed/uploader/{token}" and "recorder_url" not in body
    expires = dt.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert dt.timedelta(seconds=590) <= expires - before <= dt.timedelta(seconds=610)
    video = c.get(f"/api/v1/videos/{body['video_id']}").json()
    assert video["title"] == "Quarterly <b>report</b>" and video["public"] is True and video["state"] == "uploading"
    folder = c.get(f"/api/v1/projects/{video['project']}").json()
    assert folder["name"] == "Reports"

    record = c.post("/api/v1/upload-tokens", json={"kind": "record", "folder": "Reports",
                                                   "options": {"webcam_only": True, "request_video_title": True}})
    assert record.status_code == 201, record.text
    out = record.json()
    assert out["recorder_url"] == f"{live.url}/embed/recorder/{out['token']}" and "uploader_url" not in out
    assert out["options"] == {"webcam_only": True, "request_video_title": True, "auto_close_recorder": False}
    again = c.get(f"/api/v1/videos/{out['video_id']}").json()
    assert again["project"] == video["project"]  # the same folder, found by name, not a second one
    assert again["public"] is False and again["title"] == ""


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"kind": "film"}, "kind", "upload"),
    ({}, "kind", "required"),
    ({"kind": "upload", "lifetime_seconds": 5}, "lifetime_seconds", "greater than or equal to 60"),
    ({"kind": "upload", "lifetime_seconds": 8 * 24 * 3600}, "lifetime_seconds", "less than or equal"),
    ({"kind": "upload", "callback_url": "ftp://example.com/x"}, "callback_url", "http(s)"),
    ({"kind": "upload", "callback_url": "https://u:p@example.com/x"}, "callback_url", "credentials"),
    ({"kind": "upload", "title": "x" * 501}, "title", "at most 500"),
    ({"kind": "record", "options": {"fullscreen": True}}, "options.fullscreen", "unknown field"),
    ({"kind": "upload", "color": "red"}, "color", "unknown field"),
])
def test_bad_input_is_a_clear_422(live: LiveServer, alice: Account, body: dict, field: str, words: str) -> None:
    r = live.client(alice.secret).post("/api/v1/upload-tokens", json=body)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == field and words in error["message"], error


def test_no_credentials_no_token(live: LiveServer) -> None:
    r = live.client().post("/api/v1/upload-tokens", json={"kind": "upload"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


def test_signed_in_browser_makes_tokens_with_csrf_and_their_series_continues(live: LiveServer, alice: Account) -> None:
    with httpx.Client(base_url=live.url, timeout=30) as browser:
        signed = browser.post("/login", data={"email": alice.email, "password": alice.password, "next": "/",
                                              "csrf": login_csrf(browser)})
        assert signed.status_code == 303
        refused = browser.post("/api/v1/upload-tokens", json={"kind": "upload"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]{64})"', browser.post("/logout", data={}).text)
        assert csrf
        made = browser.post("/api/v1/upload-tokens", json={"kind": "upload", "folder": "Mine"},
                            headers={"X-CSRF-Token": csrf[1]})
        assert made.status_code == 201, made.text
        token = made.json()["token"]
        # The uploader page's slots: the token's own upload first, then a sibling of the same
        # series (made as the signed-in person: no API key stands behind this token).
        first = browser.post(f"/embed/uploader/{token}/slots", json={"name": "one.mp4"})
        second = browser.post(f"/embed/uploader/{token}/slots", json={"name": "two.mov"})
    assert first.status_code == 201 and second.status_code == 201, (first.text, second.text)
    assert first.json()["token"] == token and second.json()["token"] != token
    assert second.json()["endpoint"].startswith("/api/v1/uploads/?token=" + second.json()["token"])
    c = live.client(alice.secret)
    one, two = (c.get(f"/api/v1/videos/{s.json()['video']}").json() for s in (first, second))
    assert (one["title"], two["title"]) == ("one", "two")
    assert one["project"] == two["project"] is not None


def test_uploader_series_stays_open_while_an_upload_is_unfinished_and_is_capped(
    live: LiveServer, alice: Account
) -> None:
    c = live.client(alice.secret)
    token = c.post("/api/v1/upload-tokens", json={"kind": "upload"}).json()["token"]
    page = f"{live.url}/embed/uploader/{token}"
    with httpx.Client(timeout=30) as browser:
        own = browser.post(f"{page}/slots", json={"name": "a.mp4"}).json()
        sibling = browser.post(f"{page}/slots", json={"name": "b.mp4"}).json()
        assert own["token"] == token and sibling["token"] != token
        # The first file arrives whole (signed single upload to its slot): the token is used,
        # but the page stays open because b.mp4 is still to come.
        query = own["endpoint"].split("?", 1)[1]
        sent = browser.post(f"{live.url}/api/v1/uploads/signed?{query}&filename=a.mp4", content=b"\x00" * 1000)
        assert sent.status_code in (200, 201), sent.text
        assert browser.get(page).status_code == 200
        assert browser.get(f"{page}?uploaderType=basic").status_code == 403  # the form writes the own upload only
        # b.mp4 is given up (tus termination of its slot): every upload of the series is over.
        sibling_url = f"{live.url}/api/v1/uploads/{sibling['token']}?{sibling['endpoint'].split('?', 1)[1]}"
        gone = browser.delete(sibling_url, headers={"Tus-Resumable": "1.0.0"})
        assert gone.status_code == 204, gone.text
        spent = browser.get(page)
        assert spent.status_code == 403 and "already used" in spent.text
        assert browser.post(f"{page}/slots", json={}).json()["error"]["code"] == "upload_url_used"

        # One page adds at most MAX_SERIES further files to its token.
        other = c.post("/api/v1/upload-tokens", json={"kind": "upload"}).json()["token"]
        codes = [browser.post(f"{live.url}/embed/uploader/{other}/slots", json={}).status_code for _ in range(52)]
    assert codes[:51] == [201] * 51 and codes[51] == 403
