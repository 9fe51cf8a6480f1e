"""Native API: playback tokens, so a private video can be shared by link or embedded on another
site (``POST /api/v1/videos/{id}/playback-token``), and the signed ``/play/`` URLs a player on any
site can load (``GET /api/v1/videos/{id}/player-urls``; the README describes the scheme)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from reelbase.api.schemas import PlaybackToken, iso
from reelbase.edge.errors import error_responses
from reelbase.core.playback import MAX_VIEW_TOKEN_TTL, VIEW_TOKEN_TTL, issue_view_token, signed_player_media
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


class PlayerFile(BaseModel):
    label: str = Field(description="e.g. 480p")
    height: int | None
    type: str = Field(description="The media type, e.g. video/mp4")
    url: str


class PlayerUrls(BaseModel):
    video_id: str
    expires_at: str = Field(description="When every URL here stops working (at least 24 hours from now)")
    prefix: str = Field(description="The signed prefix all of them start with: {public_url}/play/{code}/{expires}/{signature}")
    hls: str | None = Field(description="The HLS master playlist (hls.js, Shaka, Safari, ExoPlayer...)")
    dash: str | None = Field(description="The DASH MPD (dash.js, Shaka...)")
    files: list[PlayerFile] = Field(description="Progressive MP4 renditions, by increasing height")
    poster: str | None
    storyboard: str | None = Field(description="Seek previews: a WebVTT file naming tiles of a sprite")


@router.get("/{video_id}/player-urls",
            summary="Signed, expiring URLs of the video's streams, for a player on any site (CORS)",
            response_model=PlayerUrls, responses=error_responses(401, 403, 429, 404, 409, 422))
def player_urls(video_id: str, db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict[str, Any]:
    signed = signed_player_media(db, principal, video_id, server_secret=runtime.secret_key)
    root = runtime.settings.public_url + signed.prefix
    media = signed.media
    return {
        "video_id": signed.video.uuid,
        "expires_at": iso(signed.expires_at),
        "prefix": root,
        "hls": f"{root}/{media.hls}" if media.hls else None,
        "dash": f"{root}/{media.dash}" if media.dash else None,
        "files": [{"label": f"{r.height}p" if r.height else r.label, "height": r.height,
                   "type": f"video/{r.container}", "url": f"{root}/{r.container}/{r.label}.{r.container}"}
                  for r in media.renditions],
        "poster": f"{root}/{media.poster}" if media.poster else None,
        "storyboard": f"{root}/{media.storyboard}" if media.storyboard else None,
    }
