"""A small stand-in for resumable.js 1.1 in Python, for the tests and the benchmark: the same
chunk arithmetic (1-based numbers, the last chunk absorbs the remainder), the same test-then-send
requests, and parameters in both the query string and the multipart form."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from urllib.parse import parse_qs

import httpx

PERMANENT = {400, 401, 403, 404, 409, 415, 500, 501}  # resumable.js's default permanentErrors


def plan(size: int, chunk_size: int) -> list[tuple[int, int, int]]:
    """[(number, start, length)] as resumable.js cuts a file (forceChunkSize false)."""
    total = max(size // chunk_size, 1)
    out = []
    for i in range(total):
        start = i * chunk_size
        end = size if i == total - 1 else start + chunk_size
        out.append((i + 1, start, end - start))
    return out


def params(data: bytes, chunk_size: int, number: int, length: int, *, identifier: str | None = None,
           filename: str = "clip.mp4") -> dict[str, str]:
    total = max(len(data) // chunk_size, 1)
    return {
        "resumableChunkNumber": str(number),
        "resumableChunkSize": str(chunk_size),
        "resumableCurrentChunkSize": str(length),
        "resumableTotalSize": str(len(data)),
        "resumableType": "video/mp4",
        "resumableIdentifier": identifier or f"{len(data)}-{hashlib.md5(data[:4096]).hexdigest()}",
        "resumableFilename": filename,
        "resumableRelativePath": filename,
        "resumableTotalChunks": str(total),
    }


def send_chunk(c: httpx.Client, url: str, data: bytes, chunk_size: int, number: int, *,
               extra: dict[str, str] | None = None, test_first: bool = True,
               identifier: str | None = None) -> httpx.Response | None:
    """Test the chunk, send it if absent; None when the server already had it."""
    start = (number - 1) * chunk_size
    chunks = plan(len(data), chunk_size)
    length = chunks[number - 1][2]
    p = {**params(data, chunk_size, number, length, identifier=identifier), **(extra or {})}
    # resumable.js appends its parameters to a target URL that may carry its own (a signed URL).
    base, _, query = url.partition("?")
    p = {**{k: v[0] for k, v in parse_qs(query).items()}, **p}
    url = base
    if test_first:
        t = c.get(url, params=p)
        if t.status_code in (200, 201):
            return None
    body = data[start:start + length]
    return c.post(url, params=p, data=p, files={"file": ("blob", body, "application/octet-stream")})


def numbers(data: bytes, chunk_size: int) -> Iterable[int]:
    return (n for n, _, _ in plan(len(data), chunk_size))
