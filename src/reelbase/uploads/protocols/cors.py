"""CORS for the upload endpoints, so a browser uploader served from another origin (Uppy,
tus-js-client, resumable.js, a signed-URL form) can use them.

Scoped to one path prefix: the rest of the API keeps the browser's same-origin default. Any
origin may call, without credentials (cookies are never sent or honoured: uploads authenticate
with a bearer API key or a signed URL, which a page must hold explicitly). Preflight requests are
answered here; a plain OPTIONS (tus discovery) still reaches the tus route. The tus headers a
client must read (offset, location, expiry...) are exposed.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

EXPOSED = [
    "Location", "Upload-Offset", "Upload-Length", "Upload-Defer-Length", "Upload-Metadata", "Upload-Expires",
    "Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size", "Tus-Checksum-Algorithm",
    "Reelbase-Video", "Range",
]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class UploadsCORS:
    """ASGI middleware: CORS headers on every response under ``prefix`` (errors included)."""

    def __init__(self, app: ASGIApp, *, prefix: str = "/api/v1/uploads") -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")
        self.cors = CORSMiddleware(
            app, allow_origins=["*"], allow_methods=METHODS, allow_headers=["*"],
            expose_headers=EXPOSED, allow_credentials=False, max_age=86400,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == self.prefix or path.startswith(self.prefix + "/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
