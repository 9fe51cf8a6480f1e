"""Golden tests of the SpareVideos dialect, written from seed document 002.

Each of the document's requests is sent as shown (signed ``token`` built like its PHP example)
against a live server, and each response is checked field by field. Most tests use ``live`` (API
only, SQLite and PostgreSQL); one ``pipeline`` test runs a real clip through upload, ingest,
conversion, file information, streams, thumbnails and delete.
"""

from __future__ import annotations

import http.server
import re
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from reelbase.core.auth import accounts

from reelbase.core.playback import streams as playback

from reelbase.core.videos import catalog as videos
from reelbase.db.models import UploadSession, Video
from reelbase.dialects.sparevideos import links
from tests.conftest import Account, LiveServer, make_account
from tests.dialects.sparevideos_client import (
    API,
    PREFIX,
    client,
    expect_error,
    initiate,
    me_file,
    php_sign,
    token,
    upload_bytes,
)
from tests.jobs.conftest import clips, pipeline  # noqa: F401 - fixtures: generated media, a server with workers

HEX32 = re.compile(r"^[0-9a-f]{32}$")
CODE = re.compile(r"^[0-9a-f]{16}$")


def test_upload_initiate_file_progress_file_information_and_conversion(live: LiveServer, alice: Account) -> None:
    with client(live) as c:
        mine = token(alice, "upload", "initiate")
        body = initiate(c, alice)
        assert set(body) == {"status", "server", "ref", "token"}
        assert body["status"] == "success"
        assert body["server"] == f"{live.url}{PREFIX}/fileservers/upload"
        assert HEX32.match(body["ref"])
        head, _, sig = body["token"].partition(".")
        assert head and re.fullmatch(r"[0-9a-f]{64}", sig)
        assert body["token"] != mine  # "we now receive a new token"

        init, up = upload_bytes(c, alice, b"not really a video" * 100, name="holiday.AVI")
        assert up["status"] == "success" and CODE.match(up["code"])
        r = c.get(init["server"] + "/progress", params={"ref": init["ref"]})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        assert r.text == "100"
        info = me_file(c, alice, up["code"]).json()
        assert info == {"status": "success", "code": up["code"], "extension": "avi", "playtime": 0,
                        "thumbnail": None, "streams": {"mp4": []}}
        # the upload token is spent: it cannot upload again
        again = c.post(init["server"], params={"token": init["token"]}, files={"file": ("b.mp4", b"x" * 10)})
        expect_error(again, 10002, 403)
        # nothing to send: 10000 Upload not executed
        init2 = initiate(c, alice)
        expect_error(c.post(init2["server"], params={"token": init2["token"]}, data={"x": "1"}), 10000, 400)
        expect_error(c.get(init["server"] + "/progress", params={"ref": "0" * 32}), 404, 404)
        # step 3 before the file is processed: accepted and recorded; the ladder starts when ingest ends
        t = token(alice, "upload", "convert", file_code=up["code"], convert_sd_only=True, convert_mp4_only=False)
        early = c.get(f"{API}/upload/conversion/initiate", params={"token": t})
        assert early.status_code == 200 and early.json() == {"status": "success", "code": up["code"]}
        t = token(alice, "upload", "convert", file_code="0" * 16)
        expect_error(c.get(f"{API}/upload/conversion/initiate", params={"token": t}), 404, 404)
    # the native API sees the same video (same team)
    native = live.client(alice.secret).get(f"/api/v1/videos/{up['code']}").json()
    assert native["state"] == "uploaded" and native["original_filename"] == "holiday.AVI"
    assert native["options"]["defer_conversion"] is False and native["options"]["sd_only"] is True


@pytest.fixture
def file_host(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "remote.mp4").write_bytes(b"remote bytes " * 5000)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.mark.workers(1)  # the fetch runs as a job
def test_remote_file_is_fetched_with_progress(live: LiveServer, alice: Account, file_host: str) -> None:
    live.runtime.settings.fetch_allow_hosts = file_host
    with client(live) as c:
        init = initiate(c, alice)
        r = c.post(init["server"], params={"token": init["token"]},
                   data={"remote_file": f"http://{file_host}/remote.mp4"})
        assert r.status_code == 200, r.text
        code = r.json()["code"]
        assert r.json() == {"status": "success", "code": code}
        seen = []
        for _ in range(100):
            seen.append(int(c.get(init["server"] + "/progress", params={"ref": init["ref"]}).text))
            if seen[-1] == 100:
                break
            time.sleep(0.05)
        assert seen[-1] == 100 and all(0 <= p <= 100 for p in seen)
        assert me_file(c, alice, code).json()["extension"] == "mp4"
        # a URL that fails: the progress call reports it instead of a number
        init = initiate(c, alice)
        r = c.post(init["server"], params={"token": init["token"]},
                   data={"remote_file": f"http://{file_host}/gone.mp4"})
        assert r.json()["status"] == "success"
        for _ in range(100):
            r = c.get(init["server"] + "/progress", params={"ref": init["ref"]})
            if r.status_code != 200:
                break
            time.sleep(0.05)
        assert "404" in expect_error(r, 10001, 502)["message"]
        # multipart remote_file, and a URL the guard refuses
        init = initiate(c, alice)
        r = c.post(init["server"], params={"token": init["token"]},
                   files={"remote_file": (None, "http://10.0.0.1/x.mp4")})
        expect_error(r, 10002, 400)



def test_upload_initiate_makes_its_video_and_upload_session_in_one_transaction(
    live: LiveServer, alice: Account
) -> None:
    """A crash inside step 1 must not leave a video without an upload session: both rows are
    written by one commit. Observed on the real sessions through SQLAlchemy's own events."""
    pending: dict[int, set[str]] = {}
    committed: list[set[str]] = []

    def before_flush(session: Session, _context: object, _instances: object) -> None:
        pending.setdefault(id(session), set()).update(type(row).__tablename__ for row in session.new)

    def after_commit(session: Session) -> None:
        committed.append(pending.pop(id(session), set()))

    def after_rollback(session: Session) -> None:
        pending.pop(id(session), None)

    listeners = [("before_flush", before_flush), ("after_commit", after_commit), ("after_rollback", after_rollback)]
    for name, listener in listeners:
        event.listen(live.runtime.sessions, name, listener)
    try:
        with client(live) as c:
            init = initiate(c, alice)
    finally:
        for name, listener in listeners:
            event.remove(live.runtime.sessions, name, listener)
    writes = [tables for tables in committed if tables & {"videos", "upload_sessions"}]
    assert len(writes) == 1 and {"videos", "upload_sessions"} <= writes[0], committed
    with live.runtime.session() as db:
        sess = db.scalar(select(UploadSession).where(UploadSession.public_id == init["ref"]))
        assert sess is not None
        assert db.get_one(Video, sess.video_id).options["defer_conversion"] is True


def _make_videos(live: LiveServer, acct: Account, count: int) -> list[str]:
    """Videos of the account's team, oldest first (rows written at once: a page needs 2001)."""
    with live.runtime.session() as db:
        principal = accounts.authenticate_public_id(db, acct.public_id)
        if count < 10:
            made = [videos.add_video(db, principal, settings=live.runtime.settings) for _ in range(count)]
        else:
            made = [Video(team_id=principal.team_id, user_id=principal.user.id) for _ in range(count)]
            db.add_all(made)
        db.commit()
        return [v.token for v in made]


def test_files_list_pages_of_2000_codes_with_next_page_url(live: LiveServer, alice: Account) -> None:
    codes = _make_videos(live, alice, 2001)
    with client(live) as c:
        page1 = c.get(f"{API}/me/files", params={"token": token(alice, "files", "get")}).json()
        assert set(page1) == {"status", "currentPage", "lastPage", "nextPageUrl", "codes"}
        assert (page1["status"], page1["currentPage"], page1["lastPage"]) == ("success", 1, 2)
        assert page1["codes"] == codes[:2000]
        assert page1["nextPageUrl"] == f"{live.url}{API}/me/files?page=2"
        # "remember to postpone &token={login_token}"
        page2 = c.get(page1["nextPageUrl"] + "&token=" + token(alice, "files", "get")).json()
        assert page2 == {"status": "success", "currentPage": 2, "lastPage": 2, "nextPageUrl": None,
                         "codes": codes[2000:]}


def test_files_delete_by_delete_and_by_post_method(live: LiveServer, alice: Account, bob: Account) -> None:
    a, b, c3 = _make_videos(live, alice, 3)
    (theirs,) = _make_videos(live, bob, 1)
    with client(live) as c:
        r = c.request("DELETE", f"{API}/me/files", params={"token": token(alice, "files", "delete", codes=[a])})
        assert r.status_code == 200 and r.json()["status"] == "success"
        expect_error(me_file(c, alice, a), 404, 404)
        # another team's code: nothing is deleted
        t = token(alice, "files", "delete", codes=[b, theirs])
        expect_error(c.post(f"{API}/me/files", data={"_method": "DELETE", "token": t}), 404, 404)
        assert me_file(c, alice, b).status_code == 200
        t = token(alice, "files", "delete", codes=[b, c3])
        r = c.post(f"{API}/me/files", data={"_method": "DELETE", "token": t})
        assert r.json()["status"] == "success"
        left = c.get(f"{API}/me/files", params={"token": token(alice, "files", "get")}).json()
        assert left["codes"] == []
        assert me_file(c, bob, theirs).status_code == 200


def test_auth_failures_and_token_variants(live: LiveServer, alice: Account, bob: Account) -> None:
    (code,) = _make_videos(live, alice, 1)
    url = f"{API}/me/file"
    with client(live) as c:
        expect_error(c.get(url), 401, 401)  # missing
        good = token(alice, "file", "get", file_code=code)
        assert c.get(url, params={"token": good}).json()["status"] == "success"
        wrong_key = php_sign({"algo": "sha256", "public_key": alice.public_id, "method": "file", "action": "get",
                              "expires": int(time.time()) + 60, "file_code": code}, bob.secret)
        expect_error(c.get(url, params={"token": wrong_key}), 401, 401)
        head, _, sig = good.partition(".")
        other = token(alice, "file", "get", file_code="f" * 16).partition(".")[0]
        expect_error(c.get(url, params={"token": other + "." + sig}), 401, 401)  # tampered array
        expect_error(c.get(url, params={"token": head + "." + "0" * 64}), 401, 401)  # tampered hash
        expect_error(c.get(url, params={"token": "garbage"}), 401, 401)
        expired = token(alice, "file", "get", expires_in=-5, file_code=code)
        expect_error(c.get(url, params={"token": expired}), 401, 401)
        unknown = php_sign({"algo": "sha256", "public_key": "pk_nope", "method": "file", "action": "get",
                            "expires": int(time.time()) + 60}, alice.secret)
        expect_error(c.get(url, params={"token": unknown}), 401, 401)
        wrong_action = token(alice, "file", "update", file_code=code, thumbnail="x.jpg")
        expect_error(c.get(url, params={"token": wrong_action}), 403, 403)
        expect_error(c.get(f"{API}/upload/initiate", params={"token": good}), 403, 403)
        expect_error(me_file(c, bob, code), 404, 404)  # another team's file
        for algo in ("sha256", "sha512", "sha1"):
            array = {"algo": algo, "public_key": alice.public_id, "method": "file", "action": "get",
                     "expires": int(time.time()) + 30, "file_code": code, "note": "a/b?~~~>>>"}
            for urlsafe in (False, True):
                t = php_sign(array, alice.secret, urlsafe=urlsafe)
                assert c.get(f"{API}/me/file", params={"token": t}).json()["status"] == "success", (algo, urlsafe)
        # a '+' that arrived as a space (the token pasted into a query string unencoded)
        array = {"algo": "sha256", "public_key": alice.public_id, "method": "file", "action": "get",
                 "expires": int(time.time()) + 30, "file_code": code, "n": ">>>"}
        t = php_sign(array, alice.secret)
        assert "+" in t.partition(".")[0]
        r = c.get(f"{API}/me/file?token={t}")
        assert r.json()["status"] == "success"
        # POST with the token as a form variable
        r = c.post(f"{API}/me/file", data={"token": token(alice, "file", "get", file_code=code)})
        assert r.json()["status"] == "success"
        bad_algo = php_sign({**array, "algo": "md5"}, alice.secret)
        expect_error(c.get(f"{API}/me/file", params={"token": bad_algo}), 401, 401)
        with live.runtime.session() as db:
            accounts.revoke_api_key(db, alice.public_id)
            db.commit()
        expect_error(c.get(url, params={"token": good}), 401, 401)

    # service limits: 10006; unknown paths and files: 404
    _make_videos(live, bob, 1)
    with live.runtime.session() as db:
        principal = accounts.authenticate_public_id(db, bob.public_id)
        accounts.set_team_limits(db, team=principal.team, quota_videos=1)
        db.commit()
    with client(live) as c:
        r = c.get(f"{API}/upload/initiate", params={"token": token(bob, "upload", "initiate")})
        expect_error(r, 10006, 413)
        expect_error(c.get(f"{API}/nothing/here"), 404, 404)
        expect_error(c.get(f"{PREFIX}/thumbnail/{'0' * 16}/json/list"), 404, 404)


def test_tokens_with_non_ascii_expiry_or_hash_are_refused_not_crashed(live: LiveServer, alice: Account) -> None:
    # '¹' passes str.isdigit() but not int(); hmac.compare_digest raises on non-ASCII text.
    (code,) = _make_videos(live, alice, 1)
    url = f"{API}/me/file"
    with client(live) as c:
        for expires in ("¹", "１２３４５６７８９０１２"):
            t = php_sign({"algo": "sha256", "public_key": alice.public_id, "method": "file", "action": "get",
                          "expires": expires, "file_code": code}, alice.secret)
            expect_error(c.get(url, params={"token": t}), 401, 401)
        head = token(alice, "file", "get", file_code=code).partition(".")[0]
        expect_error(c.get(url, params={"token": head + "." + "é" * 64}), 401, 401)


def test_stream_links_expire_at_the_end_of_an_hour_so_caches_see_one_url(live: LiveServer, alice: Account) -> None:
    (code,) = _make_videos(live, alice, 1)
    with live.runtime.session() as db:
        video = db.scalars(select(Video).where(Video.token == code)).one()
        before = time.time()
        root = links.stream_base(live.runtime, video)
        _, expires, sig = root.rsplit("/", 2)
        assert root.startswith(f"{live.url}{PREFIX}/stream/{code}/")
        assert int(expires) % 3600 == 0 and before + playback.PLAYBACK_TTL <= int(expires) < time.time() + 25 * 3600
        assert playback.verify_playback(db, code=code, expires=expires, signature=sig,
                                        server_secret=live.runtime.secret_key).uuid == video.uuid


def _wait_state(native: httpx.Client, code: str, states: set[str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = native.get(f"/api/v1/videos/{code}").json()
        if v["state"] in states:
            return v
        time.sleep(0.2)
    raise AssertionError(f"{code} did not reach {states}: {v['state']}")


def test_pipeline_upload_convert_file_streams_thumbnails_and_delete(
    pipeline: LiveServer, clips: dict[str, Path]
) -> None:
    acct = make_account(pipeline.runtime)
    native = pipeline.client(acct.secret)
    with client(pipeline) as c:
        _, up = upload_bytes(c, acct, clips["av480"].read_bytes(), name="av480.mp4")
        code = up["code"]
        ingested = _wait_state(native, code, {"ready", "failed"})
        assert ingested["state"] == "ready"
        assert me_file(c, acct, code).json()["streams"] == {"mp4": []}  # conversion waits for step 3
        conv = token(acct, "upload", "convert", file_code=code, convert_sd_only=False, convert_mp4_only=False)
        r = c.get(f"{API}/upload/conversion/initiate", params={"token": conv})
        assert r.json() == {"status": "success", "code": code}
        expect_error(c.get(f"{API}/upload/conversion/initiate", params={"token": conv}), 100031, 409)
        _wait_state(native, code, {"ready", "failed"})
        info = me_file(c, acct, code).json()
        assert (info["status"], info["code"], info["extension"], info["playtime"]) == ("success", code, "mp4", 2)
        assert [m["label"] for m in info["streams"]["mp4"]] == ["360", "480"]
        assert set(info["streams"]) == {"mp4", "hls", "mpd"}
        for m in info["streams"]["mp4"]:
            assert m["file"].startswith(f"{pipeline.url}{PREFIX}/stream/{code}/")
            r = c.get(m["file"])
            assert r.status_code == 200 and r.headers["content-type"] == "video/mp4" and len(r.content) > 1000
        hls = c.get(info["streams"]["hls"]["file"])
        assert hls.status_code == 200 and hls.text.startswith("#EXTM3U")
        child = next(line for line in hls.text.splitlines() if line and not line.startswith("#"))
        assert c.get(str(httpx.URL(info["streams"]["hls"]["file"]).join(child))).status_code == 200
        mpd = c.get(info["streams"]["mpd"]["file"])
        assert mpd.status_code == 200 and "<MPD" in mpd.text
        tampered = info["streams"]["mp4"][0]["file"].replace(f"/{code}/", f"/{code}/1", 1)
        assert c.get(tampered).status_code in (403, 404)
        thumb = c.get(info["thumbnail"])
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"

        # a WebM rendition (asked for through the native API) is listed too, with its label
        r = native.post(f"/api/v1/videos/{code}/conversions", json={"mp4_only": True, "webm": True})
        assert r.status_code == 202, r.text
        _wait_state(native, code, {"ready", "failed"})
        streams = me_file(c, acct, code).json()["streams"]
        assert set(streams) == {"mp4", "webm"}
        assert [w["label"] for w in streams["webm"]] == ["480"]
        r = c.get(streams["webm"][0]["file"])
        assert r.status_code == 200 and r.headers["content-type"] == "video/webm"

        # thumbnails, without signature
        listing = c.get(f"{PREFIX}/thumbnail/{code}/json/list").json()
        selected = [k for k in listing if k.endswith(".selected")]
        assert len(selected) == 1
        assert all(re.fullmatch(rf"{code}_\d+_\d\d\.jpg", v) for v in listing.values())
        assert info["thumbnail"].endswith("/exact/" + listing[selected[0]])
        name = next(v for k, v in listing.items() if not k.endswith(".selected") and k.endswith(".02"))
        exact = c.get(f"{PREFIX}/thumbnail/{code}/exact/{name}")
        assert exact.status_code == 200 and exact.content[:2] == b"\xff\xd8"
        for size, want in (("300", 300), ("100", 260)):
            for file in ("default.jpg", name):
                img = c.get(f"{PREFIX}/thumbnail/{code}/{size}/{file}")
                assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
                assert f"_{want}_" in img.headers["content-disposition"]

        # update the thumbnail: PUT, and POST with _method
        t = token(acct, "file", "update", file_code=code, thumbnail=name)
        assert c.put(f"{API}/me/file", params={"token": t}).json() == {"status": "success"}
        listing = c.get(f"{PREFIX}/thumbnail/{code}/json/list").json()
        assert [v for k, v in listing.items() if k.endswith(".selected")][0].endswith("_02.jpg")
        first = next(v for k, v in listing.items() if k.endswith(".01"))
        t = token(acct, "file", "update", file_code=code, thumbnail=first)
        assert c.post(f"{API}/me/file", data={"_method": "UPDATE", "token": t}).json() == {"status": "success"}
        assert me_file(c, acct, code).json()["thumbnail"].endswith("_01.jpg")
        t = token(acct, "file", "update", file_code=code, thumbnail=f"{code}_720_99.jpg")
        expect_error(c.put(f"{API}/me/file", params={"token": t}), 404, 404)

        t = token(acct, "files", "delete", codes=[code])
        assert c.post(f"{API}/me/files", data={"_method": "DELETE", "token": t}).json()["status"] == "success"
        expect_error(me_file(c, acct, code), 404, 404)
        expect_error(c.get(f"{PREFIX}/thumbnail/{code}/json/list"), 404, 404)
