"""Request and response shapes of the native API (schema families per resource)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# The response shapes are shared with the other surfaces, so they live at the edge; importing them
# from here keeps the native API's schemas in one place to read.
from reelbase.edge.representations import (  # noqa: F401 - re-exported
    asset_public,
    iso,
    job_public,
    project_public,
    video_public,
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IngestOptions(Strict):
    ingest: Literal["full", "light"] = Field(default="full", description="light: metadata only, no thumbnails or ladder")
    defer_conversion: bool = Field(default=False, description="ingest now, build the ladder only when asked")
    sd_only: bool = Field(default=False, description="ladder rungs up to 480 only")
    mp4_only: bool = Field(default=False, description="progressive MP4 renditions only, no HLS/DASH")
    webm: bool = Field(default=False, description="also a VP9 WebM rendition")


class ConversionRequest(Strict):
    sd_only: bool = False
    mp4_only: bool = False
    webm: bool = False


class ThumbnailSelect(Strict):
    index: int = Field(ge=1, description="Thumbnail number (1..5) to make the default")


class VideoCreate(Strict):
    title: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=20_000)
    project: str | int | None = None
    template_fields: dict[str, Any] | None = None
    public: bool = False
    shared_user_ids: list[Any] | None = None
    shared_group_ids: list[Any] | None = None
    options: IngestOptions | None = None


class VideoUpdate(Strict):
    title: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=20_000)
    project: str | int | None = None
    template_fields: dict[str, Any] | None = None
    public: bool | None = None
    shared_user_ids: list[Any] | None = None
    shared_group_ids: list[Any] | None = None


class ProjectCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)


class ProjectUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)
