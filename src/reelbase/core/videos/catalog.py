"""Videos: create, find, list, update, delete. Every lookup is scoped to the principal's team;
another team's video is reported as absent (NotFound), never as forbidden.

``create_video``, ``update_video``, ``delete_video`` and ``delete_videos`` are whole operations
that commit once; ``add_video``, ``change_video`` and ``drop_video`` are the same steps for core
operations that compose them with others (they do not commit)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload, raiseload, selectinload

from reelbase.core.auth.accounts import team_limits
from reelbase.core.context import Principal
from reelbase.core.errors import Conflict, InvalidInput, NotFound, QuotaExceeded
from reelbase.core.videos.projects import get_project
from reelbase.core.videos.state import REUPLOADABLE
from reelbase.db.models import MediaAsset, Team, User, Video, VideoState
from reelbase.settings import Settings
from reelbase.storage.base import BlobStore
from reelbase.core.numbers import page_offset, row_id

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30
MAX_TEMPLATE_FIELDS = 100


class Show(enum.Flag):
    """What a read loads with each video, in the same round trip (or one more for a whole page).

    A video's representations read more than its row: the native one its project, parent and
    files, SpareVideos' its files, Pixop's its project, parent, user and team. A read names what
    its answer shows (``Show.REFS | Show.FILES``) and gets it loaded with the videos; anything
    else it touches raises (``raiseload``) instead of costing a round trip per video, so a
    renderer that starts reading more is caught by the tests, not in production as a slow list.
    Each part costs a join for every row, so a read names only what it shows. A lookup that
    names no ``Show`` (the writes, the stream files) loads the row alone, and whatever it then
    touches on first use."""

    ROW = 0  # the video's own columns only (Integros, ilos)
    REFS = enum.auto()  # the project and the parent (a processed video's source) it names
    OWNERS = enum.auto()  # the user and the team it belongs to (their ids only)
    FILES = enum.auto()  # its stored files: joined for one video, one more statement for a page


def _options(show: Show, *, page: bool) -> tuple[Any, ...]:
    options: list[Any] = []
    if Show.REFS in show:
        # The parent whole: a processed video's answer reads its source's probe.
        options += [joinedload(Video.project), joinedload(Video.parent)]
    if Show.OWNERS in show:
        options += [joinedload(Video.user).load_only(User.uuid), joinedload(Video.team).load_only(Team.uuid)]
    if Show.FILES in show:
        # One video's files come in its statement (a row per file); a page's in one more
        # statement, rather than the page's rows multiplied by their files.
        options.append(selectinload(Video.assets) if page else joinedload(Video.assets))
    return (*options, raiseload("*"))


# Built once: a read's options are the same objects every time (SQLAlchemy caches the SQL by them).
_ONE = {show: _options(show, page=False) for show in (Show(bits) for bits in range(8))}
_PAGE = {show: _options(show, page=True) for show in _ONE}


def _first(db: Session, query: Select[tuple[Video]]) -> Video | None:
    # unique(): a video whose files are joined comes as one row per file; all of them are read,
    # so its collection of files is whole.
    found = db.execute(query).unique().scalars().all()
    return found[0] if found else None


@dataclass(frozen=True)
class VideoPage:
    items: list[Video]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _check_text(value: str | None, *, field: str, limit: int) -> str:
    value = value or ""
    if len(value) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters", field=field)
    if "\x00" in value:
        raise InvalidInput(f"{field} contains a NUL character", field=field)
    return value


def _check_template_fields(fields: dict[str, Any] | None) -> dict[str, Any]:
    fields = dict(fields or {})
    if len(fields) > MAX_TEMPLATE_FIELDS:
        raise InvalidInput("too many template fields", field="template_fields")
    for key, value in fields.items():
        if not isinstance(key, str) or not key or len(key) > 100:
            raise InvalidInput("template field names must be 1-100 characters", field="template_fields")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise InvalidInput(f"template field {key!r} must be a scalar", field="template_fields")
    return fields


def count_team_videos(db: Session, team_id: int) -> int:
    return db.scalar(select(func.count()).select_from(Video).where(Video.team_id == team_id)) or 0


def team_stored_bytes(db: Session, team_id: int) -> int:
    query = (
        select(func.coalesce(func.sum(MediaAsset.size_bytes), 0))
        .join(Video, MediaAsset.video_id == Video.id)
        .where(Video.team_id == team_id)
    )
    return int(db.scalar(query) or 0)


def add_video(
    db: Session,
    principal: Principal,
    *,
    settings: Settings,
    title: str | None = None,
    description: str | None = None,
    project_ref: str | int | None = None,
    template_fields: dict[str, Any] | None = None,
    public: bool = False,
    shared_user_ids: list[Any] | None = None,
    shared_group_ids: list[Any] | None = None,
    original_filename: str | None = None,
    options: dict[str, Any] | None = None,
    parent: Video | None = None,
) -> Video:
    """A new video in state ``created``, owned by the principal's team (and user, for user keys);
    flushed, not committed."""
    limit = team_limits(settings, principal.team).quota_videos
    if count_team_videos(db, principal.team_id) >= limit:
        raise QuotaExceeded(
            f"video count limit reached: quota_videos is {limit}", limit="quota_videos", value=limit
        )
    project_id = None
    if project_ref not in (None, ""):
        project_id = get_project(db, principal, project_ref).id
    video = Video(
        team_id=principal.team_id,
        user_id=principal.acting_user_id,
        project_id=project_id,
        parent_id=parent.id if parent else None,
        title=_check_text(title, field="title", limit=500),
        description=_check_text(description, field="description", limit=20_000),
        original_filename=original_filename,
        template_fields=_check_template_fields(template_fields),
        shared_user_ids=list(shared_user_ids or []),
        shared_group_ids=list(shared_group_ids or []),
        public=bool(public),
        options=dict(options or {}),
    )
    db.add(video)
    db.flush()
    return video


def create_video(db: Session, principal: Principal, *, settings: Settings, **fields: Any) -> Video:
    """:func:`add_video` as a whole operation: the new video is committed."""
    video = add_video(db, principal, settings=settings, **fields)
    db.commit()
    return video


def lookup_video(db: Session, ref: str, *, team_id: int | None, show: Show | None = None) -> Video | None:
    """The one lookup of a video by the name a request gives it, or None (each caller raises
    its own NotFound, whose message its surface has always shown). ``show``: what is loaded
    with it (:class:`Show`).

    Within a team (``team_id``) a video is named by its token, UUID or numeric id. Across teams
    (``team_id`` None: links, players, public thumbnails) only by its token, the name that is
    meant to be handed out. ``ref`` is matched as given: callers strip, lower-case and check its
    shape as their URLs require, so a malformed name costs no query.
    """
    if "\x00" in ref:  # no name holds one, and PostgreSQL would refuse to compare it
        return None
    query = select(Video) if show is None else select(Video).options(*_ONE[show])
    if team_id is None:
        return _first(db, query.where(Video.token == ref))
    cond = [Video.uuid == ref, Video.token == ref]
    if (number := row_id(ref)) is not None:
        cond.append(Video.id == number)
    return _first(db, query.where(or_(*cond), Video.team_id == team_id))


def find_video(db: Session, principal: Principal, ref: str | int, *, show: Show | None = None) -> Video:
    """Look a video up by numeric id, UUID or 16-hex token, within the principal's team
    (``show``: see :func:`lookup_video`)."""
    ref = str(ref).strip()
    video = lookup_video(db, ref, team_id=principal.team_id, show=show)
    if video is None:
        raise NotFound(f"no video {ref}")
    return video


def list_videos(
    db: Session,
    principal: Principal,
    *,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    project_ref: str | int | None = None,
    state: str | None = None,
    q: str | None = None,
    parent: Video | None = None,
    show: Show | None = None,
) -> VideoPage:
    """Newest first; ``q`` matches every word in the title or description (case-insensitive);
    ``state`` is one state or a comma-separated list of states. ``show``: what is loaded with
    the page's videos (:class:`Show`): a constant number of statements, whatever the page's size."""
    if page < 1:
        raise InvalidInput("page must be 1 or more", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"per_page must be between 1 and {MAX_PER_PAGE}", field="per_page")
    query = select(Video).where(Video.team_id == principal.team_id)
    if project_ref not in (None, ""):
        query = query.where(Video.project_id == get_project(db, principal, project_ref).id)
    if state:  # one state, or several separated by commas ("uploading,ingesting,transcoding")
        wanted = [s.strip() for s in state.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in {v.value for v in VideoState}]
        if unknown or not wanted:
            raise InvalidInput(f"unknown state {(unknown or [state])[0]!r}", field="state")
        query = query.where(Video.state.in_(wanted))
    if parent is not None:
        query = query.where(Video.parent_id == parent.id)
    if "\x00" in (q or ""):  # no title or description holds one (they are checked on the way in)
        return VideoPage(items=[], total=0, page=page, per_page=per_page)
    for word in (q or "").split()[:10]:
        pattern = "%" + word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                func.lower(Video.title).like(pattern, escape="\\"),
                func.lower(Video.description).like(pattern, escape="\\"),
            )
        )
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    offset = page_offset(page, per_page, total)
    query = query if show is None else query.options(*_PAGE[show])
    rows = [] if offset is None else db.scalars(
        query.order_by(Video.created_at.desc(), Video.id.desc()).offset(offset).limit(per_page))
    return VideoPage(items=list(rows), total=total, page=page, per_page=per_page)


def change_video(db: Session, principal: Principal, video: Video, changes: dict[str, Any]) -> Video:
    """Apply a partial update without committing; only the listed fields may change."""
    for name, value in changes.items():
        if name == "title":
            video.title = _check_text(value, field="title", limit=500)
        elif name == "description":
            video.description = _check_text(value, field="description", limit=20_000)
        elif name == "public":
            video.public = bool(value)
        elif name == "template_fields":
            video.template_fields = _check_template_fields(value)
        elif name == "project":
            video.project_id = get_project(db, principal, value).id if value not in (None, "") else None
        elif name == "shared_user_ids":
            video.shared_user_ids = list(value or [])
        elif name == "shared_group_ids":
            video.shared_group_ids = list(value or [])
        else:
            raise InvalidInput(f"unknown field {name!r}", field=name)
    video.updated_at = dt.datetime.now(dt.UTC)
    return video


def update_video(db: Session, principal: Principal, video: Video, changes: dict[str, Any]) -> Video:
    """:func:`change_video`, committed."""
    change_video(db, principal, video, changes)
    db.commit()
    return video


def _descendants(db: Session, video: Video) -> list[Video]:
    found: list[Video] = []
    frontier = [video.id]
    while frontier:
        children = list(db.scalars(select(Video).where(Video.parent_id.in_(frontier))))
        found.extend(children)
        frontier = [c.id for c in children]
    return found


def video_family(db: Session, video: Video) -> list[Video]:
    """The video followed by every video derived from it (children, grandchildren, ...): what
    :func:`drop_video` deletes."""
    return [video, *_descendants(db, video)]


INGEST_MODES = ("full", "light")


def set_ingest_mode(db: Session, video: Video, mode: str) -> Video:
    """Choose how the next upload of the video is ingested: ``full`` (metadata, thumbnails,
    quality, ladder) or ``light`` (metadata only). Only before the video has a source."""
    if mode not in INGEST_MODES:
        raise InvalidInput(f"ingest mode must be one of {', '.join(INGEST_MODES)}", field="ingest")
    if video.state not in REUPLOADABLE:
        raise Conflict(f"video {video.uuid} already has a source (state {video.state})")
    if video.options.get("ingest", "full") != mode:
        video.options = {**video.options, "ingest": mode}
    return video


def video_prefix(video: Video) -> str:
    return f"videos/{video.uuid}/"


def drop_video(db: Session, principal: Principal, video: Video) -> list[str]:
    """Delete the rows of a video, its derived videos and all their rows, without committing;
    returns the storage prefixes to remove *after* the commit (so a failed commit never loses
    stored objects)."""
    family = [video, *_descendants(db, video)]
    prefixes = [video_prefix(v) for v in family]
    for v in reversed(family):  # deepest first, one at a time: children before their parent
        db.delete(v)
        db.flush()
    return prefixes


def remove_stored(store: BlobStore, prefixes: list[str]) -> None:
    for prefix in prefixes:
        store.delete_prefix(prefix)


def delete_video(db: Session, principal: Principal, video: Video, *, store: BlobStore) -> None:
    """Delete a video and every video derived from it: rows committed first, stored objects
    removed after."""
    prefixes = drop_video(db, principal, video)
    db.commit()
    remove_stored(store, prefixes)


MAX_CODES_PER_PAGE = 5000


def list_video_codes(db: Session, principal: Principal, *, page: int, per_page: int) -> tuple[list[str], int]:
    """One page of the team's video codes (tokens), oldest first (stable while videos are
    added), and the total count."""
    if page < 1:
        raise InvalidInput("page must be 1 or more", field="page")
    if not 1 <= per_page <= MAX_CODES_PER_PAGE:
        raise InvalidInput(f"per_page must be between 1 and {MAX_CODES_PER_PAGE}", field="per_page")
    where = Video.team_id == principal.team_id
    total = db.scalar(select(func.count()).select_from(Video).where(where)) or 0
    offset = page_offset(page, per_page, total)
    rows = [] if offset is None else db.scalars(
        select(Video.token).where(where).order_by(Video.created_at, Video.id).offset(offset).limit(per_page))
    return list(rows), total


def delete_videos(db: Session, principal: Principal, refs: list[str], *, store: BlobStore) -> None:
    """Delete several videos at once, all or none: every ref must be the team's (else NotFound
    before anything is deleted). A video already deleted as another's derived video is skipped.
    One commit for all, then their stored objects are removed (see :func:`delete_video`)."""
    videos = [find_video(db, principal, ref) for ref in dict.fromkeys(refs)]
    gone: set[int] = set()
    prefixes: list[str] = []
    for video in videos:
        if video.id in gone:
            continue
        gone.update(v.id for v in video_family(db, video))
        prefixes += drop_video(db, principal, video)
    db.commit()
    remove_stored(store, prefixes)
