"""Golden tests of the ilos dialect, written from ilos's document (seed 004): each example
request sent as the document shows it (path, body, headers) to a live server under
/compat/ilos, each response checked field by field against the document's example; the pages
the tokens point to followed and used; one-time tokens refused when reused or expired;
OpenSearch RSS/Atom parsed with xml.etree; auth failures.

One ``pipeline`` test runs a real basic-form upload to ``ready`` and receives the webhook.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx

from reelbase.core.auth import accounts
from tests.conftest import Account, LiveServer, make_account
from tests.dialects.ilos_client import (  # noqa: F401 - live, alice, bob, org: fixtures
    BASE,
    DOC_ENDPOINT,
    RECORD_KEYS,
    UPLOAD_KEYS,
    WEBHOOK_KEYS,
    alice,
    bob,
    form_upload,
    iframe_src,
    ilos,
    live,
    org,
    put_video,
    set_token_expiry,
    video_of_token,
)
from tests.dialects.ilos_client import post_json as _json
from tests.jobs.conftest import clips, pipeline  # noqa: F401 - fixtures: generated media, a server with workers
from tests.jobs.test_webhooks import Receiver

OS = "{http://a9.com/-/spec/opensearch/1.1/}"
ATOM = "{http://www.w3.org/2005/Atom}"
DOC_BODY = {"video_endpoint": DOC_ENDPOINT, "video_set_public": True}


# ---------------------------------------------------------------- Recording API


def test_record_token_doc_example_returns_every_field(live: LiveServer, alice: Account) -> None:
    with ilos(live) as c:
        r = _json(c, "/v1/token/record", {"api_key": alice.secret, **DOC_BODY})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == RECORD_KEYS
    root = live.url + BASE
    token = body["token"]
    assert body["worked"] is True and body["video_endpoint"] == DOC_ENDPOINT
    assert body["video_endpoint_extras"] is None and body["video_set_public"] is True
    assert isinstance(token, str) and len(token) >= 32
    assert body["recorderDownloadUrl"] == f"{root}/recorder/download/{token}"
    assert body["recorderLaunchURI"] == f"{live.url}/embed/recorder/{token}"  # the browser recorder
    assert iframe_src(body["recordButtonIframe"]) == f"{live.url}/embed/recorder/{token}"
    assert abs(body["expires"] - (time.time() + 24 * 3600)) < 120  # a UNIX timestamp (UTC)
    with httpx.Client(timeout=30) as browser:
        recorder = browser.get(iframe_src(body["recordButtonIframe"]))
        download = browser.get(body["recorderDownloadUrl"])
    assert recorder.status_code == 200 and "text/html" in recorder.headers["content-type"]
    assert 'id="recorder"' in recorder.text and f'data-token="{token}"' in recorder.text
    assert f'/embed/uploader/{token}?uploaderType=basic' in recorder.text  # a recording made elsewhere
    assert download.status_code == 200 and f"{live.url}/embed/recorder/{token}" in download.text
    with httpx.Client(base_url=live.url + BASE, timeout=30) as old:  # the dialect's old page paths
        moved = old.get(f"/embed/api/recorder/{token}", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == f"{live.url}/embed/recorder/{token}"


def test_authentication_example_form_body_and_python_example_payload(live: LiveServer, alice: Account) -> None:
    with ilos(live) as c:
        plain = c.post("/v1/token/record", content=f"api_key={alice.secret}")  # curl -d 'api_key={key}'
        # The document's Python example: a form-encoded payload under a JSON Content-Type header.
        python = c.post("/v1/token/record", headers={"Content-Type": "application/json"},
                        data={"api_key": alice.secret, "video_endpoint": DOC_ENDPOINT, "video_set_public": True})
        query = c.post("/v1/token/upload", params={"api_key": alice.secret})
    assert plain.status_code == 200 and plain.json()["worked"] is True
    assert plain.json()["video_endpoint"] is None and plain.json()["video_set_public"] is False
    assert python.status_code == 200, python.text
    assert python.json()["video_set_public"] is True and python.json()["video_endpoint"] == DOC_ENDPOINT
    assert query.status_code == 200 and query.json()["worked"] is True


def test_record_token_options_shape_the_video_and_recorder(live: LiveServer, alice: Account) -> None:
    extras = {"extra1": "Something I wanted at my endpoint", "extra2": "Another thing I wanted at my endpoint"}
    body = {"api_key": alice.secret, "service_name": "Helpdesk", "video_endpoint": DOC_ENDPOINT,
            "video_endpoint_extras": extras, "auto_open_video": True, "auto_close_recorder": True,
            "request_video_title": False, "video_title": "Ticket 42", "video_set_public": False,
            "collection": "Support", "auto_download_recorder": True, "auto_authenticate_on_install": False,
            "auto_launch_fullscreen": False, "webcam_only": True}
    with ilos(live) as c:
        r = _json(c, "/v1/token/record", body)
        again = _json(c, "/v1/token/record", {**body, "video_title": "Ticket 43"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["video_endpoint_extras"] == extras and out["video_set_public"] is False
    video = video_of_token(live.runtime, out["token"])
    assert video.title == "Ticket 42" and video.public is False and video.project_id is not None
    assert video_of_token(live.runtime, again.json()["token"]).project_id == video.project_id  # same folder
    callback = video.options["callbacks"][0]
    assert callback["url"] == DOC_ENDPOINT and callback["format"] == "ilos"
    assert callback["extras"] == {"video_endpoint_extras": extras, "token": out["token"]}
    with httpx.Client(timeout=30) as browser:
        page = browser.get(iframe_src(out["recordButtonIframe"]))
        assert "This recorder records your webcam." in page.text and 'value="screen"' not in page.text
        assert 'data-ask-title="false"' in page.text  # the title was given, not asked for
        sent = form_upload(browser, f"{live.url}/embed/uploader/{out['token']}?uploaderType=basic", b"\x00" * 2048)
    assert sent.status_code == 303 and sent.headers["location"] == f"{live.url}/view/{video.token}"


def test_record_single_video_expands_to_its_three_options(live: LiveServer, alice: Account) -> None:
    with ilos(live) as c:
        r = _json(c, "/v1/token/record", {"api_key": alice.secret, "record_single_video": True,
                                          "auto_open_video": True, "request_video_title": True})
    with httpx.Client(timeout=30) as browser:
        page = browser.get(iframe_src(r.json()["recordButtonIframe"]))
        basic = f"{live.url}/embed/uploader/{r.json()['token']}?uploaderType=basic"
        sent = form_upload(browser, basic, b"\x01" * 100)
    assert 'data-ask-title="false"' in page.text  # request_video_title = false
    assert 'data-auto-open="false"' in page.text and 'data-auto-close="true"' in page.text
    assert sent.status_code == 200 and "Uploaded" in sent.text  # auto_open_video = false
    assert "Record another video" not in sent.text  # auto_close_recorder = true


def test_open_recorder_records_several_videos_reporting_the_first_token(live: LiveServer, org: Account) -> None:
    extras = ["a", "b"]
    with ilos(live) as c:
        body = _json(c, "/v1/token/record", {"api_key": org.secret, "video_endpoint": DOC_ENDPOINT,
                                             "video_endpoint_extras": extras, "video_title": "Standup",
                                             "collection": "Daily", "video_set_public": True}).json()
    first_page = iframe_src(body["recordButtonIframe"])

    def basic_of(recorder_url: str) -> str:  # a recording made elsewhere goes through the basic form
        return recorder_url.replace("/embed/recorder/", "/embed/uploader/") + "?uploaderType=basic"

    with httpx.Client(timeout=30, base_url=live.url) as browser:
        sent = form_upload(browser, basic_of(first_page), b"\x00" * 300)
        assert sent.status_code == 200 and "Record another video" in sent.text
        match = re.search(r'<a href="([^"]+)">Record another video</a>', sent.text)
        assert match and match.group(1) != first_page
        assert browser.get(match.group(1)).status_code == 200  # the next recorder page opens
        second = form_upload(browser, basic_of(f"{live.url}{match.group(1)}"), b"\x00" * 300)
        assert second.status_code == 200
        assert browser.get(first_page).status_code == 403  # each token still uploads once
    one = video_of_token(live.runtime, body["token"])
    two = video_of_token(live.runtime, match.group(1).rsplit("/", 1)[1])
    assert one.id != two.id and two.title == "Standup" and two.public and two.project_id == one.project_id
    assert two.options["callbacks"][0]["extras"] == {"video_endpoint_extras": extras, "token": body["token"]}
    assert two.user_id is None


# ---------------------------------------------------------------- Uploading API


def test_upload_token_doc_example_and_basic_uploader(live: LiveServer, alice: Account) -> None:
    with ilos(live) as c:
        r = _json(c, "/v1/token/upload", {"api_key": alice.secret, **DOC_BODY})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == UPLOAD_KEYS
    root, token = live.url + BASE, body["token"]
    assert (body["worked"], body["video_endpoint"], body["video_endpoint_extras"], body["video_set_public"]) == (
        True, DOC_ENDPOINT, None, True)
    assert iframe_src(body["uploadIframe"]) == f"{live.url}/embed/uploader/{token}"
    assert iframe_src(body["uploadIframeBasic"]) == f"{live.url}/embed/uploader/{token}?uploaderType=basic"
    assert isinstance(body["expires"], int) and body["expires"] > time.time()
    with httpx.Client(timeout=30) as browser:
        full = browser.get(iframe_src(body["uploadIframe"]))
        basic = browser.get(iframe_src(body["uploadIframeBasic"]))
        assert full.status_code == 200 and basic.status_code == 200
        assert "<script" not in basic.text and 'type="file" name="file"' in basic.text
        sent = form_upload(browser, iframe_src(body["uploadIframeBasic"]), b"\x00" * 4096, filename="demo.mp4",
                           title="My <demo>")
        assert sent.status_code == 200 and "Uploaded" in sent.text
        video = video_of_token(live.runtime, token)
        assert f"{live.url}/view/{video.token}" in sent.text
        assert video.title == "My <demo>" and video.public is True and video.user_id is not None
        # one-time: the same token is refused afterwards, by the page and by a direct post
        page_again = browser.get(iframe_src(body["uploadIframeBasic"]))
        post_again = browser.post(iframe_src(body["uploadIframeBasic"]), files={"file": ("x.mp4", b"y" * 10)})
    assert page_again.status_code == 403 and "already used" in page_again.text
    assert post_again.status_code == 403 and "already used" in post_again.text


def test_expired_and_unknown_tokens_are_refused(live: LiveServer, alice: Account) -> None:
    with ilos(live) as c:
        token = _json(c, "/v1/token/upload", {"api_key": alice.secret}).json()["token"]
    set_token_expiry(live.runtime, token, int(time.time()) - 5)
    with httpx.Client(base_url=live.url + BASE, timeout=30, follow_redirects=True) as browser:
        page = browser.get(f"/embed/api/uploader/{token}?uploaderType=basic")  # old path, redirected
        post = browser.post(f"/embed/api/uploader/{token}", files={"file": ("x.mp4", b"y" * 10)})
        unknown = browser.get("/embed/api/uploader/0123456789abcdef0123456789abcdef")
        recorder_unknown = browser.get("/recorder/download/nope")
    assert page.url == f"{live.url}/embed/uploader/{token}?uploaderType=basic"
    assert page.status_code == 403 and "expired" in page.text
    assert post.status_code == 403 and "expired" in post.text
    assert unknown.status_code == 401 and recorder_unknown.status_code == 401
    assert video_of_token(live.runtime, token).state == "uploading"  # nothing was stored


def test_organization_key_uploads_have_no_owner(live: LiveServer, org: Account) -> None:
    with ilos(live) as c:
        body = _json(c, "/v1/token/upload", {"api_key": org.secret}).json()
    with httpx.Client(timeout=30) as browser:
        sent = form_upload(browser, iframe_src(body["uploadIframeBasic"]), b"\x00" * 512)
    assert sent.status_code == 200
    video = video_of_token(live.runtime, body["token"])
    assert video.user_id is None and video.team_id == org.team_id


# ---------------------------------------------------------------- auth failures


def test_missing_wrong_and_revoked_keys_are_refused(live: LiveServer) -> None:
    gone = make_account(live.runtime)
    with live.runtime.session() as db:
        accounts.revoke_api_key(db, gone.public_id)
        db.commit()
    with ilos(live) as c:
        for path in ("/v1/token/record", "/v1/token/upload", "/video/metadata"):
            missing = _json(c, path, {"randtag": "x"})
            wrong = _json(c, path, {"api_key": "rb_not-a-key", "randtag": "x"})
            revoked = _json(c, path, {"api_key": gone.secret, "randtag": "x"})
            for r in (missing, wrong, revoked):
                assert r.status_code == 401, (path, r.text)
                assert r.json()["worked"] is False and r.json()["level"] == "error" and r.json()["message"]
            assert "api_key" in missing.json()["message"]


def test_bad_webhook_url_and_bad_flag_are_refused(live: LiveServer, alice: Account) -> None:
    with ilos(live) as c:
        bad_url = _json(c, "/v1/token/upload", {"api_key": alice.secret, "video_endpoint": "ftp://x"})
        bad_flag = _json(c, "/v1/token/upload", {"api_key": alice.secret, "video_set_public": "maybe"})
        bad_json = c.post("/v1/token/upload", headers={"Content-Type": "application/json"}, content="{nope")
    assert bad_url.status_code == 400 and bad_url.json()["worked"] is False
    assert bad_flag.status_code == 400 and "video_set_public" in bad_flag.json()["message"]
    assert bad_json.status_code == 400


# ---------------------------------------------------------------- Video API


def test_video_metadata_doc_example(live: LiveServer, alice: Account, bob: Account) -> None:
    randtag = put_video(live.runtime, alice.secret, title="long one", duration_ms=910380)
    with ilos(live) as c:
        r = _json(c, "/video/metadata", {"api_key": alice.secret, "randtag": randtag})
        form = c.post("/video/metadata", data={"api_key": alice.secret, "randtag": randtag})
        other_team = _json(c, "/video/metadata", {"api_key": bob.secret, "randtag": randtag})
        unknown = _json(c, "/video/metadata", {"api_key": alice.secret, "randtag": "123456ABCDEF"})
        missing = _json(c, "/video/metadata", {"api_key": alice.secret})
    assert r.status_code == 200, r.text
    assert r.json() == {"message": "", "level": "success",
                        "data": {"hours": "00", "mins": "15", "secs": "10", "ms": "380", "totalMs": 910380}}
    assert form.json() == r.json()
    assert other_team.status_code == 404 and other_team.json()["level"] == "error"
    assert unknown.status_code == 404 and missing.status_code == 400
    fresh = put_video(live.runtime, alice.secret, title="fresh", state="uploading")
    with ilos(live) as c:
        r = _json(c, "/video/metadata", {"api_key": alice.secret, "randtag": fresh})
    assert r.status_code == 409 and r.json()["level"] == "error"  # no duration yet


# ---------------------------------------------------------------- OpenSearch


def test_opensearch_doc_example_rss(live: LiveServer) -> None:
    org = make_account(live.runtime, key_type="organization")
    hit = put_video(live.runtime, org.secret, title="Testing <the> search", public=True)
    put_video(live.runtime, org.secret, title="Other", description="more testing here")
    put_video(live.runtime, org.secret, title="testing but processing", state="transcoding")
    put_video(live.runtime, org.secret, title="unrelated")
    with ilos(live) as c:
        r = c.get(f"/opensearch/?q=testing&api_key={org.secret}")
        prefixed = c.get("/opensearch/", params={"q": "example search", "api_key": org.secret, "ptilos": "true"})
        nothing = c.get("/opensearch", params={"q": "example search", "api_key": org.secret})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/rss+xml")
    channel = ET.fromstring(r.content).find("channel")
    assert channel is not None
    assert channel.findtext(f"{OS}totalResults") == "2" and channel.findtext(f"{OS}startIndex") == "1"
    query = channel.find(f"{OS}Query")
    assert query is not None and query.get("searchTerms") == "testing" and query.get("role") == "request"
    items = channel.findall("item")
    titles = {i.findtext("title") for i in items}
    assert titles == {"Testing <the> search", "Other"}
    first = next(i for i in items if i.findtext("title") == "Testing <the> search")
    assert first.findtext("link") == f"{live.url}/view/{hit}"
    enclosure = first.find("enclosure")
    assert enclosure is not None and enclosure.get("url") == f"{live.url}{BASE}/media/{hit}.mp4"
    assert first.findtext("pubDate") and first.findtext("guid")
    assert nothing.status_code == 200 and ET.fromstring(nothing.content).findall("channel/item") == []
    assert prefixed.status_code == 200
    put_video(live.runtime, org.secret, title="An example search")
    with ilos(live) as c:
        prefixed = c.get("/opensearch/", params={"q": "example search", "api_key": org.secret, "ptilos": "true"})
    assert [i.findtext("title") for i in ET.fromstring(prefixed.content).iter("item")] == ["ilos: An example search"]


def test_opensearch_atom_paging_description_and_auth(live: LiveServer, org: Account, alice: Account) -> None:
    word = "lesson" + secrets.token_hex(4)  # the shared team's other videos do not match
    for n in range(3):
        put_video(live.runtime, org.secret, title=f"{word} {n}")
    with ilos(live) as c:
        atom = c.get("/opensearch/", params={"q": word, "api_key": org.secret, "format": "atom", "count": 2})
        page2 = c.get("/opensearch/", params={"q": word, "api_key": org.secret, "count": 2, "startPage": 2})
        by_accept = c.get("/opensearch/", params={"q": word, "api_key": org.secret},
                          headers={"Accept": "application/atom+xml"})
        osd = c.get("/opensearch/description.xml", params={"api_key": org.secret})
    feed = ET.fromstring(atom.content)
    assert atom.headers["content-type"].startswith("application/atom+xml") and feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{OS}totalResults") == "3" and feed.findtext(f"{OS}itemsPerPage") == "2"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2 and all(e.findtext(f"{ATOM}id") and e.findtext(f"{ATOM}updated") for e in entries)
    assert feed.findtext(f"{ATOM}title") and feed.findtext(f"{ATOM}updated")
    channel = ET.fromstring(page2.content).find("channel")
    assert channel is not None and len(channel.findall("item")) == 1 and channel.findtext(f"{OS}startIndex") == "3"
    assert ET.fromstring(by_accept.content).tag == f"{ATOM}feed"
    assert osd.status_code == 200 and osd.headers["content-type"].startswith("application/opensearchdescription+xml")
    doc = ET.fromstring(osd.content)
    assert doc.tag == f"{OS}OpenSearchDescription" and doc.findtext(f"{OS}ShortName") == "ilos"
    templates = {u.get("type"): u.get("template") for u in doc.findall(f"{OS}Url")}
    rss = templates["application/rss+xml"]
    assert rss.startswith(f"{live.url}{BASE}/opensearch/?q={{searchTerms}}") and f"api_key={org.secret}" in rss
    followed = httpx.get(rss.replace("{searchTerms}", word).replace("{startPage?}", "1").replace("{count?}", "30"))
    assert followed.status_code == 200 and len(ET.fromstring(followed.content).findall("channel/item")) == 3
    with ilos(live) as c:
        missing = c.get("/opensearch/", params={"q": "x"})
        wrong = c.get("/opensearch/", params={"q": "x", "api_key": "rb_wrong"})
        user_key = c.get("/opensearch/", params={"q": "x", "api_key": alice.secret})
    assert missing.status_code == 401 and wrong.status_code == 401
    assert user_key.status_code == 403 and "Organization" in user_key.json()["message"]


# ---------------------------------------------------------------- view and embed pages


def test_view_and_embed_pages_resolve(live: LiveServer, alice: Account) -> None:
    processing = put_video(live.runtime, alice.secret, title="soon <b>", state="transcoding", public=True)
    private = put_video(live.runtime, alice.secret, title="secret", public=False)
    with ilos(live) as c:
        moved = c.get(f"/view/{processing}?t=1", follow_redirects=False)
        view = c.get(f"/view/{processing}", follow_redirects=True)
        embed = c.get(f"/embed/{processing}", follow_redirects=True)
        hidden = c.get(f"/view/{private}", follow_redirects=True)
        hidden_media = c.get(f"/media/{private}.mp4")
        unknown = c.get("/view/ffffffffffffffff", follow_redirects=True)
    # the dialect's old paths send the browser to Reelbase's player pages
    assert moved.status_code == 301 and moved.headers["location"] == f"{live.url}/view/{processing}?t=1"
    assert view.url == f"{live.url}/view/{processing}" and embed.url == f"{live.url}/embed/{processing}"
    assert view.status_code == 200 and "still being processed" in view.text and "soon &lt;b&gt;" in view.text
    assert embed.status_code == 200 and "still being processed" in embed.text
    assert hidden.status_code == 403 and "private" in hidden.text and "secret" not in hidden.text
    assert hidden_media.status_code == 403 and unknown.status_code == 404


# ---------------------------------------------------------------- end to end, with workers


def test_basic_upload_is_processed_and_webhook_delivered(pipeline: LiveServer, clips: dict[str, Path]) -> None:
    receiver = Receiver()
    try:
        pipeline.runtime.settings.fetch_allow_hosts = f"127.0.0.1:{receiver.port}"
        org = make_account(pipeline.runtime, key_type="organization")
        extras = {"extra1": "Something I wanted at my endpoint", "extra2": "Another thing I wanted at my endpoint"}
        with ilos(pipeline) as c:
            body = _json(c, "/v1/token/upload", {"api_key": org.secret, "video_endpoint": receiver.url,
                                                 "video_endpoint_extras": extras, "video_set_public": True,
                                                 "service_name": "tests"}).json()
        with httpx.Client(timeout=60) as browser:
            sent = form_upload(browser, iframe_src(body["uploadIframeBasic"]), clips["portrait"].read_bytes(),
                               filename="portrait.mp4", title="Portrait demo")
            assert sent.status_code == 200, sent.text
            receiver.wait(1, timeout=90)
            assert len(receiver.requests) == 1
            headers, raw = receiver.requests[0]
            hook = json.loads(raw)
            assert set(hook) == WEBHOOK_KEYS and headers["content-type"].startswith("application/json")
            root, randtag = pipeline.url + BASE, hook["randtag"]
            assert hook["token"] == body["token"] and hook["video_endpoint_extras"] == extras
            assert hook["videoURL"] == f"{pipeline.url}/view/{randtag}"
            assert hook["embedURL"] == f"{pipeline.url}/embed/{randtag}"
            assert iframe_src(hook["iframe"]) == hook["embedURL"]
            view, embed = browser.get(hook["videoURL"]), browser.get(hook["embedURL"])
            assert view.status_code == 200 and "Portrait demo" in view.text
            assert embed.status_code == 200 and 'id="player"' in embed.text and "/play/" in embed.text
            media_url = f"{root}/media/{randtag}.mp4"
            media = browser.get(media_url, headers={"Range": "bytes=0-99"})
            assert media.status_code == 206 and media.headers["content-type"] == "video/mp4"
            assert media.content[4:8] == b"ftyp"
        with ilos(pipeline) as c:
            meta = _json(c, "/video/metadata", {"api_key": org.secret, "randtag": randtag}).json()
            found = c.get("/opensearch/", params={"q": "portrait", "api_key": org.secret})
        assert meta["level"] == "success" and 1800 <= meta["data"]["totalMs"] <= 2200
        assert meta["data"]["secs"] in ("01", "02") and meta["data"]["hours"] == "00"
        assert [i.findtext("link") for i in ET.fromstring(found.content).iter("item")] == [hook["videoURL"]]
    finally:
        receiver.close()
