"""The ilos dialect: ilos's REST API (seed document 004) over the core.

Mounted at ``/compat/ilos``, keeping the document's paths below it: ``POST /v1/token/record``,
``POST /v1/token/upload`` (one-time tokens and the pages they point to), ``POST /video/metadata``
(durations), ``GET /opensearch/`` (RSS/Atom search results) with its description document, and
the view/embed pages the webhook and search results link to. A client written for ilos works by
changing its base URL to ``<public url>/compat/ilos``.

Auth: ``api_key`` (a user or organization key) in the body (JSON, a form, or the bare-key object
of the document's Ruby examples) or the query string.
Importing this package registers the ilos webhook body with the core (``webhook.py``).
"""

from __future__ import annotations

from fastapi import FastAPI

from reelbase.core.runtime import Runtime
from reelbase.dialects.ilos import webhook
from reelbase.dialects.ilos.errors import ERRORS
from reelbase.dialects.ilos.opensearch import router as opensearch_router
from reelbase.dialects.ilos.pages import router as pages_router
from reelbase.dialects.ilos.player import router as player_router
from reelbase.dialects.ilos.tokens import router as tokens_router
from reelbase.dialects.ilos.videos import router as videos_router
from reelbase.edge.dialect_app import DialectInfo, create_dialect_app

INFO = DialectInfo("ilos", "1", "The ilos API over Reelbase. Pass `api_key` (a User or Organization key) as a parameter.")
ROUTERS = (tokens_router, videos_router, opensearch_router, pages_router, player_router)


def create_app(runtime: Runtime) -> FastAPI:
    webhook.register()
    return create_dialect_app(runtime, INFO, ERRORS, routers=ROUTERS)
