"""Native API: one-time tokens for the uploader and recorder pages.

``POST /api/v1/upload-tokens`` (API key, or a signed-in browser's cookie plus ``X-CSRF-Token``)
makes a token for one new video whose settings are chosen now (title, visibility, folder,
completion callback) and answers with the page to open: ``uploader_url`` for kind ``upload``,
``recorder_url`` for kind ``record``. The page may sit in an iframe on another site; whoever
holds the URL may upload until ``expires_at`` (an uploader page may add several files, each a
video of the same series). See :mod:`reelbase.core.uploads.page_tokens`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator

from reelbase.api.schemas import UploadTokenPublic, iso
from reelbase.edge.errors import error_responses
from reelbase.core import uploads as core_uploads
from reelbase.core.errors import InvalidInput
from reelbase.core.runtime import Runtime
from reelbase.core.uploads import Callback, MAX_EXPIRES_IN, UploadToken
from reelbase.core.webhooks import check_webhook_url
from reelbase.edge.deps import PrincipalDep, RuntimeDep

router = APIRouter(tags=["upload tokens"])

MIN_LIFETIME = 60


class TokenOptions(BaseModel):
    """How the recorder page behaves (ignored by the uploader page)."""

    model_config = ConfigDict(extra="forbid")
    webcam_only: bool = Field(default=False, description="Record the webcam only (no screen choice)")
    request_video_title: bool = Field(default=False, description="Ask the person for a title before uploading")
    auto_close_recorder: bool = Field(default=False, description="After one recording, no 'record another'")


class UploadTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["upload", "record"] = Field(description="'upload' for the uploader page, 'record' for the recorder")
    title: str | None = Field(default=None, max_length=500, description="The video's title (fixed: pages keep it)")
    public: bool | None = Field(default=None, description="Visibility; the team's default when absent")
    folder: str | None = Field(default=None, max_length=200, description="Folder (project) name, created if missing")
    callback_url: str | None = Field(default=None, max_length=2000, description="POSTed the video.ready event")
    options: TokenOptions = Field(default_factory=TokenOptions)
    lifetime_seconds: int = Field(default=core_uploads.DEFAULT_TOKEN_LIFETIME, ge=MIN_LIFETIME, le=MAX_EXPIRES_IN,
                                  description="How long the token stays usable")

    @field_validator("title", "folder")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        return value or None

    @field_validator("callback_url")
    @classmethod
    def _callback(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check_webhook_url(value.strip())
        except InvalidInput as exc:
            raise ValueError(exc.message.replace("webhook url", "callback_url")) from None


def page_url(runtime: Runtime, token: UploadToken) -> str:
    page = "uploader" if token.kind == "upload" else "recorder"
    return f"{runtime.settings.public_url}/embed/{page}/{quote(token.token)}"


# The answer names the page of its kind only (uploader_url or recorder_url): exclude_unset keeps
# the other key out rather than sending it as null.
@router.post("/upload-tokens", status_code=201, summary="A one-time token for the uploader or recorder page",
             response_model=UploadTokenPublic, response_model_exclude_unset=True,
             responses=error_responses(400, 401, 403, 429, 422))
async def create_upload_token(body: UploadTokenCreate, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    callback = Callback(url=body.callback_url, format="", extras={}) if body.callback_url else None
    made = await run_in_threadpool(
        core_uploads.create_upload_token, runtime, principal, kind=body.kind, title=body.title, public=body.public,
        folder=body.folder, callback=callback, options=body.options.model_dump(), lifetime=body.lifetime_seconds,
    )
    expires = iso(dt.datetime.fromtimestamp(made.expires, dt.UTC))
    url_key = "uploader_url" if made.kind == "upload" else "recorder_url"
    return {"token": made.token, "kind": made.kind, "expires_at": expires, url_key: page_url(runtime, made),
            "video_id": made.video_uuid, "options": made.options}
