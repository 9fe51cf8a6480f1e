"""The media tools and limits of this process, from settings (media/ never reads settings)."""

from __future__ import annotations

from functools import lru_cache

from reelbase.media.tools import Limits, Tools, find_tools
from reelbase.settings import Settings


@lru_cache(maxsize=8)
def _tools(ffmpeg: str | None, ffprobe: str | None) -> Tools:
    return find_tools(ffmpeg, ffprobe)


def tools_for(settings: Settings) -> Tools:
    return _tools(settings.ffmpeg, settings.ffprobe)


def limits_for(settings: Settings) -> Limits:
    return Limits(
        max_width=settings.max_width,
        max_height=settings.max_height,
        max_duration_s=settings.max_duration_seconds,
        step_timeout_s=settings.media_step_timeout_seconds,
    )
