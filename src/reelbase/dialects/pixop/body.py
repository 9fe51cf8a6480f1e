"""Reading Pixop's process-video body, which clients copy from the document's example.

That example lacks the comma between the ``scanning`` object and ``"chromaSubsampling"`` (a line
ends with ``}`` and the next begins with a key). A body that differs from valid JSON only by such
missing commas, each at a line break before the next ``"key":``, has one reading, so it is read
that way; anything else that is not JSON is refused (400) as before.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import Depends, Request

from reelbase.dialects.pixop.errors import PixopError

MAX_BODY = 64 * 1024  # the whole table of options fits in well under 2 KiB
MAX_REPAIRS = 16
_VALUE_END = re.compile(r'(?:[}\]"]|\d|true|false|null)\s*\n\s*$')
_NEXT_KEY = re.compile(r'"(?:[^"\\]|\\.)*"\s*:')


def _missing_member_comma(text: str, exc: json.JSONDecodeError) -> bool:
    return (exc.msg == "Expecting ',' delimiter" and _NEXT_KEY.match(text, exc.pos) is not None
            and _VALUE_END.search(text[:exc.pos]) is not None)


def parse_body(raw: bytes) -> Any:
    """The JSON value of ``raw`` (None when empty), reading missing commas between object members
    at line breaks as the document's example needs; PixopError 400 when it is not JSON."""
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PixopError(400, "BadRequestException", "the request body is not UTF-8 JSON") from None
    for _ in range(MAX_REPAIRS + 1):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            if not _missing_member_comma(text, exc):
                raise PixopError(400, "BadRequestException",
                                 f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} "
                                 f"column {exc.colno}") from None
            cut = len(text[:exc.pos].rstrip())  # right after the value, so line numbers stay true
            text = text[:cut] + "," + text[cut:]
    raise PixopError(400, "BadRequestException", "the request body is not valid JSON: too many missing commas")


async def read_body(request: Request) -> Any:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        raise PixopError(413, "PayloadTooLargeException", f"the request body is over {MAX_BODY} bytes")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise PixopError(413, "PayloadTooLargeException", f"the request body is over {MAX_BODY} bytes")
    return parse_body(bytes(raw))


LenientJson = Annotated[Any, Depends(read_body)]
