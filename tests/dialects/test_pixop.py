"""Golden tests of the Pixop dialect, written from Pixop's document (seed 003): each example
request sent as the document shows it (path, parameters, headers, body) to a live server under
/compat/pixop, each response checked field by field against the document's example
(``pixop_shapes``), and the auth failures of its exception table.

Most tests use ``live`` (API only, SQLite and PostgreSQL); the two ``pipeline`` tests run real
ingestion and processing.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import httpx
import jwt
import pytest

from reelbase.core.auth import account_settings

from reelbase.core.auth import accounts
from tests.conftest import Account, LiveServer, make_account
from tests.dialects import pixop_shapes as shapes
from tests.dialects.pixop_client import (
    BASE,
    DOC_PROCESS_BODY,
    basic,
    failure_of,
    login,
    service,
    signed,
    user_and_team,
)
from tests.jobs.conftest import clips, pipeline  # noqa: F401 - fixtures: generated media, a server with workers

# ---------------------------------------------------------------- accounts service


def test_token_get_with_basic_auth_returns_user_team_and_jwt(live: LiveServer, alice: Account) -> None:
    with service(live, headers=basic(alice.email, alice.password)) as c:
        r = c.get("/accounts/v1/token")
    assert r.status_code == 200, r.text
    body = r.json()
    shapes.check_shape(body, shapes.TOKEN)
    user_uuid, team_uuid = user_and_team(live.runtime, alice.email)
    assert (body["userId"], body["teamId"]) == (user_uuid, team_uuid)
    claims = jwt.decode(body["jwtToken"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 15 * 60  # "A JWT token is valid for 15 minutes"
    assert claims["sub"] == user_uuid and claims["tid"] == team_uuid
    assert jwt.get_unverified_header(body["jwtToken"])["alg"] == "EdDSA"


def test_token_post_validates_and_lists_other_teams(live: LiveServer, alice: Account) -> None:
    other = make_account(live.runtime, team="Studio B")
    with live.runtime.session() as db:
        account_settings.add_member(db, email=alice.email, team_name="Studio B")
        db.commit()
    token = login(live, alice)
    with service(live, token) as c:
        r = c.post("/accounts/v1/token")
    assert r.status_code == 200, r.text
    body = r.json()
    shapes.check_shape(body, shapes.TOKEN_VALIDATION)
    user = body["user"]
    assert user["email"] == alice.email and user["banned"] is False and user["emailConfirmed"] is False
    assert user["authSignatureMethod"] == "EdDSA"
    assert user["authSignaturePublicKeyId"] == jwt.get_unverified_header(token)["kid"]
    jwt.decode(token, _public_key(user["authSignaturePublicKey"]), algorithms=["EdDSA"])  # verifies with it
    assert body["team"]["id"] == user_and_team(live.runtime, alice.email)[1]
    assert [t["id"] for t in body["otherTeams"]] == [user_and_team(live.runtime, other.email)[1]]
    assert body["otherTeams"][0]["name"] == "Studio B"


def _public_key(b64_der: str) -> object:
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    return load_der_public_key(base64.b64decode(b64_der))


def test_team_switching_with_team_id(live: LiveServer, alice: Account, bob: Account) -> None:
    other = make_account(live.runtime, team="Shared")
    with live.runtime.session() as db:
        account_settings.add_member(db, email=alice.email, team_name="Shared")
        db.commit()
    shared_team = user_and_team(live.runtime, other.email)[1]
    with service(live, headers=basic(alice.email, alice.password)) as c:
        r = c.get("/accounts/v1/token", params={"team-id": shared_team})
        assert r.status_code == 200 and r.json()["teamId"] == shared_team
        token = r.json()["jwtToken"]
        bobs_team = user_and_team(live.runtime, bob.email)[1]
        refused = c.get("/accounts/v1/token", params={"team-id": bobs_team})
        assert refused.status_code == 403 and failure_of(refused) == "TeamAccessException"
    with service(live, token) as c:
        assert c.get("/accounts/v1/account").json()["team"]["id"] == shared_team
        pid = c.put("/videos/v1/project", json={"name": "Shared work"}).json()["project"]["id"]
    with service(live, login(live, other)) as c:  # the team's other member sees it
        assert c.get(f"/videos/v1/project/{pid}").json()["project"]["teamId"] == shared_team
    with service(live, login(live, alice)) as c:  # alice's own team does not
        assert c.get(f"/videos/v1/project/{pid}").status_code == 404


def test_account_details(live: LiveServer, alice: Account) -> None:
    with service(live, login(live, alice)) as c:
        r = c.get("/accounts/v1/account")
    assert r.status_code == 200
    shapes.check_shape(r.json(), shapes.ACCOUNT)
    assert r.json()["user"]["email"] == alice.email and "otherTeams" not in r.json()


def test_generate_auth_secret_rotates_the_signing_key(live: LiveServer, alice: Account) -> None:
    old = login(live, alice)
    with service(live, old) as c:
        r = c.get("/accounts/v1/generate-auth-secret")
        assert r.status_code == 200, r.text
        shapes.check_shape(r.json(), shapes.USER_ONLY)
        new_kid = r.json()["user"]["authSignaturePublicKeyId"]
        assert new_kid != jwt.get_unverified_header(old)["kid"]
        stale = c.get("/accounts/v1/account")  # tokens signed with the replaced key stop working
        assert stale.status_code == 401 and failure_of(stale) == "InvalidJWTTokenFoundException"
    fresh = login(live, alice)
    assert jwt.get_unverified_header(fresh)["kid"] == new_kid
    with service(live, headers=basic(alice.email, alice.password)) as c:  # Basic works too
        assert c.get("/accounts/v1/generate-auth-secret").json()["user"]["authSignaturePublicKeyId"] != new_kid


def test_generate_signature_secret(live: LiveServer, alice: Account) -> None:
    with service(live, login(live, alice)) as c:
        assert c.get("/accounts/v1/account").json()["user"]["apiRequestSignatureSecret"] is None
        first = c.get("/accounts/v1/generate-signature-secret")
        assert first.status_code == 200
        shapes.check_shape(first.json(), shapes.USER_ONLY)
        secret = first.json()["user"]["apiRequestSignatureSecret"]
        assert len(secret) > 40 and first.json()["user"]["apiRequestSignatureMethod"] == "HmacSHA256"
        assert c.get("/accounts/v1/account").json()["user"]["apiRequestSignatureSecret"] == secret
        second = c.get("/accounts/v1/generate-signature-secret").json()["user"]["apiRequestSignatureSecret"]
        assert second != secret
    # The signing secret is not an API key of the native API.
    assert live.client(second).get("/api/v1/videos").status_code == 401


def test_update_password(live: LiveServer, alice: Account) -> None:
    with service(live, login(live, alice)) as c:
        r = c.post("/accounts/v1/update-password", json={"newPassword": "a much better password"})
        assert r.status_code == 200, r.text
        shapes.check_shape(r.json(), shapes.USER_ONLY)
        short = c.post("/accounts/v1/update-password", json={"newPassword": "short"})
        assert short.status_code == 400 and failure_of(short) == "BadRequestException"
    with service(live, headers=basic(alice.email, alice.password)) as c:
        old = c.get("/accounts/v1/token")
        assert old.status_code == 401 and failure_of(old) == "InvalidCredentialsException"
    with service(live, headers=basic(alice.email, "a much better password")) as c:
        assert c.get("/accounts/v1/token").status_code == 200
        assert c.post("/accounts/v1/update-password", json={"newPassword": alice.password}).status_code == 200


def test_auth_failures_name_the_documented_exceptions(live: LiveServer, alice: Account) -> None:
    rt, email = live.runtime, alice.email
    now = int(time.time())
    good = login(live, alice)
    head, payload, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged_payload = base64.urlsafe_b64encode(json.dumps({**claims, "exp": now + 99999}).encode()).rstrip(b"=")
    cases = [
        (None, 401, "NoJWTTokenFoundException"),
        ("not-a-jwt", 401, "InvalidJWTTokenFoundException"),
        (f"{head}.{forged_payload.decode()}.{sig}", 401, "InvalidJWTTokenFoundException"),  # tampered
        (jwt.encode({"sub": "x", "exp": now + 60}, "k" * 32, algorithm="HS256"), 401, "InvalidJWTTokenFoundException"),
        (alice.secret, 401, "InvalidJWTTokenFoundException"),  # an API key is not a JWT
        (signed(rt, email, iat=now - 1200, nbf=now - 1200, exp=now - 300), 401, "ExpiredJWTTokenException"),
        (signed(rt, email, nbf=now + 300, exp=now + 600), 401, "PrematureJWTTokenException"),
        (signed(rt, email, exp=None), 401, "EternalJWTTokenException"),
        (signed(rt, email, exp=now + 86400), 401, "InconsistentJWTClaimsException"),  # lifetime over 15 min
        (signed(rt, email, sub="someone-else"), 401, "InconsistentJWTClaimsException"),
        (signed(rt, email, tid=user_and_team(rt, make_account(rt).email)[1]), 401, "InconsistentJWTClaimsException"),
        (signed(rt, email, exp="tomorrow"), 401, "InconsistentJWTClaimsException"),
    ]
    for token, status, exception in cases:
        with service(live, token) as c:
            r = c.post("/accounts/v1/token")
        assert (r.status_code, failure_of(r)) == (status, exception), (token, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer")
    with service(live, headers=basic(email, alice.password)) as c:  # Basic is not a JWT where one is required
        r = c.get("/videos/v1/projects")
        assert r.status_code == 401 and failure_of(r) == "NoJWTTokenFoundException"
    with service(live, headers=basic(email, "wrong password")) as c:
        r = c.get("/accounts/v1/token")
        assert r.status_code == 401 and failure_of(r) == "InvalidCredentialsException"
    with rt.session() as db:
        accounts.set_banned(db, email=email, banned=True)
        db.commit()
    with service(live, good) as c:
        r = c.get("/accounts/v1/account")
        assert r.status_code == 403 and failure_of(r) == "UserBannedException"
    with service(live, headers=basic(email, alice.password)) as c:
        r = c.get("/accounts/v1/token")
        assert r.status_code == 403 and failure_of(r) == "UserBannedException"


# ---------------------------------------------------------------- videos service: projects


def test_projects_crud_with_hal_pagination(live: LiveServer, alice: Account) -> None:
    with service(live, login(live, alice)) as c:
        created = c.put("/videos/v1/project", json={"name": "Restoration"})
        assert created.status_code == 200, created.text
        shapes.check_shape(created.json(), shapes.PROJECT)
        pid = created.json()["project"]["id"]
        assert created.json()["project"]["teamId"] == user_and_team(live.runtime, alice.email)[1]
        got = c.get(f"/videos/v1/project/{pid}")
        shapes.check_shape(got.json(), shapes.PROJECT)
        renamed = c.post(f"/videos/v1/project/{pid}", json={"name": "Restored"})
        shapes.check_shape(renamed.json(), shapes.PROJECT)
        assert renamed.json()["project"]["name"] == "Restored"
        for i in range(4):
            c.put("/videos/v1/project", json={"name": f"p{i}"})
        page = c.get("/videos/v1/projects", params={"page": 2, "page-size": 2})
        assert page.status_code == 200
        shapes.check_shape(page.json(), shapes.PROJECTS_PAGE)
        body = page.json()
        assert (body["page"], body["pageSize"]) == (2, 2)
        assert [p["name"] for p in body["_embedded"]["projects"]] == ["p1", "p0"]
        links = body["_links"]
        assert links["next"]["href"] == f"{live.url}{BASE}/videos/v1/projects?page=3&page-size=2"
        assert links["last"]["href"].endswith("page=3&page-size=2")
        last = c.get(links["last"]["href"]).json()  # the links work when followed
        assert [p["id"] for p in last["_embedded"]["projects"]] == [pid] and "next" not in last["_links"]
        item = last["_embedded"]["projects"][0]
        assert c.get(item["_links"]["self"]["href"]).json()["project"]["name"] == "Restored"
        # "This request will fail if there are videos currently associated with the project"
        vid = c.put("/videos/v1/video", json={"name": "clip", "projectId": pid}).json()["videoId"]
        refused = c.delete(f"/videos/v1/project/{pid}")
        assert refused.status_code == 409 and failure_of(refused) == "ProjectNotEmptyException"
        assert c.delete(f"/videos/v1/video/{vid}").status_code == 200
        deleted = c.delete(f"/videos/v1/project/{pid}")
        assert deleted.status_code == 200 and deleted.json()["project"]["id"] == pid
        gone = c.get(f"/videos/v1/project/{pid}")
        assert gone.status_code == 404 and failure_of(gone) == "ProjectNotFoundException"
        bad = c.put("/videos/v1/project", json={"name": ""})
        assert bad.status_code == 400 and failure_of(bad) == "BadRequestException"


# ---------------------------------------------------------------- videos service: videos


def test_video_create_get_list_and_delete(live: LiveServer, alice: Account) -> None:
    with service(live, login(live, alice)) as c:
        pid = c.put("/videos/v1/project", json={"name": "Archive"}).json()["project"]["id"]
        r = c.put("/videos/v1/video", json={"name": "Reel 1", "projectId": pid})
        assert r.status_code == 200, r.text
        created = r.json()
        shapes.check_shape(created, shapes.CREATE_VIDEO)
        vid = created["videoId"]
        assert created["projectId"] == pid
        assert created["uploadMediaUrl"] == f"{live.url}{BASE}/media/v1/upload/{vid}"
        assert created["uploadLightMediaUrl"] == f"{live.url}{BASE}/media/v1/upload/light/{vid}"
        assert created["processVideoUrl"] == f"{live.url}{BASE}/videos/v1/process-video/{vid}"
        loose = c.put("/videos/v1/video").json()  # both fields are optional
        assert loose["projectId"] is None
        v = c.get(f"/videos/v1/video/{vid}")
        assert v.status_code == 200
        shapes.check_shape(v.json(), shapes.VIDEO)
        video = v.json()["video"]
        assert (video["id"], video["name"], video["projectId"]) == (vid, "Reel 1", pid)
        assert video["userId"] == user_and_team(live.runtime, alice.email)[0]
        assert video["upload"]["uploadState"]["uploadStatus"] == "NOT_STARTED"
        assert video["upload"]["hasFinishedUploading"] is False
        assert video["ingestion"]["ingestionState"]["ingestionStatus"] == "NOT_STARTED"
        assert video["ingestion"]["metadata"] is None and video["ingestion"]["qualityAssessment"] is None
        assert video["processing"]["processingState"]["processingStatus"] == "NOT_APPLICABLE"
        listed = c.get("/videos/v1/videos", params={"project-id": pid})
        shapes.check_shape(listed.json(), shapes.edge_page(shapes.VIDEOS_PAGE))
        items = listed.json()["_embedded"]["videos"]
        assert [i["id"] for i in items] == [vid] and items[0]["parentId"] is None
        assert c.get(items[0]["_links"]["self"]["href"]).json()["video"]["id"] == vid
        c.put("/videos/v1/video", json={"name": "Reel 3"})
        middle = c.get("/videos/v1/videos", params={"page": 2, "page-size": 1}).json()
        shapes.check_shape(middle, shapes.VIDEOS_PAGE)
        assert [i["name"] for i in middle["_embedded"]["videos"]] == [""]  # newest first: loose, then Reel 1
        missing = c.get("/videos/v1/videos", params={"project-id": "no-such"})
        assert missing.status_code == 404 and failure_of(missing) == "ProjectNotFoundException"
        d = c.delete(f"/videos/v1/video/{vid}")
        assert d.status_code == 200
        shapes.check_shape(d.json(), shapes.DELETED)
        assert d.json() == {"deletedVideos": [{"videoId": vid}]}
        gone = c.get(f"/videos/v1/video/{vid}")
        assert gone.status_code == 404 and failure_of(gone) == "VideoNotFoundException"


def test_another_teams_resources_are_not_found(live: LiveServer, alice: Account, bob: Account) -> None:
    with service(live, login(live, alice)) as c:
        pid = c.put("/videos/v1/project", json={"name": "Mine"}).json()["project"]["id"]
        vid = c.put("/videos/v1/video", json={"name": "mine"}).json()["videoId"]
    with service(live, login(live, bob)) as c:
        for method, path in [("GET", f"/videos/v1/video/{vid}"), ("DELETE", f"/videos/v1/video/{vid}"),
                             ("GET", f"/videos/v1/check-ingest-video-progress/{vid}"),
                             ("GET", f"/videos/v1/check-process-video-progress/{vid}"),
                             ("POST", f"/videos/v1/process-video/{vid}"),
                             ("GET", f"/media/v1/download/original/{vid}"),
                             ("POST", f"/videos/v1/project/{pid}"), ("DELETE", f"/videos/v1/project/{pid}")]:
            r = c.request(method, path, json={"name": "x"} if "project/" in path else None)
            assert r.status_code == 404, (method, path, r.text)
            assert failure_of(r) in ("VideoNotFoundException", "ProjectNotFoundException")
        assert c.get("/videos/v1/videos").json()["_embedded"]["videos"] == []
        assert c.get("/videos/v1/videos", params={"project-id": pid}).status_code == 404
    with service(live, login(live, bob), media=True) as c:
        up = c.post(f"/media/v1/upload/{vid}", files={"file": ("x.mp4", b"data", "video/mp4")})
        assert up.status_code == 404 and failure_of(up) == "VideoNotFoundException"


# ---------------------------------------------------------------- media service (without workers)


def test_upload_and_download_original_with_range_etag_and_head(live: LiveServer, alice: Account) -> None:
    data = bytes(range(256)) * 40
    token = login(live, alice)
    with service(live, token) as c:
        created = c.put("/videos/v1/video", json={"name": "raw"}).json()
    with service(live, token, media=True) as c:
        r = c.post(created["uploadMediaUrl"], files={"file": ("reel one.mov", data, "video/quicktime")})
        assert r.status_code == 200, r.text
        shapes.check_shape(r.json(), shapes.UPLOAD)
        uploaded = r.json()
        assert uploaded["videoId"] == created["videoId"]
        progress = c.get(uploaded["checkIngestProgressUrl"])
        shapes.check_shape(progress.json(), shapes.CHECK_INGEST)
        assert progress.json()["ingestionState"]["ingestionStatus"] == "QUEUED"  # no workers on this server
        again = c.post(created["uploadMediaUrl"], files={"file": ("x.mov", b"more", "video/quicktime")})
        assert again.status_code == 409 and failure_of(again) == "ConflictException"
        video = c.get(f"/videos/v1/video/{created['videoId']}").json()["video"]
        assert video["upload"]["uploadState"]["uploadStatus"] == "DONE"
        assert video["upload"]["hasFinishedUploading"] is True
        assert (video["upload"]["fileName"], video["upload"]["fileSize"], video["upload"]["fileType"]) == (
            "reel one.mov", len(data), "video/quicktime")
        url = f"/media/v1/download/original/{created['videoId']}"
        full = c.get(url)
        assert full.status_code == 200 and full.content == data
        assert full.headers["content-length"] == str(len(data))
        assert 'filename="reel one.mov"' in full.headers["content-disposition"]
        etag = full.headers["etag"]
        head = c.head(url)
        assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == str(len(data))
        part = c.get(url, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == data[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
        assert c.get(url, headers={"If-None-Match": etag}).status_code == 304
        bad = c.get(url, headers={"Range": f"bytes={len(data) + 5}-"})
        assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{len(data)}"
        not_processed = c.get(f"/media/v1/download/processed/{created['videoId']}")
        assert not_processed.status_code == 404
        # Not ingested yet (no workers): the request is recorded, to start when the ingest ends.
        early = c.post(f"/videos/v1/process-video/{created['videoId']}", json={})
        assert early.status_code == 200 and early.json()["processingParameters"] is None
        waiting = c.get(early.json()["checkProgressUrl"]).json()["processingState"]
        assert waiting["processingStatus"] == "QUEUED"
        empty = c.put("/videos/v1/video").json()["videoId"]
        nothing = c.get(f"/media/v1/download/original/{empty}")
        assert nothing.status_code == 404 and failure_of(nothing) == "MediaNotFoundException"


def test_unknown_paths_and_malformed_bodies_use_the_failure_body(live: LiveServer, alice: Account) -> None:
    with service(live, login(live, alice)) as c:
        assert "/videos/v1/process-video/{video_id}" in c.get("/openapi.json").json()["paths"]
        r = c.get("/videos/v1/nothing-here")
        assert r.status_code == 404 and failure_of(r) == "NotFoundException"
        r = c.put("/videos/v1/project", content=b"{not json")
        assert r.status_code == 400 and failure_of(r) == "BadRequestException"
        r = c.get("/videos/v1/projects", params={"page": 0})
        assert r.status_code == 400 and failure_of(r) == "BadRequestException"
        r = c.post("/videos/v1/process-video/" + c.put("/videos/v1/video").json()["videoId"], json=[1, 2])
        assert r.status_code == 400 and failure_of(r) == "BadRequestException"


# ---------------------------------------------------------------- with workers: ingestion and processing


def _wait(client: httpx.Client, url: str, key: str, status_key: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        body = client.get(url).json()
        status = body[key][status_key]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("DONE", "FAILED"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"{url} did not finish in {timeout}s; saw {seen}")


@pytest.mark.slow
def test_pipeline_upload_ingest_process_download_and_delete(pipeline: LiveServer, clips: dict[str, Path]) -> None:
    acct = make_account(pipeline.runtime)
    token = login(pipeline, acct)
    c, m = service(pipeline, token), service(pipeline, token, media=True)
    pid = c.put("/videos/v1/project", json={"name": "Masters"}).json()["project"]["id"]
    created = c.put("/videos/v1/video", json={"name": "Test card", "projectId": pid}).json()
    data = clips["av480"].read_bytes()
    up = m.post(created["uploadMediaUrl"], files={"file": ("av480.mp4", data, "video/mp4")})
    assert up.status_code == 200, up.text
    uploaded = up.json()
    assert uploaded["projectId"] == pid
    ingest = _wait(c, uploaded["checkIngestProgressUrl"], "ingestionState", "ingestionStatus", 120)
    shapes.check_shape(ingest, shapes.CHECK_INGEST)
    assert ingest["ingestionState"]["ingestionStatus"] == "DONE", ingest
    assert ingest["ingestionState"]["videoMetadataAvailable"] is True

    video = c.get(f"/videos/v1/video/{uploaded['videoId']}").json()
    shapes.check_shape(video, shapes.VIDEO)
    v = video["video"]
    state = v["ingestion"]["ingestionState"]
    assert state["videoMetadataCommitted"] is True and state["processingProgressPercent"] == 100.0
    assert v["upload"]["fileContainerName"] == "QuickTime / MOV" and v["upload"]["fileSize"] == len(data)
    md = v["ingestion"]["metadata"]
    assert md["containerName"].startswith("mov,mp4") and md["codecName"] == "h264"
    assert md["pixelFormat"] == {"name": "yuv420p", "chromaSubsampling": {"yuv": "4:2:0", "bits": 8}}
    assert (md["frameWidth"], md["frameHeight"]) == (854, 480)
    assert md["scanning"]["metadata"]["scanningType"] == "progressive"
    assert md["scanning"]["heuristics"]["scanningType"] == "progressive"
    assert md["averageFramerate"] == pytest.approx(30.0) and 1900 <= md["durationInMillis"] <= 2100
    assert md["totalFrames"] == 60 and md["size"] == len(data) and 0 < md["videoStreamSize"] < len(data)
    qa = v["ingestion"]["qualityAssessment"]
    assert {q["name"] for q in qa["metrics"]} == {"blur", "blockiness", "noise"}
    assert all(0 <= q["subjectiveScore"] <= 5 and q["subjectiveLabel"] for q in qa["metrics"])
    assert 0 <= qa["overallSubjectiveScore"] <= 5

    # The document's own example asks for a 30 s clip: this video is 2 s long.
    doc = c.post(uploaded["processVideoUrl"], json=DOC_PROCESS_BODY)
    assert doc.status_code == 400 and failure_of(doc) == "BadRequestException"
    assert doc.json()["errorMessage"].startswith("range.endPositionMilliseconds: 30000 ms is past the end")
    body = {"mediaContainerCodec": {"container": "mp4", "codec": "h264"}, "denoiser": "hqdn3d",
            "resolution": {"width": 320, "height": 180},
            "range": {"startPositionMilliseconds": 0, "endPositionMilliseconds": 1000}}
    r = c.post(uploaded["processVideoUrl"], json=body)
    assert r.status_code == 200, r.text
    proc = r.json()
    shapes.check_shape(proc, shapes.PROCESS)
    pvid = proc["processedVideoId"]
    assert (proc["sourceVideoId"], proc["projectId"]) == (uploaded["videoId"], pid)
    assert proc["checkProgressUrl"] == f"{pipeline.url}{BASE}/videos/v1/check-process-video-progress/{pvid}"
    done = _wait(c, proc["checkProgressUrl"], "processingState", "processingStatus", 180)
    shapes.check_shape(done, shapes.CHECK_PROCESS)
    assert done["processingState"]["processingStatus"] == "DONE", done
    assert done["processingState"]["processingProgressPercent"] == 100.0

    processed = c.get(f"/videos/v1/video/{pvid}").json()
    shapes.check_shape(processed, shapes.VIDEO)
    pv = processed["video"]
    assert pv["parentId"] == uploaded["videoId"] and pv["projectId"] == pid
    params = pv["processing"]["processingParameters"]
    assert params["sourceVideo"] == {"startPositionMilliseconds": 0, "endPositionMilliseconds": 1000}
    target = params["targetVideo"]
    assert (target["container"]["name"], target["codec"]["name"]) == ("mp4", "h264")
    assert (target["frameWidth"], target["frameHeight"]) == (320, 180) and target["bitrate"] > 0
    assert [f["name"] for f in target["videoFilters"]] == ["hqdn3d", "scale"]
    assert pv["ingestion"]["metadata"]["frameWidth"] == 320
    fr = {q["name"]: q["sampleMean"] for q in pv["ingestion"]["qualityAssessment"]["metrics"]}
    assert fr["psnr"] > 20 and 0.5 < fr["ssim"] <= 1.0

    children = c.get("/videos/v1/videos", params={"parent-id": uploaded["videoId"]}).json()
    assert [i["id"] for i in children["_embedded"]["videos"]] == [pvid]
    assert children["_embedded"]["videos"][0]["parentId"] == uploaded["videoId"]
    file = m.get(proc["downloadMediaUrl"])
    assert file.status_code == 200 and file.content[4:8] == b"ftyp"
    disposition = file.headers["content-disposition"]
    assert disposition.startswith("attachment") and "av480_processed.mp4" in disposition
    assert m.head(proc["downloadMediaUrl"]).headers["content-length"] == str(len(file.content))
    assert m.get(proc["downloadMediaUrl"], headers={"If-None-Match": file.headers["etag"]}).status_code == 304
    part = m.get(proc["downloadMediaUrl"], headers={"Range": "bytes=0-7"})
    assert part.status_code == 206 and part.content == file.content[:8]

    # "All processed videos are also deleted when an original video is specified."
    deleted = c.delete(f"/videos/v1/video/{uploaded['videoId']}").json()
    assert {d["videoId"] for d in deleted["deletedVideos"]} == {uploaded["videoId"], pvid}
    assert c.get(f"/videos/v1/video/{pvid}").status_code == 404
    c.close()
    m.close()


@pytest.mark.slow
def test_pipeline_light_ingestion_keeps_metadata_only(pipeline: LiveServer, clips: dict[str, Path]) -> None:
    acct = make_account(pipeline.runtime)
    token = login(pipeline, acct)
    with service(pipeline, token) as c, service(pipeline, token, media=True) as m:
        created = c.put("/videos/v1/video", json={"name": "portrait"}).json()
        up = m.post(created["uploadLightMediaUrl"],
                    files={"file": ("portrait.mp4", clips["portrait"].read_bytes(), "video/mp4")})
        assert up.status_code == 200, up.text
        shapes.check_shape(up.json(), shapes.UPLOAD)
        ingest = _wait(c, up.json()["checkIngestProgressUrl"], "ingestionState", "ingestionStatus", 60)
        assert ingest["ingestionState"]["ingestionStatus"] == "DONE"
        v = c.get(f"/videos/v1/video/{created['videoId']}").json()["video"]
        assert (v["ingestion"]["metadata"]["frameWidth"], v["ingestion"]["metadata"]["frameHeight"]) == (180, 320)
        assert v["ingestion"]["qualityAssessment"] is None
    # The same video through the native API (same team): no thumbnails, no renditions.
    native = pipeline.client(acct.secret).get(f"/api/v1/videos/{created['videoId']}").json()
    assert native["state"] == "ready" and native["thumbnails"] == [] and native["renditions"] == []
