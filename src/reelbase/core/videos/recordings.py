"""Recordings: a named folder (a project) created together with the video(s) that will receive
its files, as upload-first APIs (VALT's ``records/create-upload``) model them.

A recording is a project of the principal's team; its videos are the project's videos. Both ids
are the rows' UUIDs. Template fields and extra shares (user and group ids) go on the video, so
the native API and the other dialects see them. No tables of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.context import Principal
from reelbase.core.errors import InvalidInput, NotFound
from reelbase.core.videos.projects import add_project, change_project, get_project
from reelbase.core.runtime import Runtime
from reelbase.core.uploads.single import receive_range, receive_source
from reelbase.core.videos.catalog import add_video, change_video, find_video
from reelbase.db.models import Project, Video
from reelbase.settings import Settings
from reelbase.core.numbers import is_decimal

MAX_SHARES = 1000


@dataclass(frozen=True)
class Recording:
    id: str  # the project's UUID
    name: str
    video_ids: list[str]  # UUIDs, oldest first


@dataclass(frozen=True)
class RecordingChanges:
    """What an upload may change on its recording (None: left as it is)."""

    name: str | None = None
    template_fields: dict[str, Any] | None = None
    shared_user_ids: list[Any] | None = None
    shared_group_ids: list[Any] | None = None


def _check_ids(values: Any, *, field: str) -> list[int | str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple) or len(values) > MAX_SHARES:
        raise InvalidInput(f"{field} must be a list of at most {MAX_SHARES} ids", field=field)
    out: list[int | str] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | str) or (isinstance(value, str) and (
                not value.strip() or len(value) > 100)):
            raise InvalidInput(f"{field} holds an id that is not a number or a short string", field=field)
        out.append(int(value) if isinstance(value, str) and is_decimal(value.strip()) else value)
    return out


def recording_of(db: Session, project: Project) -> Recording:
    ids = db.scalars(select(Video.uuid).where(Video.project_id == project.id).order_by(Video.id))
    return Recording(id=project.uuid, name=project.name, video_ids=list(ids))


def create_recording(
    db: Session,
    principal: Principal,
    *,
    name: str,
    settings: Settings,
    template_fields: dict[str, Any] | None = None,
    shared_user_ids: list[Any] | None = None,
    shared_group_ids: list[Any] | None = None,
) -> Recording:
    """A new recording named ``name`` holding one video (state ``created``) that awaits its file,
    committed together."""
    project = add_project(db, principal, name=name)
    add_video(
        db, principal, settings=settings, title=project.name, project_ref=project.uuid,
        template_fields=template_fields,
        shared_user_ids=_check_ids(shared_user_ids, field="share.users"),
        shared_group_ids=_check_ids(shared_group_ids, field="share.groups"),
    )
    db.commit()
    return recording_of(db, project)


def find_recording(db: Session, principal: Principal, recording_ref: str) -> Project:
    try:
        return get_project(db, principal, recording_ref)
    except NotFound:
        raise NotFound(f"no record {recording_ref}", field="record") from None


def find_recording_video(db: Session, principal: Principal, recording_ref: str, video_ref: str) -> Video:
    """The video ``video_ref`` of recording ``recording_ref``; NotFound when either is unknown to
    the principal's team or the video belongs to another recording."""
    project = find_recording(db, principal, recording_ref)
    try:
        video = find_video(db, principal, video_ref)
    except NotFound:
        video = None
    if video is None or video.project_id != project.id:
        raise NotFound(f"record {project.uuid} has no video {video_ref}", field="video")
    return video


def update_recording(
    db: Session,
    principal: Principal,
    video: Video,
    *,
    name: str | None = None,
    template_fields: dict[str, Any] | None = None,
    shared_user_ids: list[Any] | None = None,
    shared_group_ids: list[Any] | None = None,
) -> Video:
    """Change what was given (None leaves a value as it is): the recording's name (and the
    video's title with it), the video's template fields and extra shares; committed once."""
    changes: dict[str, Any] = {}
    if name is not None and video.project_id is not None:
        project = db.get_one(Project, video.project_id)
        change_project(db, project, {"name": name})
        changes["title"] = project.name
    if template_fields is not None:
        changes["template_fields"] = {**video.template_fields, **template_fields}
    if shared_user_ids is not None:
        changes["shared_user_ids"] = _check_ids(shared_user_ids, field="share.users")
    if shared_group_ids is not None:
        changes["shared_group_ids"] = _check_ids(shared_group_ids, field="share.groups")
    if changes:
        change_video(db, principal, video, changes)
    db.commit()
    return video


def receive_recording_file(
    runtime: Runtime,
    principal: Principal,
    *,
    recording_ref: str,
    video_ref: str,
    chunks: Iterable[bytes],
    filename: str | None,
    content_type: str | None,
    span: tuple[int, int, int] | None = None,
    declared_length: int | None = None,
    changes: RecordingChanges | None = None,
    changes_after: Callable[[], RecordingChanges | None] | None = None,
) -> int | None:
    """Store the file of a recording's video: the whole file, or the Content-Range chunk
    ``span`` (start, inclusive end, total). ``changes`` the request carried before its file are
    committed first (refused before any byte is stored when invalid), so they stand even while
    chunks are still missing; ``changes_after`` is asked once the bytes are stored, for what
    arrived after the file (a form's trailing fields), and committed then. Returns the stored
    offset while chunks are missing, None once the file is complete. Runs in a worker thread."""
    video_uuid = find_video_uuid(runtime, principal, recording_ref, video_ref)
    _change_recording(runtime, principal, recording_ref, video_uuid, changes)
    offset = None
    if span is None:
        receive_source(runtime, principal, video_uuid, chunks=chunks, filename=filename, content_type=content_type,
                       declared_length=declared_length)
    else:
        start, end, total = span
        status = receive_range(runtime, principal, video_ref=video_uuid, start=start, end=end, total=total,
                               chunks=chunks, filename=filename, content_type=content_type)
        offset = None if status.complete else status.offset
    if changes_after is not None:
        _change_recording(runtime, principal, recording_ref, video_uuid, changes_after())
    return offset


def _change_recording(runtime: Runtime, principal: Principal, recording_ref: str, video_uuid: str,
                      changes: RecordingChanges | None) -> None:
    if changes is None:
        return
    with runtime.session() as db:
        video = find_recording_video(db, principal, recording_ref, video_uuid)
        update_recording(db, principal, video, name=changes.name, template_fields=changes.template_fields,
                         shared_user_ids=changes.shared_user_ids, shared_group_ids=changes.shared_group_ids)


def find_video_uuid(runtime: Runtime, principal: Principal, recording_ref: str, video_ref: str) -> str:
    """The UUID of the recording's video (NotFound as :func:`find_recording_video`)."""
    with runtime.session() as db:
        return find_recording_video(db, principal, recording_ref, video_ref).uuid
