"""The Pixop dialect: Pixop's Video Processing REST API v1 (seed document 003) over the core.

Mounted at ``/compat/pixop``, with the document's three services below it: ``/accounts/v1/...``
(JWT tokens from email/password, account, secrets, password), ``/videos/v1/...`` (projects,
videos, process-video, progress) and ``/media/v1/...`` (uploads, downloads). A client written
for Pixop works by changing its base URL to ``<public url>/compat/pixop``.

Translation only: every operation is one core call; failures use Pixop's body
``{"exception", "errorMessage"}`` (``errors.py``).
"""

from __future__ import annotations

from fastapi import FastAPI

from reelbase.core.runtime import Runtime
from reelbase.dialects.pixop.accounts import router as accounts_router
from reelbase.dialects.pixop.errors import ERRORS
from reelbase.dialects.pixop.media import router as media_router
from reelbase.dialects.pixop.projects import router as projects_router
from reelbase.dialects.pixop.videos import router as videos_router
from reelbase.edge.dialect_app import DialectInfo, create_dialect_app

INFO = DialectInfo("Pixop", "1", "Pixop Video Processing REST API v1 over Reelbase. Get a JWT from "
                  "`GET /accounts/v1/token` with HTTP Basic email/password, then send `Authorization: Bearer <JWT>`.")
ROUTERS = (accounts_router, projects_router, videos_router, media_router)


def create_app(runtime: Runtime) -> FastAPI:
    return create_dialect_app(runtime, INFO, ERRORS, routers=ROUTERS)
