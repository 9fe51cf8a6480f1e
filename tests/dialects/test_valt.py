"""Golden tests of the VALT dialect, written from VALT's document (seed 001, "API Upload
Recording"): the example requests sent as the document shows them (path, ``access_token``
query parameter, headers, body - Example 2 with its trailing comma) to a live server under
/compat/valt, each response checked field by field against the document's examples, the
documented 401 bodies, and Content-Range uploads (whole, chunked, resumed, repeated).

Most tests use ``live`` (API only, SQLite and PostgreSQL); one ``pipeline`` test ingests a
generated clip uploaded in chunks until it is ready.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tests.conftest import Account, LiveServer, make_account
from tests.dialects.valt_client import (
    BAD_CREDENTIALS,
    BASE,
    EXAMPLE_1,
    EXAMPLE_2,
    NO_TOKEN,
    UUID,
    client,
    create_upload,
    created,
    send_chunk,
)
from tests.jobs.conftest import clips, pipeline, wait_for_state  # noqa: F401 - fixtures

# ---------------------------------------------------------------- 1) create upload record


def test_create_upload_example_1_returns_record_id_and_video_ids(live: LiveServer, alice: Account) -> None:
    with client(live) as c:
        r = create_upload(c, alice.secret, EXAMPLE_1)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert UUID.match(body["id"]) and len(body["videos"]) == 1 and UUID.match(body["videos"][0])
    assert body["id"] != body["videos"][0]
    assert body["data"] == {"id": body["id"], "videos": body["videos"]}  # the tables' "data" nesting
    video = live.client(alice.secret).get(f"/api/v1/videos/{body['videos'][0]}").json()
    assert video["title"] == "Upload Recording" and video["state"] == "created"
    assert video["project"] == body["id"]


def test_create_upload_example_2_keeps_template_fields_and_shares(live: LiveServer, alice: Account) -> None:
    with client(live) as c:
        r = create_upload(c, alice.secret, EXAMPLE_2)  # as printed, trailing comma included
        assert r.status_code == 200, r.text
        video = live.client(alice.secret).get(f"/api/v1/videos/{r.json()['videos'][0]}").json()
        assert video["template_fields"] == {"1": "Field Value 1", "2": "Field Value 2"}
        assert video["shared_user_ids"] == [1, 2, 3] and video["shared_group_ids"] == [4, 5, 6]
        # the parameter table nests the fields under "data": accepted too
        nested = create_upload(c, alice.secret, '{"data": {"name": "Nested", "share": {"users": [7]}}}')
        assert nested.status_code == 200, nested.text
        video = live.client(alice.secret).get(f"/api/v1/videos/{nested.json()['videos'][0]}").json()
        assert video["title"] == "Nested" and video["shared_user_ids"] == [7]
        for bad in ("{", "[1]", '{"template": "x"}', '{"name": "x", "share": {"users": [[1]]}}'):
            r = create_upload(c, alice.secret, bad)
            assert r.status_code == 400, (bad, r.text)
            assert set(r.json()["error"]) >= {"code", "message"} and r.json()["error"]["code"] == 400


# ---------------------------------------------------------------- 2) upload video to record


def test_upload_example_whole_file_in_one_multipart_request(live: LiveServer, alice: Account) -> None:
    data = os.urandom(316620)  # the document's size and header: "bytes 0-316620/316620"
    with client(live) as c:
        record, video = created(c, alice.secret)
        r = send_chunk(c, alice.secret, record, video, data, 0, len(data) - 1, header_end=316620)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["id"] == record and body["videos"] == [video]
        url = body["url"]
        assert url == f"{live.url}{BASE}/api/v3/records/{record}/videos/{video}/download"
        assert body["data"] == {"id": record, "videos": [video], "url": url}
        got = c.get(url, params={"access_token": alice.secret})
        assert got.status_code == 200 and got.content == data
        assert "clip.mp4" in got.headers["content-disposition"]
        native = live.client(alice.secret).get(f"/api/v1/videos/{video}").json()
        assert native["original_filename"] == "clip.mp4" and native["state"] != "created"
        record2, video2 = created(c, alice.secret)  # no Content-Range: the body is the whole file
        plain = c.post(f"/api/v3/records/{record2}/videos/{video2}", params={"access_token": alice.secret},
                       files={"file": ("whole.mp4", data[:1000], "video/mp4")})
        assert plain.status_code == 200 and plain.json()["id"] == record2, plain.text
        assert c.get(plain.json()["url"], params={"access_token": alice.secret}).content == data[:1000]


def test_upload_in_chunks_raw_and_multipart_with_resume_and_repeats(live: LiveServer, alice: Account) -> None:
    data = os.urandom(250_003)
    with client(live) as c:
        record, video = created(c, alice.secret)
        late = send_chunk(c, alice.secret, record, video, data, 100_000, 199_999)  # no upload begun yet
        assert late.status_code == 409 and late.json()["error"]["offset"] == 0
        bad = c.post(f"/api/v3/records/{record}/videos/{video}", params={"access_token": alice.secret},
                     headers={"Content-Range": "bytes 9-2/10"}, files={"file": ("a.mp4", b"x", "video/mp4")})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == 400
        first = send_chunk(c, alice.secret, record, video, data, 0, 99_999)
        assert first.status_code == 200, first.text
        assert first.headers["Range"] == "bytes=0-99999" and first.headers["Upload-Offset"] == "100000"
        again = send_chunk(c, alice.secret, record, video, data, 0, 99_999)  # repeated: changes nothing
        assert again.status_code == 200 and again.headers["Upload-Offset"] == "100000"
        gap = send_chunk(c, alice.secret, record, video, data, 200_000, 250_002, multipart=False)
        assert gap.status_code == 409
        err = gap.json()["error"]
        assert err["code"] == 409 and err["offset"] == 100_000 and "100000" in err["message"]
        assert gap.headers["Upload-Offset"] == "100000"
        overlap = send_chunk(c, alice.secret, record, video, data, 50_000, 199_999, multipart=False)
        assert overlap.status_code == 200 and overlap.headers["Upload-Offset"] == "200000"
        last = send_chunk(c, alice.secret, record, video, data, 200_000, 250_002)
        assert last.status_code == 200 and "Upload-Offset" not in last.headers
        assert last.json()["videos"] == [video]
        repeat_last = send_chunk(c, alice.secret, record, video, data, 200_000, 250_002)
        assert repeat_last.status_code == 200
        got = c.get(last.json()["url"], params={"access_token": alice.secret})
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()


def test_upload_form_fields_update_the_record(live: LiveServer, alice: Account) -> None:
    data = os.urandom(5000)
    with client(live) as c:
        record, video = created(c, alice.secret)
        form = {"name": "Renamed", "template[3]": "Third", "share[users][0]": "8", "share[groups][0]": "9"}
        r = send_chunk(c, alice.secret, record, video, data, 0, 4999, form=form)
    assert r.status_code == 200, r.text
    native = live.client(alice.secret).get(f"/api/v1/videos/{video}").json()
    assert native["title"] == "Renamed" and native["template_fields"] == {"3": "Third"}
    assert native["shared_user_ids"] == [8] and native["shared_group_ids"] == [9]


# ---------------------------------------------------------------- authentication


def test_login_returns_an_access_token_that_authenticates(live: LiveServer, alice: Account) -> None:
    with client(live) as c:
        r = c.post("/api/v3/login", json={"username": alice.email, "password": alice.password})
        assert r.status_code == 200, r.text
        token = r.json()["data"]["access_token"]
        assert isinstance(token, str) and token
        made = create_upload(c, token)
        assert made.status_code == 200, made.text
        wrong = c.post("/api/v3/login", json={"username": alice.email, "password": "not-it"})
        assert wrong.status_code == 401 and wrong.json() == BAD_CREDENTIALS
        nobody = c.post("/api/v3/login", json={"username": "nobody@example.com", "password": "x" * 9})
        assert nobody.status_code == 401 and nobody.json() == BAD_CREDENTIALS
        tampered = create_upload(c, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
        assert tampered.status_code == 401 and tampered.json() == BAD_CREDENTIALS
    # the record is the user's team's, visible through the native API with the team's key
    assert live.client(alice.secret).get(f"/api/v1/videos/{made.json()['videos'][0]}").status_code == 200


def test_documented_401_bodies(live: LiveServer, alice: Account) -> None:
    with client(live) as c:
        record, video = created(c, alice.secret)
        for path in ("/api/v3/records/create-upload", f"/api/v3/records/{record}/videos/{video}"):
            missing = c.post(path, json={"name": "x"})
            assert missing.status_code == 401 and missing.json() == NO_TOKEN
            empty = c.post(path, params={"access_token": ""}, json={"name": "x"})
            assert empty.status_code == 401 and empty.json() == NO_TOKEN
            wrong = c.post(path, params={"access_token": "2407c9d2cfde75c49e5d356ee9f83422"}, json={"name": "x"})
            assert wrong.status_code == 401 and wrong.json() == BAD_CREDENTIALS
        download = c.get(f"/api/v3/records/{record}/videos/{video}/download")
        assert download.status_code == 401 and download.json() == NO_TOKEN
        unknown = c.get("/api/v3/nothing-here", params={"access_token": alice.secret})
        assert unknown.status_code == 404 and unknown.json() == {"error": {"code": 404, "message": "Not Found"}}
        spec = c.get("/openapi.json").json()
        assert {"/api/v3/login", "/api/v3/records/create-upload", "/api/v3/records/{record_id}/videos/{video_id}"} <= (
            spec["paths"].keys())


def test_another_teams_record_is_not_found(live: LiveServer, alice: Account, bob: Account) -> None:
    data = os.urandom(100)
    with client(live) as c:
        record, video = created(c, alice.secret)
        other_record, other_video = created(c, alice.secret)
        r = send_chunk(c, bob.secret, record, video, data, 0, 99)
        assert r.status_code == 404 and r.json()["error"]["code"] == 404
        mixed = send_chunk(c, alice.secret, record, other_video, data, 0, 99)  # a video of another record
        assert mixed.status_code == 404
        assert c.get(f"/api/v3/records/{record}/videos/{video}/download",
                     params={"access_token": bob.secret}).status_code == 404
        not_yet = c.get(f"/api/v3/records/{record}/videos/{video}/download", params={"access_token": alice.secret})
        assert not_yet.status_code == 404 and not_yet.json()["error"]["code"] == 404
    assert other_record != record


# ---------------------------------------------------------------- pipeline


def test_pipeline_chunked_upload_reaches_ready(pipeline: LiveServer, clips: dict[str, Path]) -> None:
    acct = make_account(pipeline.runtime)
    data = clips["av480"].read_bytes()
    step = max(1, len(data) // 3 + 1)
    with client(pipeline) as c:
        record, video = created(c, acct.secret, EXAMPLE_2)
        for start in range(0, len(data), step):
            r = send_chunk(c, acct.secret, record, video, data, start, min(start + step, len(data)) - 1)
            assert r.status_code == 200, r.text
        assert "Upload-Offset" not in r.headers
    ready = wait_for_state(pipeline.client(acct.secret), video, {"ready", "failed"})
    assert ready["state"] == "ready", ready
    assert ready["template_fields"] == {"1": "Field Value 1", "2": "Field Value 2"}
