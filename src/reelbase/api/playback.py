"""Native API: playback tokens, so a private video can be shared by link or embedded on another
site (``POST /api/v1/videos/{id}/playback-token``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from reelbase.api.schemas import PlaybackToken, iso
from reelbase.edge.errors import error_responses
from reelbase.core.playback import MAX_VIEW_TOKEN_TTL, VIEW_TOKEN_TTL, issue_view_token
from reelbase.edge.deps import DbDep, PrincipalDep, RuntimeDep

router = APIRouter(prefix="/videos", tags=["videos"])


class PlaybackTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ttl_seconds: int = Field(default=VIEW_TOKEN_TTL, ge=60, le=MAX_VIEW_TOKEN_TTL,
                             description="How long the token (and links carrying it) stay valid")


@router.post("/{video_id}/playback-token",
             summary="A signed, expiring token that lets anyone with the link watch this (private) video",
             response_model=PlaybackToken, responses=error_responses(400, 401, 403, 429, 404, 422))
def create_playback_token(video_id: str, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep,
                          body: PlaybackTokenRequest | None = None) -> dict[str, Any]:
    ttl = (body or PlaybackTokenRequest()).ttl_seconds
    issued = issue_view_token(db, principal, video_id, server_secret=runtime.secret_key, ttl_s=ttl)
    root = runtime.settings.public_url
    code = issued.video.token
    return {
        "video_id": issued.video.uuid,
        "token": issued.token,
        "expires_at": iso(issued.expires_at),
        "view_url": f"{root}/view/{code}?t={issued.token}",
        "embed_url": f"{root}/embed/{code}?t={issued.token}",
    }
