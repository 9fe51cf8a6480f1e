"""Golden tests of three promises of ilos's document (seed 004) taken at its word: the bodies of
its Ruby examples, whose keys are not quoted, are understood; the ``video_endpoint`` webhook
reaches the client for a video that fails as well as for one that plays; ``recorderLaunchURI``
is something a browser can open. Each test quotes the text it checks.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

import httpx

from tests.conftest import Account, LiveServer, make_account
from tests.dialects.ilos_client import (  # noqa: F401 - live, alice, org: fixtures
    DOC_ENDPOINT,
    RECORD_KEYS,
    UPLOAD_KEYS,
    WEBHOOK_KEYS,
    alice,
    form_upload,
    iframe_src,
    ilos,
    live,
    org,
    post_json,
    put_video,
)
from tests.jobs.conftest import clips, pipeline  # noqa: F401 - fixtures: generated media, a server with workers
from tests.jobs.test_webhooks import Receiver

# The Ruby examples of "Get Record Token" and "Get Upload Token", and of "Get Video Duration",
# exactly as printed (the body is a Ruby string in single quotes: the keys are bare words):
#
#     request["Content-Type"] = 'application/json'
#     request.body = '{
#       api_key: "{key}",
#       video_endpoint: "https://yoursite.com/endpoint",
#       video_set_public: true
#     }'
RUBY_TOKEN_BODY = '''{
  api_key: "{key}",
  video_endpoint: "https://yoursite.com/endpoint",
  video_set_public: true
}'''
#     request.body = '{
#       api_key: "{key}",
#       randtag : "123456ABCDEF"
#     }'
RUBY_METADATA_BODY = '''{
  api_key: "{key}",
  randtag : "123456ABCDEF"
}'''
JSON_TYPE = {"Content-Type": "application/json"}
FAILURE_KEYS = {"worked", "level", "message"}


def ruby_post(c: httpx.Client, path: str, body: str) -> httpx.Response:
    """What the Ruby example sends: its body text under a JSON Content-Type."""
    return c.post(path, headers=JSON_TYPE, content=body.encode())


# ---------------------------------------------------------------- the Ruby examples' bodies


def test_ruby_example_bodies_with_bare_keys_are_the_same_fields(live: LiveServer, alice: Account) -> None:
    """"Be sure to replace {key} with your API key." A client that copies the Ruby examples of
    the Recording, Uploading and Video APIs (bodies such as ``{ api_key: "{key}", ... }`` and
    ``randtag : "123456ABCDEF"``) gets the example responses, as the JSON of the curl examples
    does."""
    randtag = put_video(live.runtime, alice.secret, title="fifteen minutes", duration_ms=910380)
    token_body = RUBY_TOKEN_BODY.replace("{key}", alice.secret)
    with ilos(live) as c:
        record = ruby_post(c, "/v1/token/record", token_body)
        upload = ruby_post(c, "/v1/token/upload", token_body)
        meta = ruby_post(c, "/video/metadata",
                         RUBY_METADATA_BODY.replace("{key}", alice.secret).replace("123456ABCDEF", randtag))
    assert record.status_code == 200, record.text
    assert set(record.json()) == RECORD_KEYS and record.json()["worked"] is True
    assert record.json()["video_endpoint"] == DOC_ENDPOINT and record.json()["video_set_public"] is True
    assert upload.status_code == 200, upload.text
    assert set(upload.json()) == UPLOAD_KEYS and upload.json()["worked"] is True
    assert upload.json()["video_endpoint"] == DOC_ENDPOINT and upload.json()["video_set_public"] is True
    assert meta.status_code == 200, meta.text
    assert meta.json() == {"message": "", "level": "success",
                           "data": {"hours": "00", "mins": "15", "secs": "10", "ms": "380", "totalMs": 910380}}


def test_object_literal_values_quote_nest_and_end_with_a_comma(live: LiveServer, alice: Account) -> None:
    """"video_endpoint_extras optional array An array of extra data that will be sent to the
    Webook endpoint", written the way the document's own webhook example writes it, with a comma
    after the last entry::

        "video_endpoint_extras": {
          "extra1": "Something I wanted at my endpoint",
          "extra2": "Another thing I wanted at my endpoint",
        }

    Inside a bare-key body the values may be single- or double-quoted strings (with escapes),
    numbers, true/false/nil/null, objects and arrays; they come back exactly in the answer."""
    body = f'''{{
      api_key: '{alice.secret}',
      "service_name": 'Help desk',
      video_endpoint_extras: {{
        "extra1": "Something I wanted at my endpoint",
        "extra2": "Another thing I wanted at my endpoint",
        ticket: 42, score: -1.5e2, urgent: false, closed: nil, owner: null,
        notes: ['it\\'s "quoted"', "tab\\there \\u00e9\\ud83c\\udfac", [], {{}},],
      }},
      video_set_public: false,
    }}'''
    with ilos(live) as c:
        r = ruby_post(c, "/v1/token/upload", body)
    assert r.status_code == 200, r.text
    assert r.json()["video_set_public"] is False
    assert r.json()["video_endpoint_extras"] == {
        "extra1": "Something I wanted at my endpoint", "extra2": "Another thing I wanted at my endpoint",
        "ticket": 42, "score": -150.0, "urgent": False, "closed": None, "owner": None,
        "notes": ["it's \"quoted\"", "tab\there é🎬", [], {}],
    }


def test_bodies_neither_json_nor_object_literal_get_the_ilos_400(live: LiveServer, alice: Account) -> None:
    """Only the object syntax of the examples is read (no code is evaluated); anything else gets
    the ilos failure body, ``"worked": false``, saying what is wrong and where. Deep nesting,
    numbers JSON does not have and escapes of half a character are refused the same way, whether
    the rest of the body is JSON or not."""
    key = alice.secret
    cases = {
        f'{{ api_key: "{key}", video_title: KEY }}': "'KEY' is not a value",
        f'{{ api_key: "{key}", video_title: `whoami` }}': "expected a value, found '`'",
        f'{{ api_key: "{key}", video_title: eval("1") }}': "'eval' is not a value",
        f'{{ api_key: "{key}", video_title: "unclosed }}': "a string is not closed at line 1",
        f'{{ api_key: "{key}"\n  video_title: "x" }}': "expected ',' or '}' after a value of the object, found 'v' "
                                                       "at line 2, column 3",
        f'{{ api_key => "{key}" }}': "expected ':' after the key 'api_key', found '='",
        f'{{ api_key: "{key}" }} trailing': "unexpected text after the object",
        f'{{ api_key: "{key}", video_title: "\\x41" }}': "unknown escape \\x",
        f'{{ api_key: "{key}", video_title: "\\ud800" }}': "lone surrogate",
        f'{{ api_key: "{key}", video_endpoint_extras: 0x10 }}': "'0x'... is not a number",
        f'{{ api_key: "{key}", video_endpoint_extras: 1e999 }}': "out of range",
        f'{{"api_key": "{key}", "video_endpoint_extras": NaN}}': "'NaN' is not a value",
        f'{{ api_key: "{key}", video_endpoint_extras: ' + "{a:" * 40 + "1" + "}" * 41: "nest deeper than 32",
        f'{{"api_key": "{key}", "video_endpoint_extras": ' + "[" * 100_000 + "]" * 100_000 + "}":
            "nest deeper than 32",
        "{ api_key: ": "expected a value, found the end of the body",
    }
    with ilos(live) as c:
        for body, problem in cases.items():
            r = ruby_post(c, "/v1/token/upload", body)
            assert r.status_code == 400, (body[:80], r.text)
            out = r.json()
            assert out["worked"] is False and out["level"] == "error", out
            assert out["message"].startswith("the request body is neither JSON nor an object literal"), out
            assert problem in out["message"], (problem, out["message"])
        as_array = ruby_post(c, "/v1/token/upload", "[" * 100_000)
        half_char = ruby_post(c, "/v1/token/upload", f'{{"api_key": "{key}", "video_endpoint_extras": ["\\ud800"]}}')
    assert as_array.status_code == 400 and as_array.json()["message"] == "the request body must be a JSON object"
    assert half_char.status_code == 400 and "lone surrogate" in half_char.json()["message"]


# ---------------------------------------------------------------- the webhook of a failed video


def test_failed_video_still_posts_to_video_endpoint(pipeline: LiveServer, clips: dict[str, Path]) -> None:
    """"video_endpoint optional string The Webook URL endpoint where a POST will be made after a
    video has been recorded and uploaded." (Uploading API: "after a video has been uploaded";
    Webhooks: "a webook URL that we will call once a video is uploaded to ilos".)

    The moment: one POST per video, once Reelbase knows whether the uploaded video plays, so when
    it is ready or when its processing failed. The document promises "a POST" (one) with links to
    view and embed the video ("embed the video in a support ticket"); a POST at the end of the
    upload would link a video that may never play and need a second POST to take that back, which
    a client counting on one POST per token would take for a second video.

    The failure: the document's body unchanged (a client reading only its fields still learns
    which token and video it was, and the view page says it could not be processed), plus the keys this
    dialect answers every failure with (``errors.py``): ``"worked": false`` as the token answers
    say ``"worked": true``, ``"level": "error"`` as the Video API says ``"level": "success"``, and
    the reason in ``message``. The video that plays gets exactly the document's body.

    Checked with a recorder that records twice (both POSTs report the series' first token, as the
    document says "Token that the video was used to record"): a good clip, then a text file named
    .mp4; and with an upload token whose one file is that text file.
    """
    receiver = Receiver()
    try:
        pipeline.runtime.settings.fetch_allow_hosts = f"127.0.0.1:{receiver.port}"
        org = make_account(pipeline.runtime, key_type="organization")
        extras = {"extra1": "Something I wanted at my endpoint"}
        with ilos(pipeline) as c:
            record = post_json(c, "/v1/token/record", {"api_key": org.secret, "video_endpoint": receiver.url,
                                                      "video_endpoint_extras": extras,
                                                      "video_set_public": True}).json()
            upload = post_json(c, "/v1/token/upload", {"api_key": org.secret, "video_endpoint": receiver.url,
                                                      "video_set_public": True}).json()
        basic = iframe_src(record["recordButtonIframe"]).replace("/embed/recorder/", "/embed/uploader/")
        with httpx.Client(timeout=60, base_url=pipeline.url) as browser:
            good = form_upload(browser, basic + "?uploaderType=basic", clips["portrait"].read_bytes(),
                               filename="portrait.mp4", title="Good take")
            assert good.status_code == 200, good.text
            another = re.search(r'<a href="([^"]+)">Record another video</a>', good.text)
            assert another, good.text
            second = pipeline.url + another.group(1).replace("/embed/recorder/", "/embed/uploader/")
            bad = form_upload(browser, second + "?uploaderType=basic", clips["text"].read_bytes(),
                              filename="notes.mp4", title="Bad take")
            assert bad.status_code == 200, bad.text
            lone = form_upload(browser, iframe_src(upload["uploadIframeBasic"]), clips["text"].read_bytes(),
                               filename="notes.mp4", title="Lone upload")
            assert lone.status_code == 200, lone.text
            receiver.wait(3, timeout=120)
            receiver.wait(4, timeout=3)  # no second POST for any of them
            assert len(receiver.requests) == 3, [raw for _, raw in receiver.requests]
            hooks = [json.loads(raw) for _, raw in receiver.requests]
            views = {hook["randtag"]: browser.get(hook["videoURL"]) for hook in hooks}
    finally:
        receiver.close()
    ready = [h for h in hooks if "worked" not in h]
    failed = [h for h in hooks if h.get("worked") is False]
    assert len(ready) == 1 and len(failed) == 2, hooks
    assert set(ready[0]) == WEBHOOK_KEYS and ready[0]["token"] == record["token"]
    assert ready[0]["video_endpoint_extras"] == extras
    assert "Good take" in views[ready[0]["randtag"]].text
    by_token = {h["token"]: h for h in failed}
    assert set(by_token) == {record["token"], upload["token"]}
    for hook in failed:
        assert set(hook) == WEBHOOK_KEYS | FAILURE_KEYS
        assert hook["level"] == "error" and isinstance(hook["message"], str) and hook["message"]
        assert hook["videoURL"] == f"{pipeline.url}/view/{hook['randtag']}"
        assert hook["embedURL"] == f"{pipeline.url}/embed/{hook['randtag']}" == iframe_src(hook["iframe"])
        page = views[hook["randtag"]]
        assert page.status_code == 200 and "This video could not be processed." in page.text
        assert "not a video" in hook["message"] and escape(hook["message"]) in page.text  # the page's reason
    assert by_token[record["token"]]["video_endpoint_extras"] == extras  # the series keeps its extras
    assert by_token[upload["token"]]["video_endpoint_extras"] is None
    assert by_token[record["token"]]["randtag"] != ready[0]["randtag"]


# ---------------------------------------------------------------- recorderLaunchURI


def test_recorder_launch_uri_opens_the_browser_recorder(live: LiveServer, alice: Account) -> None:
    """"Display a record button to a user using the either recordButtonIframe or
    recorderLaunchURI returned in Step 1. (We recommend using the iframe since it handles
    downloading and installing the recorder for first time users)"

    The example's ``ilosrecord:record?token=…`` starts ilos's installed desktop recorder; the
    document asks nothing of the URI but that a record button can launch the recorder with it.
    Reelbase's recorder is a web page, so ``recorderLaunchURI`` is that page's absolute URL (the
    iframe's own page, opened top-level): a record button linking to it opens the recorder for
    the token, and nothing needs installing."""
    with ilos(live) as c:
        body = post_json(c, "/v1/token/record", {"api_key": alice.secret}).json()
    token, launch = body["token"], body["recorderLaunchURI"]
    assert launch == f"{live.url}/embed/recorder/{token}" == iframe_src(body["recordButtonIframe"])
    with httpx.Client(timeout=30) as browser:
        page = browser.get(launch)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="recorder"' in page.text and f'data-token="{token}"' in page.text
