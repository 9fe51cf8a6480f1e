"""The SpareVideos dialect: SpareVideos' API (seed document 002) over the core.

Mounted at ``/compat/sparevideos``, with the document's paths below it: the API at ``/api/v1/...``
(``upload/initiate``, ``upload/conversion/initiate``, ``me/file``, ``me/files``), the upload server
at ``/fileservers/upload`` (and ``/progress``), thumbnails at ``/thumbnail/...`` and the stream URLs
``me/file`` hands out at ``/stream/...``. A client written for SpareVideos works by changing its
base URLs to ``<public url>/compat/sparevideos/api/v1`` (and, for thumbnails,
``<public url>/compat/sparevideos/thumbnail``).

Every API request is signed (``token=<base64 array>.<hex HMAC>``, see ``auth.py``); failures use
SpareVideos' body ``{"status": "error", "error": <number>, "message"}`` (``errors.py``).
Translation only: every operation is a core call.
"""

from __future__ import annotations

from fastapi import FastAPI

from reelbase.core.runtime import Runtime
from reelbase.dialects.sparevideos.errors import install_error_handlers
from reelbase.dialects.sparevideos.files import router as files_router
from reelbase.dialects.sparevideos.media import router as media_router
from reelbase.dialects.sparevideos.uploads import router as uploads_router


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Reelbase - SpareVideos dialect",
        version="1",
        description="SpareVideos API v1 over Reelbase. Sign each request: token = "
        "trim(base64(json(array)), '=') . '.' . hash_hmac(algo, that, private key).",
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    for router in (uploads_router, files_router, media_router):
        app.include_router(router)
    return app
