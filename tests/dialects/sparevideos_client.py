"""A SpareVideos client as the document's PHP example builds its requests, for the golden tests.

``php_sign`` mirrors, step by step::

    $base64Encode  = trim(base64_encode(json_encode($array)), '=');
    $encryptedHash = hash_hmac($array['algo'], $base64Encode, $private_key);
    $signature     = $base64Encode . '.' . $encryptedHash;
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from tests.conftest import Account, LiveServer

PREFIX = "/compat/sparevideos"
API = PREFIX + "/api/v1"


def php_json_encode(value: Any) -> str:
    # PHP escapes '/' and non-ASCII by default and writes no spaces.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")


def php_sign(array: dict[str, Any], private_key: str, *, urlsafe: bool = False) -> str:
    encoded = base64.b64encode(php_json_encode(array).encode()).decode().strip("=")
    if urlsafe:
        encoded = encoded.replace("+", "-").replace("/", "_")
    algo = str(array.get("algo", "sha256")).replace("-", "_")
    digest = hmac.new(private_key.encode(), encoded.encode(), getattr(hashlib, algo)).hexdigest()
    return encoded + "." + digest


def token(acct: Account, method: str, action: str, *, expires_in: int = 3600, **extra: Any) -> str:
    array = {"algo": "sha256", "public_key": acct.public_id, "method": method, "action": action,
             "expires": int(time.time()) + expires_in, **extra}
    return php_sign(array, acct.secret)


def client(live: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=live.url, timeout=60)


def initiate(c: httpx.Client, acct: Account) -> dict[str, Any]:
    r = c.get(f"{API}/upload/initiate", params={"token": token(acct, "upload", "initiate")})
    assert r.status_code == 200, r.text
    return r.json()


def upload_bytes(c: httpx.Client, acct: Account, data: bytes, name: str = "clip.mp4") -> tuple[dict, dict]:
    """Steps 1 and 2: initiate, then POST the file to the returned server with the returned token."""
    init = initiate(c, acct)
    r = c.post(init["server"], params={"token": init["token"]}, files={"file": (name, data, "video/mp4")})
    assert r.status_code == 200, r.text
    return init, r.json()


def me_file(c: httpx.Client, acct: Account, code: str) -> httpx.Response:
    return c.get(f"{API}/me/file", params={"token": token(acct, "file", "get", expires_in=30, file_code=code)})


def expect_error(r: httpx.Response, error: int, status: int | None = None) -> dict[str, Any]:
    body = r.json()
    assert body["status"] == "error", body
    assert body["error"] == error, body
    assert isinstance(body["message"], str) and body["message"], body
    if status is not None:
        assert r.status_code == status, (r.status_code, body)
    return body
