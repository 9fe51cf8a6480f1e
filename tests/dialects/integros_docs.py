"""The Integros document's examples (seed 000), as the golden tests send and check them: its
example access key is replaced by a real one, its hosts by the live server under
/compat/integros; every response is compared field by field with the example's (same keys, same
JSON types, the same formats for tokens, URLs and times)."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx

from reelbase.core.auth import accounts
from reelbase.core.runtime import Runtime
from tests.conftest import Account, LiveServer

BASE = "/compat/integros"
DOC_KEY = "7A939A92420E4C9BF075976ED5E82BA9"

RESUMABLE_EXAMPLE = {"id1": {"token": "461c16e7e9fa7656",
                             "url": "http://ivs.integros.com:8081/upload_chunk?token=461c16e7e9fa7656"
                                    "&expires_at=12312321&sign=h47hf84ufh484ufh"}}
GET_URL_EXAMPLE = {"token": "461c16e7e9fa7656",
                   "url": "http://ivs.integros.com:8081/upload_chunk?token=461c16e7e9fa7656&expires_at=12312321"
                          "&sign=h47hf84ufh484ufh"}
UPLOAD_URL_EXAMPLE = {"token": "461c16e7e9fa7656"}
VIDEO_EXAMPLE = {
    "id": 20,
    "token": "505eea833221d410",
    "state": "done",
    "progress": 100,
    "created_at": "2014-06-19T17:32:41.153+04:00",
    "updated_at": "2014-06-19T17:34:56.436+04:00",
    "original_filename": "Dixar.For.theS01E05.x264-Black$caR.mkv",
}
TOKEN = re.compile(r"^[0-9a-f]{16}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
UPLOAD_QUERY = re.compile(r"^token=([0-9a-f]{16})&expires_at=(\d+)&sign=([0-9a-f]+)$")
STATES = {"pending", "uploading", "queued", "processing", "done", "error"}


def client(live: LiveServer, secret: str | None = None, **headers: str) -> httpx.Client:
    """A client on the dialect's base URL; ``secret`` goes where the document puts the key."""
    hooks = {}
    if secret:  # appended to each URL (a client-wide ``params`` would replace a URL's own query)
        def add_key(request: httpx.Request) -> None:
            request.url = request.url.copy_add_param("access_key", secret)

        hooks = {"request": [add_key]}
    return httpx.Client(base_url=live.url + BASE, headers=headers, timeout=60, event_hooks=hooks)


def token_header(secret: str) -> dict[str, str]:
    return {"Authorization": f'Token token="{secret}"'}


def same_shape(actual: Any, example: Any, path: str = "$") -> None:
    """Same keys and the same JSON types as the example, recursively (null allowed for strings)."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        assert set(actual) == set(example), f"{path}: keys {sorted(actual)} != {sorted(example)}"
        for key, value in example.items():
            same_shape(actual[key], value, f"{path}.{key}")
    elif isinstance(example, list):
        assert isinstance(actual, list), f"{path}: expected an array"
        for i, item in enumerate(actual):
            same_shape(item, example[0], f"{path}[{i}]")
    elif isinstance(example, bool | int):
        assert type(actual) is type(example), f"{path}: {actual!r} is not a {type(example).__name__}"
    elif isinstance(example, str):
        assert actual is None or isinstance(actual, str), f"{path}: {actual!r} is not a string"


def check_upload_target(live: LiveServer, target: dict[str, Any], path: str) -> str:
    """A {token, url} answer: the url is absolute, on the upload server, signed for the token."""
    same_shape(target, GET_URL_EXAMPLE)
    assert TOKEN.match(target["token"]), target
    base, _, query = target["url"].partition("?")
    assert base == f"{live.url}{BASE}{path}"
    match = UPLOAD_QUERY.match(query)
    assert match and match.group(1) == target["token"], target["url"]
    return target["token"]


def check_video(body: dict[str, Any]) -> None:
    same_shape(body, VIDEO_EXAMPLE)
    assert TOKEN.match(body["token"]) and body["state"] in STATES
    assert 0 <= body["progress"] <= 100
    assert TIME.match(body["created_at"]) and TIME.match(body["updated_at"]), body


def key_account(runtime: Runtime) -> Account:
    """A user in a team of their own with an API key and no password: Integros authenticates by
    key only, and skipping the password hash (argon2, ~0.5 s) keeps the module fast."""
    email = f"i{secrets.token_hex(5)}@example.com"
    with runtime.session() as db:
        user = accounts.create_user(db, email=email, password=None)
        issued = accounts.create_api_key(db, user=user, server_secret=runtime.secret_key)
        db.commit()
        return Account(email, "", issued.secret, issued.api_key.public_id, issued.api_key.team_id)
