"""Builds the ASGI application and mounts every surface."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from reelbase.api.keys import router as keys_router
from reelbase.api.playback import router as playback_router
from reelbase.api.projects import router as projects_router
from reelbase.api.upload_tokens import router as upload_tokens_router
from reelbase.api.videos import router as videos_router
from reelbase.api.webhooks import router as webhooks_router
from reelbase.core.runtime import Runtime, build_runtime
from reelbase.dialects import mount_dialects
from reelbase.edge.errors import install_error_handlers, unexpected_error_response
from reelbase.edge.request_ids import RequestIdMiddleware
from reelbase.edge.links import API_PREFIX
from reelbase.jobs.queue import JobQueue
from reelbase.settings import Settings
from reelbase.uploads.protocols.routes import UploadsCORS
from reelbase.uploads.protocols.routes import router as uploads_router
from reelbase.web import mount_web


def create_app(runtime: Runtime | None = None, *, settings: Settings | None = None) -> FastAPI:
    runtime = runtime or build_runtime(settings or Settings())

    queue = JobQueue(runtime)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        queue.start_workers(runtime.settings.workers)
        try:
            yield
        finally:
            queue.stop()

    app = FastAPI(
        title="Reelbase",
        version="0.1.0",
        description="Self-hosted video platform. Authenticate with `Authorization: Bearer <API key>`.",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    app.state.queue = queue
    install_error_handlers(app)
    app.include_router(videos_router, prefix=API_PREFIX)
    app.include_router(playback_router, prefix=API_PREFIX)
    app.include_router(projects_router, prefix=API_PREFIX)
    app.include_router(webhooks_router, prefix=API_PREFIX)
    app.include_router(keys_router, prefix=API_PREFIX)
    app.include_router(upload_tokens_router, prefix=API_PREFIX)
    # uploads: tus, ResumableJS, signed URLs, by URL; CORS for browser uploaders
    app.include_router(uploads_router, prefix=API_PREFIX)
    app.add_middleware(UploadsCORS, prefix=API_PREFIX + "/uploads")

    mount_dialects(app, runtime)
    # the pages people use: dashboard, player/embed, uploader, recorder
    mount_web(app)
    # outermost of ours, so every answer (a dialect's, a page's, an upload's) carries the id
    app.add_middleware(RequestIdMiddleware, unexpected=unexpected_error_response)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    return app
