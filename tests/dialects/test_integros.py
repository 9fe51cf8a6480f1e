"""Golden tests of the Integros dialect, written from Integros' document (seed 000): each example
request sent as the document shows it (path, parameters, headers, body) to a live server under
/compat/integros, each response checked field by field against the document's example
(``integros_docs``), a ResumableJS upload to the URL it hands out, the single-file form upload of
its curl example, upload by URL, and the auth failures (missing, wrong key, another team's video,
changed or expired upload URLs).

All tests share one live server per database (SQLite and PostgreSQL, module-scoped ``live``; each
test makes its own accounts, so teams keep them apart) but one, which runs ingestion to ``done``
with the ``pipeline`` fixture.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from reelbase.core.uploads.video_urls import sign_video_upload
from reelbase.app import create_app
from reelbase.core.runtime import build_runtime
from tests.conftest import PG_URL, Account, LiveServer, make_account, make_settings, start_server
from tests.dialects.integros_docs import (
    DOC_KEY,
    RESUMABLE_EXAMPLE,
    UPLOAD_URL_EXAMPLE,
    check_upload_target,
    check_video,
    client,
    key_account,
    same_shape,
    token_header,
)
from tests.dialects.integros_widget import node, run_widget
from tests.jobs.conftest import clips, pipeline  # noqa: F401 - fixtures: generated media, a server with workers
from tests.uploads.resumable_client import numbers, send_chunk

DATA = os.urandom(3 * 65536 + 1234)
CHUNK = 65536


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module (starting one costs about two seconds)."""
    overrides: dict[str, object] = {}
    schema = "t_integros_" + os.urandom(4).hex()
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT") if request.param == "postgres" else None
    if engine is not None:
        with engine.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        overrides["database_url"] = f"{PG_URL}?options=-csearch_path%3D{schema}"
    runtime = build_runtime(make_settings(tmp_path_factory.mktemp("integros"), **overrides))
    url, server, thread = start_server(create_app(runtime))
    runtime.settings.public_url = url
    try:
        yield LiveServer(url=url, runtime=runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.engine.dispose()
        if engine is not None:
            with engine.connect() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            engine.dispose()


@pytest.fixture
def alice(live: LiveServer) -> Account:
    return key_account(live.runtime)


@pytest.fixture
def bob(live: LiveServer) -> Account:
    return key_account(live.runtime)


def resumable_upload(live: LiveServer, url: str, data: bytes, *, order: list[int] | None = None) -> list[dict]:
    answers = []
    with client(live) as c:
        for n in order or list(numbers(data, CHUNK)):
            r = send_chunk(c, url, data, CHUNK, n)
            assert r is not None and r.status_code == 200, r and r.text
            answers.append(r.json())
    return answers


def video(live: LiveServer, secret: str, token: str) -> dict:
    with client(live, secret) as c:
        r = c.get(f"/v1/videos/{token}.json")
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------- authentication and the widget


def test_widget_with_access_key_parameter_as_documented(live: LiveServer, alice: Account) -> None:
    with client(live) as c:
        r = c.get(f"/v1/widgets/uploader.js?access_key={alice.secret}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/javascript")
    assert f'"{live.url}/compat/integros"' in r.text and "resumableChunkNumber" in r.text
    assert alice.secret not in r.text and "http" not in r.text.replace(live.url, "")  # no key, no CDN


def test_widget_with_token_header_as_documented(live: LiveServer, alice: Account) -> None:
    with client(live, **token_header(alice.secret)) as c:
        r = c.get("/v1/widgets/uploader.js")
    assert r.status_code == 200 and "IntegrosUploader" in r.text


def test_widget_iframe_mode_gets_a_one_time_uploader_page(live: LiveServer, alice: Account) -> None:
    with client(live) as c:
        r = c.get(f"/v1/widgets/uploader_frame.json?access_key={alice.secret}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["url"] == f"{live.url}/embed/uploader/{body['token']}"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", body["expires_at"])
        assert c.get("/v1/widgets/uploader_frame.json").status_code == 401
        script = c.get(f"/v1/widgets/uploader.js?access_key={alice.secret}").text
        assert "uploader_frame.json" in script and 'data-mode' in script


@pytest.mark.skipif(node() is None, reason="needs node to run the widget")
def test_widget_uploads_a_file_by_chunks(live: LiveServer, alice: Account, tmp_path: Path) -> None:
    script_url = f"{live.url}/compat/integros/v1/widgets/uploader.js?access_key={alice.secret}"
    with client(live) as c:
        script = c.get(script_url).text
    data = os.urandom(2 * 1024 * 1024 + 4321)  # two chunks of 1 MiB, the last one absorbing the rest
    (tmp_path / "w.mp4").write_bytes(data)
    result = run_widget(script, script_url, tmp_path / "w.mp4", name="widget clip.mp4", workdir=tmp_path)
    assert result["progress"] == [50, 100]
    body = video(live, alice.secret, result["token"])
    assert body["original_filename"] == "widget clip.mp4" and body["state"] == "queued"


def test_missing_and_wrong_keys_are_401_with_an_error(live: LiveServer, alice: Account) -> None:
    with client(live) as c:
        for path, kwargs in (
            ("/v1/videos.json", {}),
            ("/v1/widgets/uploader.js", {}),
            (f"/v1/videos.json?access_key={DOC_KEY}", {}),
            ("/v1/uploads/get_url.json", {"headers": token_header(DOC_KEY)}),
            ("/v1/uploads/get_resumable_url.json", {"headers": {"Authorization": f"Bearer {alice.secret}"}}),
        ):
            r = c.get(path, **kwargs)
            assert r.status_code == 401, (path, r.text)
            assert isinstance(r.json()["error"], str) and r.headers["www-authenticate"].startswith("Token")


def test_another_teams_video_is_not_found(live: LiveServer, alice: Account, bob: Account) -> None:
    with client(live, alice.secret) as c:
        token = c.get("/v1/uploads/get_url.json", params={"file_name": "a.mp4"}).json()["token"]
    with client(live, bob.secret) as c:
        r = c.get(f"/v1/videos/{token}.json")
        assert r.status_code == 404 and "error" in r.json()
        assert c.get("/v1/videos.json").json() == []
    assert video(live, alice.secret, token)["token"] == token


# ---------------------------------------------------------------- get_resumable_url + ResumableJS


def test_get_resumable_url_head_as_documented(live: LiveServer, alice: Account) -> None:
    with client(live) as c:
        r = c.head(f"/v1/uploads/get_resumable_url.js?access_key={alice.secret}")  # curl ... -I
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/javascript")


def test_get_resumable_url_rails_files_one_url_each(live: LiveServer, alice: Account) -> None:
    query = ("files[0][id]=id1&files[0][name]=file1.mp4&files[0][size]=12312323"
             "&files[1][id]=id2&files[1][name]=file2.mkv&files[1][size]=99")
    with client(live, alice.secret) as c:
        r = c.get(f"/v1/uploads/get_resumable_url.json?{query}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"id1", "id2"}
    same_shape({"id1": body["id1"]}, RESUMABLE_EXAMPLE)
    tokens = [check_upload_target(live, body[k], "/upload_chunk") for k in ("id1", "id2")]
    assert len(set(tokens)) == 2
    first = video(live, alice.secret, tokens[0])
    check_video(first)
    assert (first["state"], first["progress"], first["original_filename"]) == ("uploading", 0, "file1.mp4")


def test_get_resumable_url_files_as_json_array(live: LiveServer, alice: Account) -> None:
    files = [{"id": "a", "name": "one.mp4", "size": 10}, {"id": "b", "name": "two.mp4", "size": 20}]
    with client(live, alice.secret) as c:
        r1 = c.get("/v1/uploads/get_resumable_url.json", params={"files": json.dumps(files)})
        r2 = c.post("/v1/uploads/get_resumable_url.json", json={"files": files})
        r3 = c.get("/v1/uploads/get_resumable_url.json")
    with client(live) as c:  # a Rails form POST: the key and the files in the body
        r4 = c.post("/v1/uploads/get_resumable_url.json", data={
            "access_key": alice.secret, "files[][id]": "a", "files[][name]": "one.mp4", "files[][size]": "10",
            "files[1][id]": "b"})
    for r in (r1, r2, r4):
        assert r.status_code == 200, r.text
        assert sorted(r.json()) == ["a", "b"]
        for target in r.json().values():
            check_upload_target(live, target, "/upload_chunk")
    assert r3.status_code == 200 and r3.json() == {}


def test_get_resumable_url_bad_files_are_400(live: LiveServer, alice: Account) -> None:
    with client(live, alice.secret) as c:
        for params in ({"files": "not json"}, {"files[0][id]": "x", "files[0][size]": "-3"},
                       {"files[0][id]": "x", "files[0][name]": "../etc/passwd"}):
            r = c.get("/v1/uploads/get_resumable_url.json", params=params)
            assert r.status_code == 400, (params, r.text)
            assert r.json()["error"]


def test_resumable_chunks_to_the_url_complete_the_upload(live: LiveServer, alice: Account) -> None:
    with client(live, alice.secret) as c:
        target = c.get("/v1/uploads/get_resumable_url.json", params={
            "files[0][id]": "id1", "files[0][name]": "clip.mp4", "files[0][size]": str(len(DATA))}).json()["id1"]
    url = target["url"]
    with client(live) as c:  # the upload server needs no key: the URL is signed
        first = send_chunk(c, url, DATA, CHUNK, 1, test_first=False)
        assert first is not None and first.status_code == 200 and not first.json()["complete"]
        assert send_chunk(c, url, DATA, CHUNK, 1) is None  # test request: 200, already stored
    answers = resumable_upload(live, url, DATA, order=[3, 2])
    assert answers[-1] == {"token": target["token"], "state": "uploaded", "progress": 100, "complete": True}
    body = video(live, alice.secret, target["token"])
    check_video(body)
    assert body["state"] in ("queued", "processing") and body["original_filename"] == "clip.mp4"
    tampered = url.replace("sign=", "sign=0")
    with client(live) as c:
        assert send_chunk(c, tampered, DATA, CHUNK, 1, test_first=False).status_code == 403


def test_resumable_refusals_use_resumablejs_statuses(live: LiveServer, alice: Account) -> None:
    with client(live, alice.secret) as c:
        target = c.get("/v1/uploads/get_resumable_url.json", params={"files[0][id]": "x"}).json()["x"]
    with client(live) as c:
        bad = send_chunk(c, target["url"], DATA, CHUNK, 1, test_first=False,
                         extra={"resumableCurrentChunkSize": "5"})
        assert bad is not None and bad.status_code == 400
        assert c.get(target["url"].split("?")[0], params={"resumableChunkNumber": "1"}).status_code == 401


# ---------------------------------------------------------------- get_url + the single-file form


def test_get_url_then_curl_form_upload(live: LiveServer, alice: Account) -> None:
    with client(live) as c:
        r = c.get(f"/v1/uploads/get_url.json?access_key={alice.secret}")
    assert r.status_code == 200, r.text
    target = r.json()
    token = check_upload_target(live, target, "/upload")
    fields = dict(part.split("=", 1) for part in target["url"].split("?", 1)[1].split("&"))
    with client(live) as c:  # curl -i -F token= -F sign= -F expires_at= -F file=@GOPR1012.MP4 <upload server>
        r = c.post("/upload", data={"token": fields["token"], "sign": fields["sign"],
                                    "expires_at": fields["expires_at"]},
                   files={"file": ("GOPR1012.MP4", DATA, "video/mp4")})
        assert r.status_code == 200, r.text
        assert r.json()["complete"] is True
        again = c.post("/upload", data=fields, files={"file": ("x.mp4", b"x", "video/mp4")})
        assert again.status_code == 403  # a signed URL uploads one file
    body = video(live, alice.secret, token)
    assert body["original_filename"] == "GOPR1012.MP4" and body["state"] == "queued"


def test_get_url_parameters_and_refusals(live: LiveServer, alice: Account) -> None:
    with client(live, alice.secret) as c:
        target = c.get("/v1/uploads/get_url.json", params={"file_name": "big.mp4", "file_size": "10"}).json()
        assert c.get("/v1/uploads/get_url.json", params={"file_size": "ten"}).status_code == 400
    token = check_upload_target(live, target, "/upload")
    assert video(live, alice.secret, token)["original_filename"] == "big.mp4"
    past = int(time.time()) - 5
    expired = {"token": token, "expires_at": str(past), "sign": sign_video_upload(live.runtime.secret_key, token, past)}
    with client(live) as c:
        assert c.post("/upload", params=expired, content=b"0123456789").status_code == 403
        assert c.post("/upload", params={"token": token}, content=b"0123456789").status_code == 401
        fields = dict(part.split("=", 1) for part in target["url"].split("?", 1)[1].split("&"))
        assert c.post("/upload", params=fields, content=b"01234567890").status_code == 413  # size is enforced
        r = c.put("/upload", params=fields, content=b"0123456789")  # raw body, parameters in the query
        assert r.status_code == 200 and r.json()["complete"], r.text


# ---------------------------------------------------------------- upload_url


@pytest.fixture
def remote() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(DATA)))
            self.send_header("Content-Type", "video/mp4")
            self.end_headers()
            self.wfile.write(DATA)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_upload_url_as_documented(pipeline: LiveServer, remote: str) -> None:  # noqa: F811
    # the fetch runs as a job, so this test needs a server with workers (ingest then refuses the
    # random bytes fetched, which is fine: what matters here is the fetch)
    live, alice = pipeline, make_account(pipeline.runtime)
    live.runtime.settings.fetch_allow_hosts = remote
    file_url = f"http://{remote}/trailer_rus/i/interstellar_trailer_rus.mp4"
    with client(live) as c:
        r = c.get(f"/v1/uploads/upload_url.json?file_url={file_url}&access_key={alice.secret}")
    assert r.status_code == 200, r.text
    same_shape(r.json(), UPLOAD_URL_EXAMPLE)
    token = r.json()["token"]
    deadline = time.monotonic() + 30
    while (body := video(live, alice.secret, token))["state"] == "uploading" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert body["state"] != "uploading", body
    assert body["original_filename"] == "interstellar_trailer_rus.mp4"  # "Fetch from file_url"
    with live.client(alice.secret) as native:
        while True:  # the fetch job is marked done just after the upload it committed
            jobs = native.get(f"/api/v1/videos/{body['token']}/jobs").json()["items"]
            fetches = [j for j in jobs if j["kind"] == "fetch_url"]
            if fetches and fetches[0]["state"] != "running" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert len(fetches) == 1 and fetches[0]["result"]["state"] == "completed"
    with client(live, alice.secret) as c:
        named = c.get("/v1/uploads/upload_url.json", params={"file_url": file_url, "file_name": "mine.mp4"})
        assert video(live, alice.secret, named.json()["token"])["original_filename"] == "mine.mp4"
        assert c.get("/v1/uploads/upload_url.json").status_code == 400
        refused = c.get("/v1/uploads/upload_url.json", params={"file_url": "http://10.0.0.1/x.mp4"})
        assert refused.status_code == 400 and refused.json()["field"] == "url"


# ---------------------------------------------------------------- videos


def test_videos_list_and_detail_as_documented(live: LiveServer, alice: Account) -> None:
    with client(live, alice.secret) as c:
        tokens = [c.get("/v1/uploads/get_url.json", params={"file_name": f"v{i}.mp4"}).json()["token"]
                  for i in range(3)]
    with client(live) as c:
        r = c.get(f"/v1/videos.json?access_key={alice.secret}")
        assert r.status_code == 200, r.text
        listed = r.json()
        assert [v["token"] for v in listed] == tokens[::-1]  # newest first
        for item in listed:
            check_video(item)
        page = c.get("/v1/videos.json", params={"access_key": alice.secret, "page": 2, "per_page": 2}).json()
        assert [v["token"] for v in page] == [tokens[0]]
        assert c.get("/v1/videos.json", params={"access_key": alice.secret, "page": 0}).status_code == 400
        detail = c.get(f"/v1/videos/{tokens[1]}.json?access_key={alice.secret}")
        assert detail.status_code == 200
        check_video(detail.json())
        assert detail.json() == next(v for v in listed if v["token"] == tokens[1])
        assert detail.json()["id"] == next(v["id"] for v in listed if v["token"] == tokens[1])
        by_id = c.get(f"/v1/videos/{detail.json()['id']}", params={"access_key": alice.secret}).json()
        assert by_id == detail.json()
        missing = c.get(f"/v1/videos/b84b5c8571243115.json?access_key={alice.secret}")
        assert missing.status_code == 404 and "error" in missing.json()


def test_js_suffix_answers_javascript_and_jsonp(live: LiveServer, alice: Account) -> None:
    with client(live, alice.secret) as c:
        plain = c.get("/v1/videos.js")
        wrapped = c.get("/v1/videos.js", params={"callback": "gotVideos"})
        hostile = c.get("/v1/videos.js", params={"callback": "alert(1);x"})
    assert plain.headers["content-type"].startswith("application/javascript") and plain.json() == []
    assert wrapped.text == "/**/gotVideos([]);"
    assert hostile.text == "[]"


def test_a_video_uploaded_here_is_visible_natively(live: LiveServer, alice: Account) -> None:
    with client(live, alice.secret) as c:
        token = c.get("/v1/uploads/get_url.json", params={"file_name": "n.mp4"}).json()["token"]
    with live.client(alice.secret) as c:
        assert c.get(f"/api/v1/videos/{token}").status_code == 200
    other = key_account(live.runtime)
    with live.client(other.secret) as c:
        assert c.get(f"/api/v1/videos/{token}").status_code == 404


# ---------------------------------------------------------------- the whole way to `done`


def test_resumable_upload_of_a_clip_reaches_done(pipeline: LiveServer, clips: dict[str, Path]) -> None:  # noqa: F811
    account = key_account(pipeline.runtime)
    data = clips["av480"].read_bytes()
    with client(pipeline, account.secret) as c:
        target = c.get("/v1/uploads/get_resumable_url.json", params={
            "files[0][id]": "clip", "files[0][name]": "av480.mp4", "files[0][size]": str(len(data))}).json()["clip"]
    with client(pipeline) as c:
        for n in numbers(data, CHUNK):
            r = send_chunk(c, target["url"], data, CHUNK, n)
            assert r is not None and r.status_code == 200, r and r.text
    deadline = time.monotonic() + 120
    seen = []
    while time.monotonic() < deadline:
        body = video(pipeline, account.secret, target["token"])
        seen.append((body["state"], body["progress"]))
        if body["state"] in ("done", "error"):
            break
        time.sleep(0.3)
    assert body["state"] == "done", seen
    check_video(body)
    assert body["progress"] == 100 and body["original_filename"] == "av480.mp4"
