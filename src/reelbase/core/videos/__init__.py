"""Videos: the catalog (create, find, list, update, delete), the one state machine, projects, recordings, thumbnails, conversions, processing and stored assets.

Surfaces import this package only (``from reelbase.core import videos``); the modules
inside it import each other directly. Names load on first use, so importing the facade
costs nothing and adds no import cycle between families."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reelbase.core.facade import lazy_exports

if TYPE_CHECKING:
    from reelbase.core.videos.catalog import DEFAULT_PER_PAGE, MAX_PER_PAGE, Show, count_team_videos, create_video, delete_video, delete_videos, find_video, list_video_codes, list_videos, team_stored_bytes, update_video, video_family
    from reelbase.core.videos.conversions import request_conversion
    from reelbase.core.videos.processing import request_processing
    from reelbase.core.videos.projects import count_project_videos, count_projects_videos, create_project, delete_project, get_project, list_projects, update_project
    from reelbase.core.videos.recordings import Recording, RecordingChanges, create_recording, find_recording, find_recording_video, find_video_uuid, receive_recording_file, recording_of
    from reelbase.core.videos.status import Stage, UploadStage, VideoRefs, VideoStages, ingest_stage, processing_spec, processing_stage, upload_stage, video_refs, video_stages
    from reelbase.core.videos.thumbnails import MIN_HEIGHT, select_default_thumbnail, thumbnail_assets, thumbnail_at_height

_EXPORTS = {
    "catalog": ("DEFAULT_PER_PAGE", "MAX_PER_PAGE", "Show", "count_team_videos", "create_video", "delete_video", "delete_videos", "find_video", "list_video_codes", "list_videos", "team_stored_bytes", "update_video", "video_family"),
    "conversions": ("request_conversion",),
    "processing": ("request_processing",),
    "projects": ("count_project_videos", "count_projects_videos", "create_project", "delete_project", "get_project", "list_projects", "update_project"),
    "recordings": ("Recording", "RecordingChanges", "create_recording", "find_recording", "find_recording_video", "find_video_uuid", "receive_recording_file", "recording_of"),
    "status": ("Stage", "UploadStage", "VideoRefs", "VideoStages", "ingest_stage", "processing_spec", "processing_stage", "upload_stage", "video_refs", "video_stages"),
    "thumbnails": ("MIN_HEIGHT", "select_default_thumbnail", "thumbnail_assets", "thumbnail_at_height"),
}

__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
