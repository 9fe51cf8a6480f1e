"""SpareVideos authentication: every API request carries ``token=<signature>`` (query string or
POST body), the signed array of the document's PHP example. Verification is the core's
(``core.auth.signed_requests``); this module only finds the token and the request's inputs.

Inputs of an operation (``file_code``, ``thumbnail``, ``codes``, ``convert_*``) are read from the
signed array first, as the document puts them there, and else from the request's own parameters.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from reelbase.core.auth import SignedRequest, verify_signed_request
from reelbase.dialects.sparevideos.errors import GENERIC, SpareError
from reelbase.edge.deps import client_address, get_runtime

MAX_FORM_BYTES = 256 * 1024


async def read_small_body(request: Request, limit: int = MAX_FORM_BYTES) -> bytes:
    """The whole body of a request that carries a few parameters, refused past ``limit`` bytes
    without buffering more (kept on the request so ``request.form()`` can parse it)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise SpareError(GENERIC, "the request body is too large", 413)
    request._body = body  # Starlette's cache of the body, read by request.form()
    return body


async def request_params(request: Request) -> dict[str, Any]:
    """Query parameters, then a small form or JSON body (lists for repeated or ``name[]`` keys)."""
    pairs: list[tuple[str, str]] = list(request.query_params.multi_items())
    ctype = request.headers.get("content-type", "").lower()
    data: dict[str, Any] = {}
    if request.method in ("POST", "PUT", "DELETE", "PATCH"):
        body = await read_small_body(request)
        if ctype.startswith("application/json") and body.strip():
            try:
                parsed = json.loads(body)
            except ValueError:
                raise SpareError(GENERIC, "the request body is not valid JSON", 400) from None
            data = parsed if isinstance(parsed, dict) else {}
        elif ctype.startswith("multipart/form-data"):
            form = await request.form()
            pairs += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        elif body:
            pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    out: dict[str, Any] = {}
    for key, value in pairs:
        name = key.split("[", 1)[0] if "[" in key else key
        if name != key or name in out:  # codes[]=a&codes[]=b, codes[0]=a, or a repeated key
            previous = out.get(name)
            out[name] = [*(previous if isinstance(previous, list) else [] if previous is None else [previous]), value]
        else:
            out[name] = value
    out.update(data)
    return out


async def verify(request: Request, params: dict[str, Any], *, method: str, action: str) -> SignedRequest:
    runtime = get_runtime(request)
    token = params.get("token")
    client = client_address(request)

    # Read only: a signed request names its key by public id and touches nothing.
    return await run_in_threadpool(verify_signed_request, runtime, token if isinstance(token, str) else None,
                                   method=method, action=action, client=client)


def claim(signed: SignedRequest, params: dict[str, Any], name: str) -> Any:
    """An input of the operation: from the signed array, else from the request."""
    value = signed.claims.get(name)
    return value if value not in (None, "") else params.get(name)


def flag(value: Any) -> bool:
    """PHP-ish truth of True/False, true/false, 1/0, yes/no."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
