"""Reading ilos parameters and the ``api_key`` they carry.

ilos clients send parameters as a JSON body, as a form body (the document's own Python example
posts form data under a ``Content-Type: application/json`` header, so the body is parsed by its
content, not its label), or in the query string; all three are merged, body over query. A body
in braces that is not JSON is read as the object literal of the document's Ruby examples, whose
keys are bare words (``literal.py``).
``video_endpoint_extras`` may be a JSON object/array or PHP-style form keys
(``video_endpoint_extras[extra1]=…``, ``video_endpoint_extras[]=…``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from reelbase.core import auth as core_auth
from reelbase.core.context import Principal
from reelbase.core.runtime import Runtime
from reelbase.dialects.ilos.errors import IlosError
from reelbase.dialects.ilos.literal import LiteralError, parse_object
from reelbase.edge.deps import client_address

MAX_BODY = 256 * 1024
TRUE = {"true", "1", "yes", "on"}
FALSE = {"false", "0", "no", "off", ""}


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Form pairs to a dict, PHP-style ``name[key]`` / ``name[]`` keys into dicts / lists."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if "[" in key and key.endswith("]"):
            name, _, sub = key[:-1].partition("[")
            if sub == "":
                current = out.get(name)
                out[name] = [*current, value] if isinstance(current, list) else [value]
            else:
                current = out.get(name)
                out[name] = {**(current if isinstance(current, dict) else {}), sub: value}
        else:
            out[key] = value
    return out


def _parse_body(raw: bytes) -> dict[str, Any]:
    text = raw.decode("utf-8", errors="replace").strip()
    if not text:
        return {}
    if text[0] not in "{[":
        return _nest(parse_qsl(text, keep_blank_values=True))
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can follow
        return _parse_literal(text)
    if not isinstance(value, dict):
        raise IlosError(400, "the request body must be a JSON object")
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # json.loads lets "\ud800" through; no database or webhook body takes it
        raise IlosError(400, "the request body has a \\u escape of a lone surrogate (half a character)") from None
    return value


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, and no column or webhook body could carry them on
    raise ValueError(f"{name} is not a JSON value")


def _parse_literal(text: str) -> dict[str, Any]:
    """A body JSON refused: the document's Ruby examples send ``{ api_key: "{key}", … }``."""
    if text[0] != "{":
        raise IlosError(400, "the request body must be a JSON object")
    try:
        return parse_object(text)
    except LiteralError as exc:
        raise IlosError(400, "the request body is neither JSON nor an object literal with bare keys "
                             f"(such as {{ api_key: \"…\" }}): {exc}") from None


async def read_params(request: Request) -> dict[str, Any]:
    params = _nest(list(request.query_params.multi_items()))
    if request.method in ("POST", "PUT", "PATCH"):
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY:
                raise IlosError(413, "the request body is too large")
        # off the event loop: reading a large body that is not JSON takes a moment in Python
        params.update(await run_in_threadpool(_parse_body, raw))
    return params


def flag(params: dict[str, Any], name: str) -> bool | None:
    """A boolean option: JSON true/false, or the strings true/false/1/0; None when absent."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise IlosError(400, f"{name} must be true or false")


def text(params: dict[str, Any], name: str, *, limit: int = 2000) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise IlosError(400, f"{name} must be a string")
    value = str(value)
    if len(value) > limit:
        raise IlosError(400, f"{name} is longer than {limit} characters")
    return value


def extras(params: dict[str, Any]) -> Any:
    """``video_endpoint_extras`` as given (object or array), None when absent."""
    value = params.get("video_endpoint_extras")
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    if not isinstance(value, dict | list):
        return [value]
    if len(json.dumps(value)) > 16 * 1024:
        raise IlosError(400, "video_endpoint_extras is too large")
    return value


async def principal_from(request: Request, params: dict[str, Any], *, organization_only: bool = False) -> Principal:
    """The principal of the ``api_key`` parameter (401 when missing or unknown)."""
    secret = params.get("api_key")
    if not isinstance(secret, str) or not secret.strip():
        raise IlosError(401, "api_key is required")
    runtime: Runtime = request.app.state.runtime
    principal = await run_in_threadpool(core_auth.authenticate_api_key, runtime, secret.strip(),
                                        client=client_address(request))
    if organization_only and principal.key_type != "organization":
        raise IlosError(403, "this endpoint requires an Organization API key")
    return principal
