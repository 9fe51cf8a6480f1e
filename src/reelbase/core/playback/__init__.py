"""Playback: what a player, an <img> tag or a download may fetch, under signed stream prefixes, view tokens and shared links.

Surfaces import this package only (``from reelbase.core import playback``); the modules
inside it import each other directly. Names load on first use, so importing the facade
costs nothing and adds no import cycle between families."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reelbase.core.facade import lazy_exports

if TYPE_CHECKING:
    from reelbase.core.playback.delivery import DAY, ENTRY, GROWING, IMMUTABLE, PLAYLIST, STALE
    from reelbase.core.playback.downloads import Download, asset_download, original_download, parse_range, processed_download, stream_download, stream_file_download
    from reelbase.core.playback.origins import OriginNotAllowed, playback_origin
    from reelbase.core.playback.shared_links import check_link_access, find_linked_video, playable_download
    from reelbase.core.playback.streams import find_public_video, is_converted, known_stream_file, signed_prefix, signed_stream_download, signed_stream_file, stream_files, verify_playback
    from reelbase.core.playback.viewers import MAX_VIEW_TOKEN_TTL, PrivateVideo, SignedMedia, VIEW_TOKEN_TTL, ViewTokenRefused, check_watch_access, find_player_video, issue_view_token, player_media, signed_player_media

_EXPORTS = {
    "delivery": ("DAY", "ENTRY", "GROWING", "IMMUTABLE", "PLAYLIST", "STALE"),
    "downloads": ("Download", "asset_download", "original_download", "parse_range", "processed_download", "stream_download", "stream_file_download"),
    "origins": ("OriginNotAllowed", "playback_origin"),
    "shared_links": ("check_link_access", "find_linked_video", "playable_download"),
    "streams": ("find_public_video", "is_converted", "known_stream_file", "signed_prefix", "signed_stream_download", "signed_stream_file", "stream_files", "verify_playback"),
    "viewers": ("MAX_VIEW_TOKEN_TTL", "PrivateVideo", "SignedMedia", "VIEW_TOKEN_TTL", "ViewTokenRefused", "check_watch_access", "find_player_video", "issue_view_token", "player_media", "signed_player_media"),
}

__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
