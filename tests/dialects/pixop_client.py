"""Client helpers for the Pixop golden tests: a client as Pixop's document tells one to be built
(base URL + the service's root path, the required headers), Basic logins, and tokens of any shape
signed with a user's real key (through the core) for the auth-failure cases."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx

from reelbase.core.auth import accounts

from reelbase.core.auth import jwt_tokens as tokens
from reelbase.core.runtime import Runtime
from tests.conftest import Account, LiveServer

BASE = "/compat/pixop"
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}

# The document's process-video example, byte for byte as printed (with its missing comma after
# the "scanning" object), to be sent as the request's text.
DOC_PROCESS_TEXT = """\
{
  "mediaContainerCodec": {
    "container": "mov",
    "codec": "h264"
  },
  "appleProresProfile": "standard",
  "dnxhdHrProfile": "dnxhd_sq",
  "scanning": {
    "tag": "interlaced_tff",
    "scanningType": "interlaced",
    "interlacedFieldOrder": "top_field"
  }
  "chromaSubsampling": {
    "yuv": "4:2:2",
    "bits": 8
  },
  "bitrate": {
    "mbps": 20.5
  },
  "deinterlacer": "deint",
  "denoiser": "denoise",
  "stabilizer": "dejit",
  "scaler": "pabsr1",
  "resolution": {
    "tag": "hd_1080p",
    "width": 1920,
    "height": 1080,
    "aspectRatioTag": "16:9"
  },
  "clarityBoost": "low",
  "frameRateConverter": "fblend",
  "frameRate": {
    "tag": "film",
    "fps": 24.0
  },
  "postProcessor": "filmgrain",
  "range": {
    "startPositionMilliseconds": 0,
    "endPositionMilliseconds": 30000
  }
}
"""

# The same example as a JSON object (the missing comma added).
DOC_PROCESS_BODY: dict[str, Any] = {
    "mediaContainerCodec": {"container": "mov", "codec": "h264"},
    "appleProresProfile": "standard",
    "dnxhdHrProfile": "dnxhd_sq",
    "scanning": {"tag": "interlaced_tff", "scanningType": "interlaced", "interlacedFieldOrder": "top_field"},
    "chromaSubsampling": {"yuv": "4:2:2", "bits": 8},
    "bitrate": {"mbps": 20.5},
    "deinterlacer": "deint",
    "denoiser": "denoise",
    "stabilizer": "dejit",
    "scaler": "pabsr1",
    "resolution": {"tag": "hd_1080p", "width": 1920, "height": 1080, "aspectRatioTag": "16:9"},
    "clarityBoost": "low",
    "frameRateConverter": "fblend",
    "frameRate": {"tag": "film", "fps": 24.0},
    "postProcessor": "filmgrain",
    "range": {"startPositionMilliseconds": 0, "endPositionMilliseconds": 30000},
}


def basic(email: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()}


def service(live: LiveServer, token: str | None = None, *, headers: dict[str, str] | None = None,
            media: bool = False) -> httpx.Client:
    """A client on ``<server>/compat/pixop`` with the document's required headers (the media
    service requires only Authorization: its uploads are multipart/form-data)."""
    all_headers = {} if media else dict(JSON_HEADERS)
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers.update(headers or {})
    return httpx.Client(base_url=live.url + BASE, headers=all_headers, timeout=60)


def login(live: LiveServer, acct: Account, team_id: str | None = None) -> str:
    with service(live, headers=basic(acct.email, acct.password)) as c:
        r = c.get("/accounts/v1/token", params={"team-id": team_id} if team_id else None)
    assert r.status_code == 200, r.text
    return r.json()["jwtToken"]


def user_and_team(runtime: Runtime, email: str) -> tuple[str, str]:
    with runtime.session() as db:
        user = accounts.get_user_by_email(db, email)
        return user.uuid, accounts.primary_team(db, user).uuid


def signed(runtime: Runtime, email: str, **overrides: Any) -> str:
    """A token signed with the user's current key: the standard claims, with ``overrides``
    applied (a value of None removes the claim)."""
    now = int(time.time())
    user_uuid, team_uuid = user_and_team(runtime, email)
    claims: dict[str, Any] = {"iss": "reelbase", "sub": user_uuid, "tid": team_uuid, "iat": now, "nbf": now,
                              "exp": now + 600, "jti": "t"}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    with runtime.session() as db:
        token = tokens.sign_claims(db, accounts.get_user_by_email(db, email), claims,
                                   server_secret=runtime.secret_key)
        db.commit()
    return token


def failure_of(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"exception", "errorMessage"}, body
    assert isinstance(body["errorMessage"], str) and body["errorMessage"]
    return body["exception"]
