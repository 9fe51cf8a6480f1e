"""The five seed APIs, each a thin dialect over the core, mounted under /compat/<name>.

Each dialect package exposes ``create_app(runtime) -> FastAPI``: a sub-application with its own
paths, auth, error bodies and OpenAPI document. Dialects translate and nothing else: they import
``reelbase.core`` (its families through their facades) and ``reelbase.edge`` (request
dependencies, body reading, file responses, the sub-app builder), never db, storage, jobs, media,
net or another surface (checked by tests/test_layering.py).
"""

from __future__ import annotations

import importlib
import re

from fastapi import FastAPI
from starlette.routing import Mount

from reelbase.core.runtime import Runtime

# name -> module; each module has create_app(runtime). A dialect is listed once it exists.
DIALECTS: dict[str, str] = {
    "ilos": "reelbase.dialects.ilos",
    "integros": "reelbase.dialects.integros",
    "pixop": "reelbase.dialects.pixop",
    "sparevideos": "reelbase.dialects.sparevideos",
    "valt": "reelbase.dialects.valt",
}


def mount_dialects(app: FastAPI, runtime: Runtime) -> None:
    for name, module in DIALECTS.items():
        sub = importlib.import_module(module).create_app(runtime)
        sub.state.runtime = runtime
        app.mount(f"/compat/{name}", sub)
        # Everything under the prefix is the dialect's to answer, a path holding a decoded
        # newline too: without DOTALL the mount would not match it and the native 404 would.
        mount = app.router.routes[-1]
        assert isinstance(mount, Mount)
        mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
