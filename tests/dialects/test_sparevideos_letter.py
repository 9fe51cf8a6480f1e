"""Golden tests of the SpareVideos dialect, to the letter of its document (seed 002): the
``expires`` of every signature array, the upload-specific error codes 10004 (Internal system
error) and 100030 (File not converted), and where files are deleted (``me/files``, not
``me/file``).

Requests are signed as the document's PHP example signs them (``sparevideos_client.php_sign``)
and sent to a live server. Internal failures are real ones: the test database is told to refuse
a write (a trigger that raises), so the request fails inside the database as it would on a full
disk, with nothing of ours replaced.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import text

from reelbase.core.runtime import Runtime
from tests.conftest import Account, LiveServer
from tests.dialects.sparevideos_client import API, client, expect_error, initiate, me_file, php_sign, token, upload_bytes


def _unexpiring(acct: Account, method: str, action: str, **extra: object) -> str:
    """The document's signature array, every element but ``expires``."""
    return php_sign({"algo": "sha256", "public_key": acct.public_id, "method": method, "action": action, **extra},
                    acct.secret)


def _codes(c: httpx.Client, acct: Account) -> list[str]:
    body = c.get(f"{API}/me/files", params={"token": token(acct, "files", "get")}).json()
    assert body["status"] == "success", body
    return body["codes"]


# ---------------------------------------------------------------- expires


def test_a_signature_without_expires_is_refused_and_the_error_names_it(live: LiveServer, alice: Account) -> None:
    """The document's array is ``'algo' => 'sha256', 'public_key' => ..., 'method' => 'upload',
    'action' => 'initiate', 'expires' => time()+(60*60)``, and "The signature asks the API for
    permission to upload a file within 1 hour (expires: time()+(60*60))". Every Signature Array
    table lists ``expires | #seconds UNIX Time``: a signature without it would never expire, so
    each method refuses it (401 Not authorized) and says which element is missing."""
    with client(live) as c:
        _, up = upload_bytes(c, alice, b"x" * 100)
        code = up["code"]
        requests = [
            ("GET", "upload/initiate", _unexpiring(alice, "upload", "initiate")),
            ("GET", "upload/conversion/initiate", _unexpiring(alice, "upload", "convert", file_code=code)),
            ("GET", "me/file", _unexpiring(alice, "file", "get", file_code=code)),
            ("PUT", "me/file", _unexpiring(alice, "file", "update", file_code=code, thumbnail=f"{code}_720_01.jpg")),
            ("GET", "me/files", _unexpiring(alice, "files", "get")),
            ("DELETE", "me/files", _unexpiring(alice, "files", "delete", codes=[code])),
        ]
        for method, path, signature in requests:
            r = c.request(method, f"{API}/{path}", params={"token": signature})
            body = expect_error(r, 401, 401)
            assert "'expires'" in body["message"] and "unix seconds" in body["message"], (path, body)
        # an expires that is no time is as good as none
        for expires in ("", "tomorrow", None):
            r = c.get(f"{API}/me/file", params={"token": _unexpiring(alice, "file", "get", file_code=code,
                                                                     expires=expires)})
            assert "'expires'" in expect_error(r, 401, 401)["message"]
        # nothing was done: the file is still there, unconverted
        assert _codes(c, alice) == [code]
        info = me_file(c, alice, code).json()
        assert info["status"] == "success" and info["streams"] == {"mp4": []}


# ---------------------------------------------------------------- 10004 Internal system error


@contextmanager
def database_refuses(runtime: Runtime, event: str, table: str) -> Iterator[None]:
    """While inside, the database raises on every ``event`` (INSERT, UPDATE, DELETE) on ``table``."""
    name = f"refuse_{event.lower()}_{table}"
    postgres = runtime.engine.dialect.name == "postgresql"
    with runtime.engine.begin() as conn:
        if postgres:
            conn.execute(text("CREATE OR REPLACE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS "
                              "$$ BEGIN RAISE EXCEPTION 'the disk refused the write'; END $$"))
            conn.execute(text(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                              "EXECUTE FUNCTION refuse_write()"))
        else:
            conn.execute(text(f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                              "BEGIN SELECT RAISE(ABORT, 'the disk refused the write'); END"))
    try:
        yield
    finally:
        with runtime.engine.begin() as conn:
            conn.execute(text(f"DROP TRIGGER {name} ON {table}" if postgres else f"DROP TRIGGER {name}"))


def _alone(live: LiveServer, method: str, path: str, **kwargs: object) -> httpx.Response:
    """A request on a connection of its own: after an unexpected error the server closes the
    connection (the exception is re-raised for its log), which a shared keep-alive client sees
    as a reset instead of the answer already sent."""
    with client(live) as c:
        return c.request(method, path, **kwargs)  # type: ignore[arg-type]


def test_an_internal_failure_of_an_upload_method_is_10004(live: LiveServer, alice: Account) -> None:
    """"File upload specific errors: ... 10004 Internal system error", next to the general
    "500 Internal Error": when the upload process itself fails inside Reelbase, its methods
    (Step 1 upload/initiate, Step 3 upload/conversion/initiate) answer with the upload number;
    a failure in any other method stays 500."""
    with client(live) as c:
        _, up = upload_bytes(c, alice, b"not a video" * 10)
        before = _codes(c, alice)
        with database_refuses(live.runtime, "INSERT", "upload_sessions"):
            r = _alone(live, "GET", f"{API}/upload/initiate", params={"token": token(alice, "upload", "initiate")})
            assert expect_error(r, 10004, 500)["message"].startswith("internal system error; retry the request")
        assert _codes(c, alice) == before  # Step 1 made nothing: no video without its upload
        assert initiate(c, alice)["status"] == "success"  # and works again once the database does

        convert = token(alice, "upload", "convert", file_code=up["code"])
        with database_refuses(live.runtime, "UPDATE", "videos"):
            expect_error(_alone(live, "GET", f"{API}/upload/conversion/initiate", params={"token": convert}),
                         10004, 500)
        r = c.get(f"{API}/upload/conversion/initiate", params={"token": convert})
        assert r.json() == {"status": "success", "code": up["code"]}

        with database_refuses(live.runtime, "DELETE", "videos"):
            r = _alone(live, "DELETE", f"{API}/me/files",
                       params={"token": token(alice, "files", "delete", codes=[up["code"]])})
            assert expect_error(r, 500, 500)["message"].startswith("internal error")
        assert up["code"] in _codes(c, alice)


# ---------------------------------------------------------------- 100030 File not converted


def _wait_state(live: LiveServer, acct: Account, code: str, state: str, timeout: float = 60) -> dict:
    native = live.client(acct.secret)
    deadline = time.monotonic() + timeout
    while True:
        video = native.get(f"/api/v1/videos/{code}").json()
        if video["state"] == state or time.monotonic() > deadline:
            assert video["state"] == state, video
            return video
        time.sleep(0.1)


def test_conversion_of_a_file_without_its_upload_is_100030(live: LiveServer, alice: Account) -> None:
    """Step 3, "you need to store the file on your DB and then request conversion when you are
    ready", with "100030 File not converted": a file code whose file never arrived (here a
    video made through the native API, which the same team sees as a SpareVideos file) cannot
    be converted, and says so."""
    made = live.client(alice.secret).post("/api/v1/videos", json={"title": "no file yet"})
    assert made.status_code == 201, made.text
    code = made.json()["token"]
    with client(live) as c:
        assert code in _codes(c, alice)
        t = token(alice, "upload", "convert", file_code=code, convert_sd_only=False, convert_mp4_only=False)
        body = expect_error(c.get(f"{API}/upload/conversion/initiate", params={"token": t}), 100030, 409)
        assert body["message"].startswith(f"file {code} not converted: ")
        assert "state created" in body["message"] and "once it is uploaded" in body["message"]
    assert live.client(alice.secret).get(f"/api/v1/videos/{code}").json()["state"] == "created"


@pytest.mark.workers(1)  # the ingest of the upload runs as a job
def test_conversion_of_a_file_that_is_no_video_is_100030(live: LiveServer, alice: Account) -> None:
    """Step 2 returns ``code {file_code}`` for whatever was sent; when that file turns out to be
    no video, Step 3 answers "100030 File not converted" instead of a success that would never
    become streams."""
    with client(live) as c:
        _, up = upload_bytes(c, alice, b"these bytes are no video" * 50, name="notes.mp4")
        code = up["code"]
        _wait_state(live, alice, code, "failed")
        t = token(alice, "upload", "convert", file_code=code)
        body = expect_error(c.get(f"{API}/upload/conversion/initiate", params={"token": t}), 100030, 409)
        assert body["message"].startswith(f"file {code} not converted: ")
        assert body["message"].endswith("its file could not be processed, upload it again")
        info = me_file(c, alice, code).json()
        assert info["status"] == "success" and info["extension"] == "mp4" and info["streams"] == {"mp4": []}


# ---------------------------------------------------------------- deleting files


def test_files_are_deleted_through_me_files_and_me_file_refuses_a_delete(live: LiveServer, alice: Account) -> None:
    """"Delete File(s) ... Endpoint: /me/files, HTTP Method: DELETE (POST with input
    "_method"="DELETE")", signing ``method "files"``, ``action "delete"`` and ``codes array()``.
    ``/me/file`` has only "Retrieve file information" (GET) and "Update file information" (PUT,
    or POST with "_method"="UPDATE"): a delete sent there deletes nothing and points to
    ``me/files``."""
    with client(live) as c:
        _, up = upload_bytes(c, alice, b"x" * 100)
        code = up["code"]
        wrong = token(alice, "file", "delete", file_code=code)
        for r in (c.request("DELETE", f"{API}/me/file", params={"token": wrong}),
                  c.post(f"{API}/me/file", data={"_method": "DELETE", "token": wrong})):
            body = expect_error(r, 1000, 405)
            assert "DELETE me/files" in body["message"] and "'delete'" in body["message"]
        assert me_file(c, alice, code).json()["status"] == "success"
        paths = c.get(f"{API[: -len('/api/v1')]}/openapi.json").json()["paths"]
        assert "delete" not in paths["/api/v1/me/file"] and "delete" in paths["/api/v1/me/files"]

        r = c.request("DELETE", f"{API}/me/files", params={"token": token(alice, "files", "delete", codes=[code])})
        assert r.status_code == 200 and r.json() == {"status": "success", "codes": [code]}
        expect_error(me_file(c, alice, code), 404, 404)
        assert _codes(c, alice) == []
