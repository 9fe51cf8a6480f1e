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
from reelbase.dialects.sparevideos.errors import ERRORS
from reelbase.dialects.sparevideos.files import router as files_router
from reelbase.dialects.sparevideos.media import router as media_router
from reelbase.dialects.sparevideos.uploads import router as uploads_router
from reelbase.edge.dialect_app import DialectInfo, create_dialect_app

INFO = DialectInfo("SpareVideos", "1", "SpareVideos API v1 over Reelbase. Sign each request: token = "
                  "trim(base64(json(array)), '=') . '.' . hash_hmac(algo, that, private key).")
ROUTERS = (uploads_router, files_router, media_router)


def create_app(runtime: Runtime) -> FastAPI:
    return create_dialect_app(runtime, INFO, ERRORS, routers=ROUTERS)
