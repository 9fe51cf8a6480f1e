"""VALT request bodies and response shapes.

Bodies are read leniently, as the document writes them: a trailing comma before ``}`` or ``]``
(the document's own Example 2 has one) is accepted, and the fields may sit at the top level or
under ``"data"`` (the document's parameter table nests them there). ``template`` is an object of
field id -> value (a list is taken by position); ``share`` holds ``users`` and ``groups`` id lists.
The same fields can arrive as multipart form fields with an upload (``name``, ``template[1]``,
``share[users][0]``, or ``template`` / ``share`` as JSON text).

Responses carry the document's example fields at the top level and the same under ``data`` (as
its tables show them), so a client reading either finds them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from reelbase.core.videos import Recording
from reelbase.core.runtime import Runtime
from reelbase.dialects.valt.errors import ValtError

PREFIX = "/compat/valt"
_TRAILING_COMMA = re.compile(r'("(?:\\.|[^"\\])*")|,(\s*[}\]])')
_BRACKETS = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
MAX_BODY = 256 * 1024


def parse_json(raw: bytes) -> dict[str, Any]:
    """A JSON object from ``raw``, tolerating trailing commas; ValtError 400 otherwise."""
    if len(raw) > MAX_BODY:
        raise ValtError(413, "the request body is too large")
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        try:
            value = json.loads(_TRAILING_COMMA.sub(lambda m: m.group(1) or m.group(2), text))
        except json.JSONDecodeError:
            raise ValtError(400, "the request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise ValtError(400, "the request body must be a JSON object")
    data = value.get("data")
    if isinstance(data, dict) and not ({"name", "template", "share", "username"} & value.keys()):
        return data
    return value


def nest_form(fields: dict[str, str]) -> dict[str, Any]:
    """PHP-style form names (``share[users][0]``) as nested objects; ``template`` and ``share``
    given as JSON text are decoded."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        match = _BRACKETS.match(name)
        if not match:
            continue
        keys = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = out
        for i in range(len(keys) - 1):
            child = node.get(keys[i])
            if not isinstance(child, dict):
                child = node[keys[i]] = {}
            node = child
            if keys[i + 1] == "":  # "share[users][]": the next position
                keys[i + 1] = str(len(node))
        node[keys[-1]] = value
    for key in ("template", "share"):
        if isinstance(out.get(key), str) and out[key].strip()[:1] in ("{", "["):
            try:
                out[key] = json.loads(out[key])
            except json.JSONDecodeError:
                raise ValtError(400, f"{key} is not valid JSON") from None
    return out


def _as_list(value: Any, field: str) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):  # from a form: {"0": "1", "1": "2"}
        value = [value[k] for k in sorted(value, key=lambda k: (len(k), k))]
    if isinstance(value, str | int):
        value = [value]
    if not isinstance(value, list):
        raise ValtError(400, f"{field} must be an array of ids")
    return value


@dataclass(frozen=True)
class RecordFields:
    name: str | None
    template: dict[str, Any] | None
    users: list[Any] | None
    groups: list[Any] | None


def record_fields(body: dict[str, Any]) -> RecordFields:
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise ValtError(400, "name must be a string")
    template = body.get("template")
    if isinstance(template, list):
        template = {str(i): v for i, v in enumerate(template)}
    if template is not None and not isinstance(template, dict):
        raise ValtError(400, "template must be an object of field id to value")
    share = body.get("share")
    if share is not None and not isinstance(share, dict):
        raise ValtError(400, "share must be an object with users and groups")
    share = share or {}
    return RecordFields(
        name=name,
        template={str(k): v for k, v in template.items()} if template is not None else None,
        users=_as_list(share.get("users"), "share.users"),
        groups=_as_list(share.get("groups"), "share.groups"),
    )


def record_url(runtime: Runtime, record_id: str, video_id: str) -> str:
    return f"{runtime.settings.public_url}{PREFIX}/api/v3/records/{record_id}/videos/{video_id}"


def download_url(runtime: Runtime, record_id: str, video_id: str) -> str:
    return record_url(runtime, record_id, video_id) + "/download"


def record_json(recording: Recording, **extra: Any) -> dict[str, Any]:
    """The document's ``{"id", "videos"}``, plus the same (and ``extra``) under ``data``."""
    fields = {"id": recording.id, "videos": list(recording.video_ids), **extra}
    return {**fields, "data": dict(fields)}
