"""/openapi.json describes the native API's answers, and the real answers match it.

The real JSON is validated against the document's own schemas with jsonschema, more strictly than
the document says: an object schema that lists properties is read as closed, so a key the server
sends but the schema does not name fails here (the response models let unknown keys through).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.responses import JSONResponse
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select

from reelbase.api.videos import render
from reelbase.db.models import Video
from tests.conftest import Account, LiveServer, make_account
from tests.jobs.conftest import clips, pipeline, upload_file, wait_for_state  # noqa: F401 - fixtures

NATIVE = "/api/v1"
ERROR_REF = "#/components/schemas/ErrorResponse"
BODILESS = {"204", "304"}

# Our own date-time check: jsonschema's needs an optional package and skips the format without it.
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def is_timestamp(value: object) -> bool:
    return not isinstance(value, str) or dt.datetime.fromisoformat(value).tzinfo is not None


def native_operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in doc["paths"].items() if path.startswith(NATIVE)
            for method, op in ops.items()]


def closed(schema: Any) -> Any:
    """``schema`` with every object that lists properties closed to other keys."""
    if isinstance(schema, dict):
        out = {k: closed(v) for k, v in schema.items()}
        if "properties" in out and out.get("additionalProperties", True) is True:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [closed(v) for v in schema]
    return schema


class Contract:
    """Checks real answers against the operation and status they came from in /openapi.json."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.components = closed(copy.deepcopy(doc["components"]))
        self.checked: set[tuple[str, str, str]] = set()

    def check(self, method: str, path: str, response: httpx.Response) -> Any:
        op = self.doc["paths"][NATIVE + path][method.lower()]
        status = str(response.status_code)
        assert status in op["responses"], f"{method} {path} answered {status}, not documented: {response.text[:300]}"
        content = op["responses"][status].get("content", {})
        assert "application/json" in content, f"{method} {path} {status} documents no JSON body"
        schema = {**closed(content["application/json"]["schema"]), "components": self.components}
        body = response.json()
        validator = Draft202012Validator(schema, format_checker=FORMATS)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        assert not errors, f"{method} {path} {status}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])
        self.checked.add((method.lower(), path, status))
        return body


def shape(raw: bytes) -> Any:
    """A JSON text as nested pairs in key order, each value with its JSON type: equal shapes mean
    the same keys in the same order, the same values and nulls, and ints still ints."""
    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return ("object", [(k, walk(v)) for k, v in value.items()])
        if isinstance(value, list):
            return ("array", [walk(v) for v in value])
        return (type(value).__name__, value)
    return walk(json.loads(raw))


def openapi(live: LiveServer) -> dict[str, Any]:
    r = httpx.get(live.url + "/openapi.json", timeout=30)
    assert r.status_code == 200
    return r.json()


def test_openapi_every_native_operation_documents_its_success_body(live: LiveServer) -> None:
    doc = openapi(live)
    operations = native_operations(doc)
    assert len(operations) >= 40
    missing = []
    for method, path, op in operations:
        success = {s: r for s, r in op["responses"].items() if s.startswith("2") or s == "304"}
        if not any(s.startswith("2") for s in success):
            missing.append(f"{method.upper()} {path}: no success status")
        for status, answer in success.items():
            content = answer.get("content")
            if content:
                # FastAPI's default for a route without a model is {} ("anything"); not a description.
                empty = [m for m, c in content.items() if not c.get("schema")]
                if empty:
                    missing.append(f"{method.upper()} {path} {status}: no schema for {empty}")
                free = [m for m, c in content.items() if c["schema"].get("additionalProperties") is True
                        and "properties" not in c["schema"]]
                if free:
                    missing.append(f"{method.upper()} {path} {status}: a free-form object for {free}")
            elif not (status in BODILESS or method == "head" or answer.get("headers")):
                missing.append(f"{method.upper()} {path} {status}: no body documented")
    assert not missing, "\n".join(missing)


def test_openapi_native_errors_are_documented_with_the_error_shape(live: LiveServer) -> None:
    doc = openapi(live)
    wrong = []
    for method, path, op in native_operations(doc):
        errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
        for status in ("401", "429"):  # every operation authenticates, and throttles bad keys
            if status not in errors:
                wrong.append(f"{method.upper()} {path}: {status} not documented")
        if "{" in path and "404" not in errors:
            wrong.append(f"{method.upper()} {path}: 404 not documented")
        for status, answer in errors.items():
            for media, c in answer.get("content", {}).items():
                if media != "application/json" or c.get("schema") != {"$ref": ERROR_REF}:
                    wrong.append(f"{method.upper()} {path} {status}: {media} {c.get('schema')}")
            if not answer.get("content") and method != "head":
                wrong.append(f"{method.upper()} {path} {status}: no error body documented")
    assert not wrong, "\n".join(wrong)
    # FastAPI's own {"detail": [...]} is never what the native API sends.
    assert "HTTPValidationError" not in json.dumps([op for _, _, op in native_operations(doc)])


def test_openapi_real_answers_match_the_schemas(live: LiveServer, alice: Account) -> None:
    contract = Contract(openapi(live))
    c = live.client(alice.secret)
    check = contract.check

    me = check("GET", "/me", c.get("/api/v1/me"))
    assert me["user"]["email"] == alice.email

    project = check("POST", "/projects", c.post("/api/v1/projects", json={"name": "Trips"}))
    check("GET", "/projects", c.get("/api/v1/projects"))
    check("GET", "/projects/{project_id}", c.get(f"/api/v1/projects/{project['id']}"))
    check("PATCH", "/projects/{project_id}",
          c.patch(f"/api/v1/projects/{project['id']}", json={"description": "summer"}))

    hook = check("POST", "/webhooks", c.post("/api/v1/webhooks", json={"url": "https://hooks.example.com/reelbase"}))
    created = c.post("/api/v1/videos", json={
        "title": "Holiday", "project": project["id"], "template_fields": {"camera": "A", "take": 3},
        "public": True, "shared_user_ids": [7], "options": {"sd_only": True},
    })
    video = check("POST", "/videos", created)
    vid = video["id"]
    check("GET", "/videos/{video_id}", c.get(f"/api/v1/videos/{vid}"))
    check("PATCH", "/videos/{video_id}", c.patch(f"/api/v1/videos/{vid}", json={"title": "Holiday 2"}))
    data = os.urandom(50_000)
    uploaded = check("PUT", "/videos/{video_id}/source",
                     c.put(f"/api/v1/videos/{vid}/source", params={"filename": "beach.mp4"}, content=data))
    assert uploaded["original"]["size"] == len(data)
    listed = check("GET", "/videos", c.get("/api/v1/videos", params={"per_page": 5}))
    assert listed["items"][0]["id"] == vid
    jobs = check("GET", "/videos/{video_id}/jobs", c.get(f"/api/v1/videos/{vid}/jobs"))
    assert jobs["items"], "the upload queued an ingest job"
    check("GET", "/videos/{video_id}/thumbnails", c.get(f"/api/v1/videos/{vid}/thumbnails"))
    check("POST", "/videos/{video_id}/conversions", c.post(f"/api/v1/videos/{vid}/conversions", json={}))
    check("POST", "/videos/{video_id}/processing",
          c.post(f"/api/v1/videos/{vid}/processing", json={"deinterlace": True}))
    check("POST", "/videos/{video_id}/playback-token", c.post(f"/api/v1/videos/{vid}/playback-token", json={}))

    check("GET", "/webhooks", c.get("/api/v1/webhooks"))
    check("GET", "/webhooks/{webhook_id}", c.get(f"/api/v1/webhooks/{hook['id']}"))
    check("GET", "/webhooks/{webhook_id}/deliveries", c.get(f"/api/v1/webhooks/{hook['id']}/deliveries"))

    key = check("POST", "/keys", c.post("/api/v1/keys", json={"name": "ci", "type": "organization"}))
    assert key["secret"]
    check("GET", "/keys", c.get("/api/v1/keys"))
    check("GET", "/keys/{public_id}", c.get(f"/api/v1/keys/{key['public_id']}"))

    for kind in ("upload", "record"):
        check("POST", "/upload-tokens", c.post("/api/v1/upload-tokens", json={"kind": kind, "title": "t"}))

    # A signed URL, a first Content-Range chunk (202, the upload) and the last one (200, the video).
    signed = check("POST", "/uploads/signed-urls", c.post("/api/v1/uploads/signed-urls", json={"title": "signed"}))
    anonymous = httpx.Client(timeout=30)
    half = len(data) // 2
    check("PUT", "/uploads/signed", anonymous.put(
        signed["url"], content=data[:half], headers={"Content-Range": f"bytes 0-{half - 1}/{len(data)}"}))
    check("GET", "/uploads/{upload_id}", c.get(f"/api/v1/uploads/{signed['upload']['id']}"))
    done = check("PUT", "/uploads/signed", anonymous.put(
        signed["url"], content=data[half:], headers={"Content-Range": f"bytes {half}-{len(data) - 1}/{len(data)}"}))
    assert done["id"] == signed["video"]

    # Errors: the one error shape, for each kind of refusal.
    assert check("GET", "/videos/{video_id}", c.get("/api/v1/videos/no-such-video"))["error"]["code"] == "not_found"
    unknown = check("PATCH", "/videos/{video_id}", c.patch(f"/api/v1/videos/{vid}", json={"bogus": 1}))
    assert unknown["error"]["field"] == "bogus"
    malformed = c.post("/api/v1/videos", content=b"{", headers={"Content-Type": "application/json"})
    assert check("POST", "/videos", malformed)["error"]["code"] == "malformed_json"
    assert check("GET", "/me", live.client().get("/api/v1/me"))["error"]["status"] == 401
    refused = check("POST", "/uploads/url", c.post("/api/v1/uploads/url", json={"url": "http://127.0.0.1:1/x.mp4"}))
    assert refused["error"]["status"] >= 400

    assert len(contract.checked) >= 30


@pytest.mark.slow
def test_openapi_ready_video_answers_match_the_schemas_and_keep_their_bytes(
    pipeline: LiveServer, clips: dict[str, Path],  # noqa: F811 - fixtures
) -> None:
    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    doc = httpx.get(pipeline.url + "/openapi.json", timeout=30).json()
    contract = Contract(doc)
    uploaded = upload_file(c, clips["portrait"], title="portrait")
    ready = wait_for_state(c, uploaded["id"], {"ready", "failed"})
    assert ready["state"] == "ready", ready
    vid = ready["id"]
    answer = c.get(f"/api/v1/videos/{vid}")
    video = contract.check("GET", "/videos/{video_id}", answer)
    assert video["renditions"] and video["streams"] and video["thumbnails"] and video["media_info"]
    thumbs = contract.check("GET", "/videos/{video_id}/thumbnails", c.get(f"/api/v1/videos/{vid}/thumbnails"))
    assert thumbs["items"] and thumbs["items"][0]["sizes"]
    jobs = contract.check("GET", "/videos/{video_id}/jobs", c.get(f"/api/v1/videos/{vid}/jobs"))
    assert {j["state"] for j in jobs["items"]} == {"succeeded"}
    index = thumbs["items"][-1]["index"]
    contract.check("PUT", "/videos/{video_id}/thumbnails/default",
                   c.put(f"/api/v1/videos/{vid}/thumbnails/default", json={"index": index}))
    after = contract.check("GET", "/videos/{video_id}/thumbnails", c.get(f"/api/v1/videos/{vid}/thumbnails"))
    assert [t["index"] for t in after["items"] if t["default"]] == [index]
    # The response model changes nothing in the answer: it is the dict the handler built, as
    # FastAPI sends a plain dict (only the digits of floats may be spelled differently).
    with pipeline.runtime.session() as db:
        row = db.scalars(select(Video).where(Video.uuid == vid)).one()
        built = JSONResponse(render(db, pipeline.runtime, row)).body
    assert shape(c.get(f"/api/v1/videos/{vid}").content) == shape(built)
