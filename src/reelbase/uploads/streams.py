"""Bridges between an ASGI request body (async) and the core's sync byte iterators.

The core runs in a worker thread and pulls the body through ``anyio.from_thread.run``; chunks
are batched to about 1 MiB so the thread hops stay few (a 1 GiB upload makes ~1,000 of them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio.from_thread

BATCH = 1 << 20


async def batched(stream: AsyncIterator[bytes], size: int = BATCH) -> AsyncIterator[bytes]:
    buf = bytearray()
    async for chunk in stream:
        buf += chunk
        if len(buf) >= size:
            yield bytes(buf)
            buf.clear()
    if buf:
        yield bytes(buf)


def pull_from_loop(agen: AsyncIterator[bytes]) -> Iterator[bytes]:
    """A sync iterator (for a worker thread) over an async iterator living on the event loop."""
    while True:
        try:
            chunk = anyio.from_thread.run(agen.__anext__)
        except StopAsyncIteration:
            return
        yield chunk
