"""The pages people use: dashboard, sign-in, player and embed, uploader and recorder.

Pages are a surface like the API: they call the core and render templates; the browser side
talks to the native API (``/api/v1``) with the session cookie and a CSRF header, and uploads
over tus. Front-end libraries (Uppy, hls.js) come from npm at set-up time and are served from
``/static/vendor/``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from reelbase.web import auth, dashboard, player, recorder, uploader
from reelbase.web.auth import SignInRequired, sign_in_redirect
from reelbase.web.render import STATIC_DIR


def mount_web(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, sign_in_redirect)  # type: ignore[arg-type]
    for module in (auth, dashboard, player, uploader, recorder):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
