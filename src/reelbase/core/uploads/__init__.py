"""Uploads: the one engine every protocol uses (sessions, locks, staged bytes, completion), single and chunked bodies, upload by URL, signed upload URLs, page tokens, and the rules a source must meet.

Surfaces import this package only (``from reelbase.core import uploads``); the modules
inside it import each other directly. Names load on first use, so importing the facade
costs nothing and adds no import cycle between families."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reelbase.core.facade import lazy_exports

if TYPE_CHECKING:
    from reelbase.core.uploads.by_url import start_signed_url_import, start_url_import
    from reelbase.core.uploads.chunks import ChunkPlan, has_chunk, open_chunked_upload, put_chunk
    from reelbase.core.uploads.ending import terminate_upload
    from reelbase.core.uploads.engine import Actor, UploadGrant, UploadState, UploadStatus, create_upload, get_upload, upload_status, write_chunk
    from reelbase.core.uploads.io import CHECKSUM_ALGORITHMS, Checksum, OffsetMismatch
    from reelbase.core.uploads.page_tokens import Callback, DEFAULT_TOKEN_LIFETIME, MAX_SERIES, UploadSlot, UploadToken, create_upload_token, next_recording_token, recorder_slot, reserve_upload_slot, upload_with_token, verify_series_token, verify_upload_token
    from reelbase.core.uploads.signed import DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, claim_signed_upload, create_signed_upload, verify_signed_upload
    from reelbase.core.uploads.single import parse_content_range, receive_range, receive_signed_source, receive_source
    from reelbase.core.uploads.sources import team_upload_limit
    from reelbase.core.uploads.video_urls import create_video_upload_url, verify_video_upload_url

_EXPORTS = {
    "by_url": ("start_signed_url_import", "start_url_import"),
    "chunks": ("ChunkPlan", "has_chunk", "open_chunked_upload", "put_chunk"),
    "ending": ("terminate_upload",),
    "engine": ("Actor", "UploadGrant", "UploadState", "UploadStatus", "create_upload", "get_upload", "upload_status", "write_chunk"),
    "io": ("CHECKSUM_ALGORITHMS", "Checksum", "OffsetMismatch"),
    "page_tokens": ("Callback", "DEFAULT_TOKEN_LIFETIME", "MAX_SERIES", "UploadSlot", "UploadToken", "create_upload_token", "next_recording_token", "recorder_slot", "reserve_upload_slot", "upload_with_token", "verify_series_token", "verify_upload_token"),
    "signed": ("DEFAULT_EXPIRES_IN", "MAX_EXPIRES_IN", "claim_signed_upload", "create_signed_upload", "verify_signed_upload"),
    "single": ("parse_content_range", "receive_range", "receive_signed_source", "receive_source"),
    "sources": ("team_upload_limit",),
    "video_urls": ("create_video_upload_url", "verify_video_upload_url"),
}

__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
