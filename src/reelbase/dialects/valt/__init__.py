"""The VALT dialect: VALT's API v3 upload of recordings (seed document 001) over the core.

Mounted at ``/compat/valt``, with the document's paths below it: ``POST /api/v3/records/create-upload``
(a record with one video) and ``POST /api/v3/records/{recordID}/videos/{videoID}`` (the video's
file, whole or in Content-Range chunks). Every request authenticates with ``?access_token=``: an
API key secret, or the token of ``POST /api/v3/login`` (email/password -> access token), which
is Reelbase's own: the document names an "API Authentication request" but does not describe it.
A client written for VALT works by changing its base URL to ``<public url>/compat/valt``.

Translation only: every operation is a core call; failures use VALT's body
``{"error": {"code", "message"}}`` (``errors.py``).
"""

from __future__ import annotations

from fastapi import FastAPI

from reelbase.core.runtime import Runtime
from reelbase.dialects.valt.errors import ERRORS
from reelbase.dialects.valt.records import router
from reelbase.edge.dialect_app import DialectInfo, create_dialect_app

INFO = DialectInfo("VALT", "3", "VALT API v3 upload of recordings over Reelbase. Authenticate every request with "
                  "`?access_token=<API key secret or the access_token of POST /api/v3/login>`.")
ROUTERS = (router,)


def create_app(runtime: Runtime) -> FastAPI:
    return create_dialect_app(runtime, INFO, ERRORS, routers=ROUTERS)
