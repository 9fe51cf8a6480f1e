"""The ilos webhook body, registered with the core's per-video callbacks under ``"ilos"``::

    {"token", "randtag", "videoURL", "embedURL", "iframe", "video_endpoint_extras"}

The core calls the formatter when the video is ready and delivers the result (retries, SSRF
guard); ``extras`` is what ``tokens.py`` stored with the callback (the token and the client's
``video_endpoint_extras``).
"""

from __future__ import annotations

from typing import Any

from reelbase.core.webhooks import register_payload_format
from reelbase.dialects.ilos import urls

FORMAT = "ilos"


def ilos_payload(video: Any, extras: dict[str, Any], public_url: str) -> dict[str, Any]:
    root = urls.base(public_url)
    embed = urls.embed(root, video.token)
    return {
        "token": extras.get("token"),
        "randtag": video.token,
        "videoURL": urls.view(root, video.token),
        "embedURL": embed,
        "iframe": urls.iframe(embed),
        "video_endpoint_extras": extras.get("video_endpoint_extras"),
    }


def register() -> None:
    register_payload_format(FORMAT, ilos_payload)


register()
