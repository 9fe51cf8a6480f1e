"""Projects (folders of videos), scoped to a team.

``create_project``, ``update_project`` and ``delete_project`` are whole operations: each commits
its transaction once. ``add_project`` and ``change_project`` are their parts for core operations
that make or rename a project among other steps (they do not commit)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from reelbase.core.context import Principal
from reelbase.core.errors import Conflict, InvalidInput, NotFound
from reelbase.db.models import Project, Video, utcnow
from reelbase.core.numbers import page_offset, row_id


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("name is required", field="name")
    if len(name) > 200 or "\x00" in name:
        raise InvalidInput("name must be at most 200 characters, without NUL", field="name")
    return name.strip()


def add_project(db: Session, principal: Principal, *, name: str, description: str = "") -> Project:
    """A new project in the principal's team, flushed, not committed."""
    project = Project(team_id=principal.team_id, name=_check_name(name), description=description or "")
    db.add(project)
    db.flush()
    return project


def create_project(db: Session, principal: Principal, *, name: str, description: str = "") -> Project:
    project = add_project(db, principal, name=name, description=description)
    db.commit()
    return project


def get_project(db: Session, principal: Principal, ref: str | int) -> Project:
    ref = str(ref).strip()
    if "\x00" in ref:  # no name holds one, and PostgreSQL would refuse to compare it
        raise NotFound("no such project", field="project")
    cond = [Project.uuid == ref]
    if (number := row_id(ref)) is not None:
        cond.append(Project.id == number)
    project = db.scalar(select(Project).where(or_(*cond), Project.team_id == principal.team_id))
    if project is None:
        raise NotFound(f"no project {ref}", field="project")
    return project


def list_projects(
    db: Session, principal: Principal, *, page: int = 1, per_page: int = 30
) -> tuple[list[Project], int]:
    if page < 1 or not 1 <= per_page <= 100:
        raise InvalidInput("page must be ≥ 1 and per_page between 1 and 100", field="per_page")
    query = select(Project).where(Project.team_id == principal.team_id)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    offset = page_offset(page, per_page, total)
    rows = [] if offset is None else db.scalars(
        query.order_by(Project.created_at.desc(), Project.id.desc()).offset(offset).limit(per_page))
    return list(rows), total


def change_project(db: Session, project: Project, changes: dict[str, Any]) -> Project:
    """Apply ``changes`` (name, description) without committing."""
    for key, value in changes.items():
        if key == "name":
            project.name = _check_name(value)
        elif key == "description":
            project.description = value or ""
        else:
            raise InvalidInput(f"unknown field {key!r}", field=key)
    project.updated_at = utcnow()
    return project


def update_project(db: Session, project: Project, changes: dict[str, Any]) -> Project:
    change_project(db, project, changes)
    db.commit()
    return project


def count_projects_videos(db: Session, projects: list[Project]) -> dict[int, int]:
    """How many videos each project holds, by project id, in one grouped query for a whole page."""
    if not projects:
        return {}
    ids = [p.id for p in projects]
    counts = dict(db.execute(select(Video.project_id, func.count()).where(Video.project_id.in_(ids))
                             .group_by(Video.project_id)).all())
    return {i: counts.get(i, 0) for i in ids}


def count_project_videos(db: Session, project: Project) -> int:
    return count_projects_videos(db, [project])[project.id]


class ProjectNotEmpty(Conflict):
    code = "project_not_empty"


def delete_project(db: Session, project: Project, *, require_empty: bool = False) -> None:
    """Delete the folder; its videos stay, moved out of it (project set to none). With
    ``require_empty`` a project that still holds videos is refused (:class:`ProjectNotEmpty`)."""
    if require_empty:
        count = count_project_videos(db, project)
        if count:
            raise ProjectNotEmpty(f"project {project.uuid} still holds {count} video(s); delete them first",
                                  videos=count)
    db.delete(project)
    db.commit()
