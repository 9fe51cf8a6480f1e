"""The Integros dialect: the Integros Video Layer API v1 (seed document 000) over the core.

Mounted at ``/compat/integros``: ``/v1/uploads/get_resumable_url``, ``get_url`` and
``upload_url``; ``/v1/videos`` and ``/v1/videos/:token``; ``/v1/widgets/uploader.js``; each with
the document's ``.json`` (and ``.js``) suffix. The upload server the signed URLs point at is
``/upload_chunk`` and ``/upload`` (``transfer.py``). A client written for Integros works by
changing its base URL to ``<public url>/compat/integros``.

Auth: ``access_key=<API key secret>`` or ``Authorization: Token token="<secret>"``. Translation
only: every operation is a core call; failures are ``{"error": …}`` with the document's statuses.
Any origin may call (CORS without credentials): the widget runs on the customer's pages.
"""

from __future__ import annotations

from fastapi import FastAPI

from reelbase.core.runtime import Runtime
from reelbase.dialects.integros.errors import ERRORS
from reelbase.dialects.integros.transfer import router as transfer_router
from reelbase.dialects.integros.uploads import router as uploads_router
from reelbase.dialects.integros.videos import router as videos_router
from reelbase.dialects.integros.widget import router as widget_router
from reelbase.edge.dialect_app import DialectInfo, create_dialect_app

INFO = DialectInfo("Integros", "1", "Integros Video Layer API v1 over Reelbase. Authenticate with "
                  "`access_key=<key>` or `Authorization: Token token=\"<key>\"`.")
ROUTERS = (uploads_router, videos_router, widget_router, transfer_router)


def create_app(runtime: Runtime) -> FastAPI:
    # Any origin may call, without credentials: the widget runs on the customers' pages.
    return create_dialect_app(runtime, INFO, ERRORS, routers=ROUTERS,
                              cors_methods=("GET", "HEAD", "POST", "PUT", "OPTIONS"))
