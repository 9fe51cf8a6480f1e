"""What every Integros endpoint shares: the ``.json`` / ``.js`` suffixes, the document's time
format, absolute URLs under ``/compat/integros``, and the parsing of its parameters
(integers, and the ``files`` array of ``get_resumable_url`` in its Rails and JSON spellings).

``.js`` answers the same JSON as ``application/javascript``; with ``callback=<name>`` it is
wrapped as JSONP (``name({...});``) so a page can load it with a script tag.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from reelbase.core.errors import InvalidInput
from reelbase.core.runtime import Runtime
from reelbase.core.numbers import is_decimal

PREFIX = "/compat/integros"
SUFFIXES = ("", ".json", ".js")
MAX_FILES = 100
_CALLBACK = re.compile(r"^[A-Za-z_$][\w$.]{0,99}$")
_RAILS_FILE = re.compile(r"^files\[([^\]]{0,20})\]\[(id|name|size)\]$")


def url(runtime: Runtime, path: str) -> str:
    return f"{runtime.settings.public_url}{PREFIX}{path}"


def timestamp(value: dt.datetime | None) -> str | None:
    """``2014-06-19T17:32:41.153+04:00``: milliseconds and a numeric offset (UTC here)."""
    if value is None:
        return None
    value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}+00:00"


def render(request: Request, body: Any, status: int = 200) -> Response:
    """JSON, or for a ``.js`` path JavaScript (JSONP when ``callback`` names a function)."""
    if not request.url.path.endswith(".js"):
        return JSONResponse(body, status_code=status)
    text = json.dumps(body, separators=(",", ":"))
    callback = request.query_params.get("callback", "")
    if _CALLBACK.match(callback):
        text = f"/**/{callback}({text});"
    return Response(text, status_code=status, media_type="application/javascript")


def route(router: APIRouter, path: str, *, methods: Iterable[str], summary: str) -> Callable[[Callable], Callable]:
    """Register ``path``, ``path.json`` and ``path.js`` for one handler."""

    def register(handler: Callable) -> Callable:
        for i, suffix in enumerate(SUFFIXES):
            for method in methods:  # one route per method: an operation id names one operation
                router.add_api_route(path + suffix, handler, methods=[method], summary=summary,
                                     include_in_schema=i == 1, operation_id=f"{method.lower()}_{handler.__name__}{i}")
        return handler

    return register


def strip_suffix(ref: str) -> str:
    for suffix in (".json", ".js"):
        if ref.endswith(suffix):
            return ref[: -len(suffix)]
    return ref


def int_param(value: Any, name: str, *, default: int | None = None, low: int = 0) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text or text in ("null", "false"):
        return default
    if not is_decimal(text) or int(text) < low:
        raise InvalidInput(f"{name} must be an integer of at least {low}, not {text[:40]!r}", field=name)
    return int(text)


@dataclass(frozen=True)
class FileSpec:
    id: str
    name: str | None
    size: int | None


def _spec(entry: Any, position: int) -> FileSpec:
    if not isinstance(entry, dict):
        raise InvalidInput("each of files must be a hash {id, name, size}", field="files")
    ident = str(entry.get("id") if entry.get("id") not in (None, "") else position)
    name = entry.get("name")
    if len(ident) > 200 or (name is not None and not isinstance(name, str)):
        raise InvalidInput("files: id must be at most 200 characters and name a string", field="files")
    return FileSpec(id=ident, name=name or None, size=int_param(entry.get("size"), "files.size", low=1))


def _entries(value: Any) -> list[Any]:
    if isinstance(value, dict) and "files" in value:
        value = value["files"]
    if isinstance(value, dict):  # Rails' hash of hashes {"0": {...}, "1": {...}}
        value = [value[k] for k in sorted(value, key=lambda k: (not is_decimal(str(k)), int(k) if is_decimal(str(k))
                                                                    else 0, str(k)))]
    if not isinstance(value, list):
        raise InvalidInput("files must be an array of {id, name, size}", field="files")
    return value


def parse_files(items: Iterable[tuple[str, str]], json_body: Any = None) -> list[FileSpec]:
    """``files`` as Rails parameters (``files[0][id]=…``, ``files[][id]=…``), as a JSON array in
    the ``files`` parameter, or as a JSON body (an array, or ``{"files": [...]}``)."""
    entries: list[Any] = []
    if json_body is not None:
        entries.extend(_entries(json_body))
    indexed: dict[str, dict[str, str]] = {}
    appended: list[dict[str, str]] = []
    for key, value in items:
        if key == "files" and value.strip():
            try:
                entries.extend(_entries(json.loads(value)))
            except json.JSONDecodeError:
                raise InvalidInput("files must be a JSON array of {id, name, size}", field="files") from None
            continue
        match = _RAILS_FILE.match(key)
        if not match:
            continue
        index, attr = match.groups()
        if index == "":  # files[][id]=…: a repeated attribute starts the next hash
            if not appended or attr in appended[-1]:
                appended.append({})
            appended[-1][attr] = value
        else:
            indexed.setdefault(index, {})[attr] = value
    entries.extend(_entries(indexed) if indexed else [])
    entries.extend(appended)
    if len(entries) > MAX_FILES:
        raise InvalidInput(f"at most {MAX_FILES} files at once", field="files")
    specs = [_spec(entry, i) for i, entry in enumerate(entries)]
    if len({s.id for s in specs}) != len(specs):
        raise InvalidInput("files: every id must be different", field="files")
    return specs
