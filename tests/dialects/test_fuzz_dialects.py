"""Property-based requests against the five dialects, on SQLite and PostgreSQL.

The dialects read most of their parameters from the raw request (as their vendors' clients send
them), so their generated OpenAPI documents say little; the requests are drawn by hand-written
hypothesis strategies instead: every route of a dialect's document, each method it takes, path
parameters that are real ids or hostile text, the parameter names the vendor's document uses with
hostile values ('¹', NUL, 30 digits, surrogate-free unicode, SQL and path tricks), with and without
valid credentials, and bodies that are JSON, forms, broken multipart or bytes. Every answer must be
below 500, every JSON error must have the vendor's error shape, and the last line of defence must
never run. Schemathesis then runs each dialect's own document too.

Replay a failure with the ``@seed`` hypothesis prints, or REELBASE_FUZZ_SEED for schemathesis.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import quote
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.test_fuzz_native import fuzz_seed, lift_the_brake, run_schemathesis, unexpected_errors
from tests.conftest import Account, LiveServer
from tests.dialects import pixop_client, sparevideos_client

HOSTILE = st.one_of(
    st.sampled_from(["\u00b9", "\u0661\u0662", "\x00", "a\x00b", "9" * 30, "99999999999", "-1", "0", "1e9", "NaN",
                     "%00", "../../etc/passwd", "' OR 1=1 --", "\U0001f3ac", "", " ", "null", "[]", "{}", "1",
                     "2", "true", "http://127.0.0.1:1/x", "file:///etc/passwd", "<script>alert(1)</script>"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=24),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
              st.floats(allow_nan=False), HOSTILE),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(HOSTILE, inner, max_size=3)),
    max_leaves=8,
)


@dataclass
class Dialect:
    name: str
    params: list[str]  # the parameter names its document uses
    error_shape: Callable[[Any], bool]
    auth: Callable[[LiveServer, Account], tuple[dict[str, str], dict[str, str]]]  # (query, headers)
    extra_paths: list[tuple[str, str]] = field(default_factory=list)  # (method, path) left out of its docs


def _integros_shape(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("error"), str) and set(body) <= {"error", "field"}


def _valt_shape(body: Any) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and isinstance(error.get("code"), int) and isinstance(error.get("message"), str)


def _spare_shape(body: Any) -> bool:
    return (isinstance(body, dict) and body.get("status") == "error" and isinstance(body.get("error"), int)
            and isinstance(body.get("message"), str))


def _pixop_shape(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"exception", "errorMessage"}


def _ilos_shape(body: Any) -> bool:
    return isinstance(body, dict) and body.get("worked") is False and isinstance(body.get("message"), str)


def _spare_auth(live: LiveServer, acct: Account) -> tuple[dict[str, str], dict[str, str]]:
    return {"token": sparevideos_client.token(acct, "file", "get", expires_in=600)}, {}


def _pixop_auth(live: LiveServer, acct: Account) -> tuple[dict[str, str], dict[str, str]]:
    return {}, {"Authorization": f"Bearer {pixop_client.login(live, acct)}", **pixop_client.JSON_HEADERS}


DIALECTS = [
    Dialect("integros", ["access_key", "page", "per_page", "token", "sign", "expires_at", "file_url", "file_name",
                         "file_size", "files[0][id]", "files[0][name]", "files[0][size]", "resumableChunkNumber",
                         "resumableTotalSize", "resumableChunkSize", "resumableIdentifier", "resumableFilename",
                         "resumableTotalChunks", "resumableCurrentChunkSize", "callback"],
            _integros_shape, lambda live, acct: ({"access_key": acct.secret}, {})),
    Dialect("valt", ["access_token", "username", "password", "name", "template[1]", "share[users][0]", "filename"],
            _valt_shape, lambda live, acct: ({"access_token": acct.secret}, {})),
    Dialect("sparevideos", ["token", "ref", "page", "file_code", "remote_file", "sd_only", "mp4_only", "_method"],
            _spare_shape, _spare_auth),
    Dialect("pixop", ["page", "page-size", "parent-id", "project-id", "team-id", "name", "projectId"],
            _pixop_shape, _pixop_auth),
    Dialect("ilos", ["api_key", "count", "q", "startIndex", "ptilos", "video_endpoint", "token", "format"],
            _ilos_shape, lambda live, acct: ({"api_key": acct.secret}, {})),
]
BROKEN_MULTIPART = b"--xx\r\n[{'a': 1}]\r\n\r\nbody\r\n--xx--\r\n"


def _routes(live: LiveServer, dialect: Dialect) -> list[tuple[str, str]]:
    doc = httpx.get(f"{live.url}/compat/{dialect.name}/openapi.json", timeout=30).json()
    routes = [(method.upper(), path) for path, ops in doc["paths"].items() for method in ops]
    return routes + dialect.extra_paths


@st.composite
def requests(draw: st.DrawFn, dialect: Dialect, routes: list[tuple[str, str]], ids: list[str],
             auth: tuple[dict[str, str], dict[str, str]]) -> dict[str, Any]:
    method, template = draw(st.sampled_from(routes))
    segment = st.one_of(st.sampled_from(ids), HOSTILE.filter(lambda t: t not in ("", ".", "..")))
    path = re.sub(r"\{[^}]+\}", lambda _: quote(draw(segment), safe=""), template)
    query = draw(st.dictionaries(st.sampled_from(dialect.params), HOSTILE, max_size=4))
    headers: dict[str, str] = {}
    if draw(st.integers(0, 3)):  # mostly with valid credentials, to reach past the door
        query = {**query, **auth[0]}
        headers.update(auth[1])
    body_kind = draw(st.sampled_from(["none", "json", "form", "multipart", "bytes"]))
    content: bytes | None = None
    if method in ("POST", "PUT", "DELETE") and body_kind != "none":
        if body_kind == "json":
            fields = draw(st.dictionaries(st.sampled_from(dialect.params), JSON_VALUE, max_size=4))
            content, headers["Content-Type"] = json.dumps(fields).encode(), "application/json"
        elif body_kind == "form":
            form = draw(st.dictionaries(st.sampled_from(dialect.params), HOSTILE, max_size=4))
            content = httpx.QueryParams(form).__str__().encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body_kind == "multipart":
            content, headers["Content-Type"] = BROKEN_MULTIPART, "multipart/form-data; boundary=xx"
        else:
            content = draw(st.binary(max_size=64))
            headers["Content-Type"] = draw(st.sampled_from(["application/json", "text/plain", "video/mp4", ""]))
    return {"method": method, "path": path, "query": query, "headers": headers, "content": content}


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_dialect_answers_generated_requests_in_its_own_shape(
    live: LiveServer, alice: Account, dialect: Dialect, caplog: pytest.LogCaptureFixture
) -> None:
    lift_the_brake(live)
    routes = _routes(live, dialect)
    api = live.client(alice.secret)
    video = api.post("/api/v1/videos", json={"title": "fuzz"}).json()
    ids = [str(video["id"]), video.get("token") or str(video["id"])]
    auth = dialect.auth(live, alice)
    seen: dict[int, int] = {}

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), print_blob=True)
    @given(request=requests(dialect, routes, ids, auth))
    def answers(request: dict[str, Any]) -> None:
        with httpx.Client(base_url=f"{live.url}/compat/{dialect.name}", timeout=30) as c:
            r = c.request(request["method"], request["path"], params=request["query"], headers=request["headers"],
                          content=request["content"])
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        assert r.status_code < 500, (request, r.status_code, r.text[:500])
        if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json") and r.content:
            assert dialect.error_shape(r.json()), (request, r.status_code, r.text[:500])

    with caplog.at_level(logging.ERROR, logger="reelbase"):
        answers()
    assert unexpected_errors(caplog) == []
    assert sum(seen.values()) >= 100 and len(seen) >= 2, seen  # it reached more than one kind of answer
    print(dialect.name, dict(sorted(seen.items())))


def test_dialect_documents_hold_under_schemathesis(live: LiveServer, alice: Account,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    lift_the_brake(live)
    seed = fuzz_seed()
    print(f"schemathesis seed {seed} (replay with REELBASE_FUZZ_SEED={seed})")
    headers = {"integros": f'Authorization: Token token="{alice.secret}"', "valt": f"Authorization: Bearer {alice.secret}",
               "pixop": f"Authorization: Bearer {pixop_client.login(live, alice)}",
               "ilos": f"Authorization: Bearer {alice.secret}", "sparevideos": "Accept: application/json"}
    with caplog.at_level(logging.ERROR, logger="reelbase"):
        for name, header in headers.items():
            code, report, generated = run_schemathesis(
                f"{live.url}/compat/{name}/openapi.json", "--url", f"{live.url}/compat/{name}",
                "--checks", "not_a_server_error", "--header", header, seed=seed, examples=30)
            assert code == 0 and generated > 50, f"{name}, seed {seed}:\n{report[-20000:]}"
    assert unexpected_errors(caplog) == [], f"seed {seed}"
