"""What the upload protocols share: who is asking (API key or signed URL) and their numeric
headers. The upload's JSON and error answers are in ``reelbase.edge.uploads``, since the native
source route answers with them too.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from reelbase.core.errors import InvalidInput
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import Actor, verify_signed_upload
from reelbase.edge.deps import authenticate_request, get_runtime
from reelbase.core.numbers import is_decimal

SIGNED_PARAMS = ("token", "expires_at", "sign")


def signed_params(source: Mapping[str, str]) -> dict[str, str] | None:
    """The signed-URL parameters in ``source`` (query or form), or None if it has none."""
    if not any(source.get(k) for k in SIGNED_PARAMS):
        return None
    return {k: source.get(k, "") for k in SIGNED_PARAMS}


def resolve_actor_sync(runtime: Runtime, request: Request, params: Mapping[str, str] | None = None) -> Actor:
    """A signed URL's grant when signed parameters are present (in ``params`` or the query),
    else the API key's principal. Blocking: call from a worker thread."""
    signed = signed_params(params if params is not None else request.query_params)
    if signed is not None:
        return verify_signed_upload(runtime, token=signed["token"], expires_at=signed["expires_at"],
                                    sign=signed["sign"])
    return authenticate_request(runtime, request)


async def resolve_actor(request: Request, params: Mapping[str, str] | None = None) -> Actor:
    return await run_in_threadpool(resolve_actor_sync, get_runtime(request), request, params)


def header_int(request: Request, name: str) -> int | None:
    """A non-negative integer header, None when absent; InvalidInput when malformed."""
    value = request.headers.get(name)
    if value is None:
        return None
    value = value.strip()
    if not is_decimal(value):
        raise InvalidInput(f"{name} must be a non-negative integer below 10^18, not {value[:40]!r}", field=name)
    return int(value)
