"""Builds the ASGI application and mounts every surface."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from reelbase.api.errors import install_error_handlers
from reelbase.api.links import API_PREFIX
from reelbase.api.projects import router as projects_router
from reelbase.api.videos import router as videos_router
from reelbase.core.runtime import Runtime, build_runtime
from reelbase.settings import Settings


def create_app(runtime: Runtime | None = None, *, settings: Settings | None = None) -> FastAPI:
    runtime = runtime or build_runtime(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield

    app = FastAPI(
        title="Reelbase",
        version="0.1.0",
        description="Self-hosted video platform. Authenticate with `Authorization: Bearer <API key>`.",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(videos_router, prefix=API_PREFIX)
    app.include_router(projects_router, prefix=API_PREFIX)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    return app
