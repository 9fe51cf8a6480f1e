"""Integros authentication: the API key's secret as the ``access_key`` parameter (query string,
or a form field of a POST), or the header ``Authorization: Token token="<secret>"``.

The check itself is the core's (``core.auth.accounts.authenticate_api_key``); this module only finds the
secret in the request. A missing key and a wrong one are both 401 (``errors.py`` shapes the body).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from reelbase.core.auth import authenticate_api_key
from reelbase.core.context import Principal
from reelbase.core.errors import Unauthenticated
from reelbase.core.runtime import Runtime
from reelbase.edge.deps import client_address, get_runtime

# Token token="abc", Token token=abc, Token abc (Rails' authenticate_with_http_token accepts all three)
_TOKEN_HEADER = re.compile(r'^\s*Token\s+(?:token\s*=\s*)?"?([^",\s]+)"?', re.IGNORECASE)


def secret_from(request: Request, form: dict[str, str] | None = None) -> str | None:
    """The access key from the query, a form field or the Token header; None when absent."""
    value = request.query_params.get("access_key") or (form or {}).get("access_key")
    if value:
        return value.strip()
    match = _TOKEN_HEADER.match(request.headers.get("authorization", ""))
    return match.group(1) if match else None


def authenticate(runtime: Runtime, secret: str | None, *, client: str | None) -> Principal:
    """Blocking: call from a worker thread (the core commits the key's last-used touch and counts
    a bad key against the ``client`` address)."""
    if not secret:
        raise Unauthenticated("access_key is missing: pass ?access_key=<key> or "
                              "'Authorization: Token token=\"<key>\"'")
    return authenticate_api_key(runtime, secret, client=client)


async def api_key_principal(request: Request) -> Principal:
    form: dict[str, str] = {}
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method == "POST" and ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return await run_in_threadpool(authenticate, get_runtime(request), secret_from(request, form),
                                   client=client_address(request))


ApiKeyPrincipal = Annotated[Principal, Depends(api_key_principal)]
