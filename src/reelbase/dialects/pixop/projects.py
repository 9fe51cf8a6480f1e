"""Pixop videos service, projects (``/videos/v1/project[s]``): get, HAL-paginated list, create
(PUT), rename (POST), delete (refused while the project still holds videos)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from reelbase.core import videos as core_videos
from reelbase.dialects.pixop.auth import BearerPrincipal
from reelbase.dialects.pixop.errors import not_found_as
from reelbase.dialects.pixop.schemas import (
    PageSize,
    ProjectBody,
    hal_page,
    project_item,
    project_json,
)
from reelbase.edge.deps import DbDep, RuntimeDep

router = APIRouter(prefix="/videos/v1", tags=["projects"])


def _project(db: Any, principal: Any, project_id: str) -> Any:
    with not_found_as("ProjectNotFoundException"):
        return core_videos.get_project(db, principal, project_id)


@router.get("/project/{project_id}", summary="Project details")
def get_project(project_id: str, principal: BearerPrincipal, db: DbDep) -> dict[str, Any]:
    return {"project": project_json(_project(db, principal, project_id), principal.team.uuid)}


@router.get("/projects", summary="The team's projects, newest first (HAL pages)")
def list_projects(
    principal: BearerPrincipal, db: DbDep, runtime: RuntimeDep, page_size: PageSize,
    page: int = Query(1, ge=1),
) -> dict[str, Any]:
    items, total = core_videos.list_projects(db, principal, page=page, per_page=page_size)
    return hal_page(runtime, "/videos/v1/projects", page=page, page_size=page_size, total=total,
                    embedded="projects", items=[project_item(runtime, p) for p in items])


@router.put("/project", summary="Create a project")
def create_project(body: ProjectBody, principal: BearerPrincipal, db: DbDep) -> dict[str, Any]:
    project = core_videos.create_project(db, principal, name=body.name)
    return {"project": project_json(project, principal.team.uuid)}


@router.post("/project/{project_id}", summary="Rename a project")
def update_project(project_id: str, body: ProjectBody, principal: BearerPrincipal, db: DbDep) -> dict[str, Any]:
    project = _project(db, principal, project_id)
    core_videos.update_project(db, project, {"name": body.name})
    return {"project": project_json(project, principal.team.uuid)}


@router.delete("/project/{project_id}", summary="Delete a project (fails while it holds videos)")
def delete_project(project_id: str, principal: BearerPrincipal, db: DbDep) -> dict[str, Any]:
    project = _project(db, principal, project_id)
    body = {"project": project_json(project, principal.team.uuid)}
    core_videos.delete_project(db, project, require_empty=True)
    return body
