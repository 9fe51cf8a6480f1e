"""The ilos webhook body, registered with the core's per-video callbacks under ``"ilos"``::

    {"token", "randtag", "videoURL", "embedURL", "iframe", "video_endpoint_extras"}

The document promises "a POST ... after a video has been recorded and uploaded", one per video,
with links to view and embed it. The core calls the formatter at the video's :data:`EVENTS` and
delivers the result (retries, SSRF guard): when the video is ready, with the document's body
exactly; when it failed, with the same body plus the dialect's failure keys (``"worked": false,
"level": "error", "message"``, as ``errors.py`` answers a failed request), so a client that only
reads the document's fields still gets its POST and one that checks ``worked`` or ``level`` learns
the video will not play. ``extras`` is what ``tokens.py`` stored with the callback (the token and
the client's ``video_endpoint_extras``).
"""

from __future__ import annotations

from typing import Any

from reelbase.core.webhooks import register_payload_format
from reelbase.dialects.ilos import urls

FORMAT = "ilos"
EVENTS = ("video.ready", "video.failed")


def ilos_payload(video: Any, extras: dict[str, Any], public_url: str) -> dict[str, Any]:
    root = urls.base(public_url)
    embed = urls.embed(root, video.token)
    body: dict[str, Any] = {
        "token": extras.get("token"),
        "randtag": video.token,
        "videoURL": urls.view(root, video.token),
        "embedURL": embed,
        "iframe": urls.iframe(embed),
        "video_endpoint_extras": extras.get("video_endpoint_extras"),
    }
    if video.state == "failed":
        body.update(worked=False, level="error", message=video.state_message or "the video could not be processed")
    return body


def register() -> None:
    register_payload_format(FORMAT, ilos_payload)


register()
