"""tus 1.0.0 at /api/v1/uploads/: the tuspy client end to end, and hand-written requests for each
status code the protocol names."""

from __future__ import annotations

import base64
import hashlib
import io
import os

import pytest
from tusclient.client import TusClient

from reelbase.core.auth import accounts
from reelbase.db.models import Team
from tests.conftest import Account, LiveServer, make_account

from .conftest import OCTETS, TUS, MiB, b64, tus_create, tus_patch, video_of


def test_tus_options_advertises_version_extensions_and_max_size(live: LiveServer) -> None:
    r = live.client().options("/api/v1/uploads/")
    assert r.status_code == 204
    assert r.headers["Tus-Version"] == "1.0.0"
    extensions = set(r.headers["Tus-Extension"].split(","))
    assert {"creation", "creation-with-upload", "creation-defer-length", "expiration", "checksum",
            "termination"} <= extensions
    assert int(r.headers["Tus-Max-Size"]) == live.runtime.settings.max_upload_bytes
    assert set(r.headers["Tus-Checksum-Algorithm"].split(",")) == {"sha1", "md5", "sha256"}


def test_tus_tuspy_upload_commits_video_on_both_stores(any_live: LiveServer, carol: Account) -> None:
    data = os.urandom(11 * MiB + 123)  # S3: parts and tails of odd sizes
    client = TusClient(any_live.url + "/api/v1/uploads/", headers={"Authorization": f"Bearer {carol.secret}"})
    uploader = client.uploader(file_stream=io.BytesIO(data), chunk_size=3 * MiB,
                               metadata={"filename": "holiday.mp4", "title": "Holiday", "filetype": "video/mp4"})
    uploader.upload()
    c = any_live.client(carol.secret)
    video = video_of(c, uploader.url)
    assert video["state"] == "uploaded"
    assert video["title"] == "Holiday"
    assert video["original_filename"] == "holiday.mp4"
    assert video["original"]["size"] == len(data)
    assert video["original"]["sha256"] == hashlib.sha256(data).hexdigest()
    download = c.get(f"/api/v1/videos/{video['id']}/original")
    assert hashlib.sha256(download.content).hexdigest() == hashlib.sha256(data).hexdigest()
    assert download.headers["content-type"] == "video/mp4"
    # The helpers are gone: no staging objects next to the video's files.
    assert [i.key for i in any_live.runtime.store.list("uploads/")] == []


def test_tus_tuspy_with_checksums_and_resume_from_server_offset(live: LiveServer, alice: Account) -> None:
    data = os.urandom(5 * MiB)
    client = TusClient(live.url + "/api/v1/uploads/", headers={"Authorization": f"Bearer {alice.secret}"})
    first = client.uploader(file_stream=io.BytesIO(data), chunk_size=MiB, upload_checksum=True)
    first.upload(stop_at=2 * MiB)  # the client "dies" here
    second = client.uploader(file_stream=io.BytesIO(data), chunk_size=MiB, url=first.url, upload_checksum=True)
    assert second.offset == 2 * MiB  # read back from the server (HEAD)
    second.upload()
    video = video_of(live.client(alice.secret), first.url)
    assert video["original"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_tus_head_reports_offset_length_metadata_no_store(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    r = tus_create(c, 100, meta={"filename": "a.mov", "title": "T"})
    assert r.status_code == 201 and r.headers["Tus-Resumable"] == "1.0.0"
    location = r.headers["Location"]
    assert location.startswith(live.url + "/api/v1/uploads/")
    assert "GMT" in r.headers["Upload-Expires"]
    assert tus_patch(c, location, 0, b"x" * 40).status_code == 204
    h = c.head(location, headers=TUS)
    assert h.status_code == 200
    assert h.headers["Upload-Offset"] == "40" and h.headers["Upload-Length"] == "100"
    assert h.headers["Cache-Control"] == "no-store"
    pairs = dict(p.split(" ") for p in h.headers["Upload-Metadata"].split(","))
    assert base64.b64decode(pairs["filename"]).decode() == "a.mov"
    assert c.get(f"/api/v1/videos/{h.headers['Reelbase-Video']}").json()["state"] == "uploading"


def test_tus_missing_or_wrong_version_is_412_with_tus_version(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    r = c.post("/api/v1/uploads/", headers={"Upload-Length": "10"})
    assert r.status_code == 412 and r.headers["Tus-Version"] == "1.0.0"
    location = tus_create(c, 10).headers["Location"]
    r = c.patch(location, content=b"x", headers={**OCTETS, "Tus-Resumable": "0.2.2", "Upload-Offset": "0"})
    assert r.status_code == 412 and "1.0.0" in r.json()["error"]["message"]
    assert c.head(location, headers={"Tus-Resumable": "2.0.0"}).status_code == 412


def test_tus_patch_wrong_content_type_is_415(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    location = tus_create(c, 10).headers["Location"]
    r = c.patch(location, content=b"0123456789",
                headers={**TUS, "Content-Type": "application/octet-stream", "Upload-Offset": "0"})
    assert r.status_code == 415
    assert c.head(location, headers=TUS).headers["Upload-Offset"] == "0"


def test_tus_offset_mismatch_is_409_and_names_the_offset(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    location = tus_create(c, 10).headers["Location"]
    assert tus_patch(c, location, 0, b"01234").status_code == 204
    for wrong in (0, 3, 7):
        r = tus_patch(c, location, wrong, b"56789")
        assert r.status_code == 409
        assert r.headers["Upload-Offset"] == "5" and r.json()["error"]["offset"] == 5
    assert tus_patch(c, location, 5, b"56789").status_code == 204


def test_tus_unknown_and_other_teams_upload_are_404(live: LiveServer, alice: Account, bob: Account) -> None:
    location = tus_create(live.client(alice.secret), 10).headers["Location"]
    other = live.client(bob.secret)
    assert other.head(location, headers=TUS).status_code == 404
    assert tus_patch(other, location, 0, b"x").status_code == 404
    assert other.head("/api/v1/uploads/" + "0" * 32, headers=TUS).status_code == 404
    assert live.client().head(location, headers=TUS).status_code == 401


def test_tus_termination_then_410_and_bytes_freed(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    r = tus_create(c, 1000)
    location = r.headers["Location"]
    assert tus_patch(c, location, 0, os.urandom(500)).status_code == 204
    video = c.head(location, headers=TUS).headers["Reelbase-Video"]
    assert c.delete(location, headers=TUS).status_code == 204
    assert c.head(location, headers=TUS).status_code == 410
    assert tus_patch(c, location, 500, b"x").status_code == 410
    assert c.get(f"/api/v1/videos/{video}").json()["state"] == "created"
    assert not list((live.runtime.settings.data_dir / "storage" / ".reelbase" / "uploads").glob("*.part"))


def test_tus_expired_upload_is_410(live: LiveServer, alice: Account) -> None:
    import datetime as dt

    from reelbase.db.models import UploadSession

    c = live.client(alice.secret)
    location = tus_create(c, 10).headers["Location"]
    with live.runtime.session() as db:
        sess = db.query(UploadSession).filter_by(public_id=location.rsplit("/", 1)[1]).one()
        sess.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.commit()
    assert c.head(location, headers=TUS).status_code == 410
    r = tus_patch(c, location, 0, b"x")
    assert r.status_code == 410 and "expired" in r.json()["error"]["message"]


@pytest.mark.parametrize("algorithm", ["sha1", "md5", "sha256"])
def test_tus_checksum_good_chunk_kept_bad_chunk_460_discarded(live: LiveServer, alice: Account,
                                                              algorithm: str) -> None:
    c = live.client(alice.secret)
    location = tus_create(c, 8).headers["Location"]
    good = base64.b64encode(hashlib.new(algorithm, b"abcd").digest()).decode()
    assert tus_patch(c, location, 0, b"abcd", **{"Upload-Checksum": f"{algorithm} {good}"}).status_code == 204
    r = tus_patch(c, location, 4, b"efgh", **{"Upload-Checksum": f"{algorithm} {good}"})
    assert r.status_code == 460
    assert c.head(location, headers=TUS).headers["Upload-Offset"] == "4"
    right = base64.b64encode(hashlib.new(algorithm, b"efgh").digest()).decode()
    assert tus_patch(c, location, 4, b"efgh", **{"Upload-Checksum": f"{algorithm} {right}"}).status_code == 204
    video = video_of(c, location)
    assert video["original"]["sha256"] == hashlib.sha256(b"abcdefgh").hexdigest()


def test_tus_checksum_unknown_algorithm_is_400(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    location = tus_create(c, 4).headers["Location"]
    r = tus_patch(c, location, 0, b"abcd", **{"Upload-Checksum": "crc32 AAAA"})
    assert r.status_code == 400 and "crc32" in r.json()["error"]["message"]


def test_tus_defer_length_then_length_in_patch(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    r = tus_create(c, None)
    assert r.status_code == 201
    location = r.headers["Location"]
    assert c.head(location, headers=TUS).headers["Upload-Defer-Length"] == "1"
    assert tus_patch(c, location, 0, b"hello ").status_code == 204
    r = tus_patch(c, location, 6, b"world", **{"Upload-Length": "11"})
    assert r.status_code == 204 and r.headers["Upload-Offset"] == "11"
    assert video_of(c, location)["original"]["size"] == 11


def test_tus_creation_with_upload_stores_first_chunk(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    r = c.post("/api/v1/uploads/", content=b"0123456789",
               headers={**TUS, **OCTETS, "Upload-Length": "10", "Upload-Metadata": f"filename {b64('x.mp4')}"})
    assert r.status_code == 201 and r.headers["Upload-Offset"] == "10"
    assert video_of(c, r.headers["Location"])["state"] == "uploaded"


def test_tus_bad_creation_headers_are_4xx_with_message(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    cases = [
        {"Upload-Length": "-5"},
        {"Upload-Length": "9" * 30},
        {"Upload-Length": "10", "Upload-Defer-Length": "1"},
        {},
        {"Upload-Length": "10", "Upload-Metadata": "filename not_base64!"},
        {"Upload-Length": "10", "Upload-Metadata": f"filename {b64('../../etc/passwd')}"},
        {"Upload-Length": "0"},
    ]
    for headers in cases:
        r = c.post("/api/v1/uploads/", headers={**TUS, **headers})
        assert r.status_code == 400, (headers, r.text)
        assert r.json()["error"]["message"]


def test_tus_length_over_limit_is_413_and_patch_past_length_413(live: LiveServer, alice: Account) -> None:
    with live.runtime.session() as db:
        accounts.set_team_limits(db, team=db.get_one(Team, alice.team_id), max_upload_bytes=1000)
        db.commit()
    c = live.client(alice.secret)
    r = tus_create(c, 1001)
    assert r.status_code == 413 and r.json()["error"]["limit"] == "max_upload_bytes"
    location = tus_create(c, 10).headers["Location"]
    assert tus_patch(c, location, 0, b"x" * 11).status_code == 413
    for bad in ("-1", "abc", "9" * 25):
        assert c.patch(location, content=b"x", headers={**TUS, **OCTETS, "Upload-Offset": bad}).status_code == 400
    assert tus_patch(c, location, 0, b"x" * 10).status_code == 204  # the session is unharmed


def test_tus_method_override_patch_and_delete(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    location = tus_create(c, 3).headers["Location"]
    r = c.post(location, content=b"abc", headers={**TUS, **OCTETS, "Upload-Offset": "0",
                                                  "X-HTTP-Method-Override": "PATCH"})
    assert r.status_code == 204 and r.headers["Upload-Offset"] == "3"
    other = tus_create(c, 3).headers["Location"]
    assert c.post(other, headers={**TUS, "X-HTTP-Method-Override": "DELETE"}).status_code == 204
    assert c.head(other, headers=TUS).status_code == 410


def test_tus_upload_to_existing_video_via_metadata(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    video = c.post("/api/v1/videos", json={"title": "mine"}).json()
    location = tus_create(c, 4, meta={"video": video["id"]}).headers["Location"]
    tus_patch(c, location, 0, b"abcd")
    assert c.get(f"/api/v1/videos/{video['id']}").json()["state"] == "uploaded"
    # A second upload to the same video is refused now that it has its source.
    assert tus_create(c, 4, meta={"video": video["id"]}).status_code == 409
    bob = make_account(live.runtime)
    assert tus_create(live.client(bob.secret), 4, meta={"video": video["id"]}).status_code == 404


def test_tus_cors_preflight_and_exposed_headers(live: LiveServer, alice: Account) -> None:
    c = live.client()
    pre = c.options("/api/v1/uploads/abc", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "tus-resumable,upload-offset,content-type,authorization"})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "PATCH" in pre.headers["access-control-allow-methods"]
    assert "upload-offset" in pre.headers["access-control-allow-headers"].lower()
    r = tus_create(live.client(alice.secret), 5, headers={"Origin": "https://app.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    exposed = r.headers["access-control-expose-headers"].lower()
    assert "location" in exposed and "upload-offset" in exposed
    # Errors carry CORS headers too, so the page can read them; other API paths carry none.
    bad = c.post("/api/v1/uploads/", headers={"Origin": "https://app.example"})
    assert bad.status_code == 412 and bad.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in c.get("/api/v1/videos", headers={"Origin": "https://x"}).headers
