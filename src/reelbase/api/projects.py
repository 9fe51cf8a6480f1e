"""Native API: projects (folders of videos) and the caller's identity."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from reelbase.api.schemas import Me, ProjectCreate, ProjectPublic, ProjectsPublic, ProjectUpdate, iso, project_public
from reelbase.edge.errors import error_responses
from reelbase.core import videos as core_videos
from reelbase.core.auth import team_limits
from reelbase.core.videos import count_team_videos, team_stored_bytes
from reelbase.edge.deps import DbDep, PrincipalDep, RuntimeDep
from reelbase.edge.links import ListPageDep

# project_public() leaves video_count out where it was not counted; response_model_exclude_unset
# keeps such a key out instead of sending it as null.
router = APIRouter(tags=["projects"], responses=error_responses(401, 403, 429))


@router.post("/projects", status_code=201, response_model=ProjectPublic, response_model_exclude_unset=True,
             responses=error_responses(400, 422))
def create_project(body: ProjectCreate, db: DbDep, principal: PrincipalDep) -> dict:
    project = core_videos.create_project(db, principal, name=body.name, description=body.description)
    return project_public(project, video_count=0)


@router.get("/projects", response_model=ProjectsPublic, response_model_exclude_unset=True,
            responses=error_responses(422))
def list_projects(
    listing: ListPageDep,
    db: DbDep,
    principal: PrincipalDep,
    page: int = Query(1, ge=1),
    per_page: int = Query(30, ge=1, le=100),
) -> dict:
    items, total = core_videos.list_projects(db, principal, page=page, per_page=per_page)
    counts = core_videos.count_projects_videos(db, items)
    counted = [project_public(p, video_count=counts[p.id]) for p in items]
    return listing.answer(counted, page=page, per_page=per_page, total=total)


@router.get("/projects/{project_id}", response_model=ProjectPublic, response_model_exclude_unset=True,
            responses=error_responses(404, 422))
def get_project(project_id: str, db: DbDep, principal: PrincipalDep) -> dict:
    project = core_videos.get_project(db, principal, project_id)
    return project_public(project, video_count=core_videos.count_project_videos(db, project))


@router.patch("/projects/{project_id}", response_model=ProjectPublic, response_model_exclude_unset=True,
              responses=error_responses(400, 404, 422))
def update_project(project_id: str, body: ProjectUpdate, db: DbDep, principal: PrincipalDep) -> dict:
    project = core_videos.get_project(db, principal, project_id)
    core_videos.update_project(db, project, body.model_dump(exclude_unset=True))
    return project_public(project, video_count=core_videos.count_project_videos(db, project))


@router.delete("/projects/{project_id}", status_code=204, responses=error_responses(404, 409, 422))
def delete_project(project_id: str, db: DbDep, principal: PrincipalDep) -> Response:
    core_videos.delete_project(db, core_videos.get_project(db, principal, project_id))
    return Response(status_code=204)


@router.get("/me", tags=["account"], response_model=Me)
def me(db: DbDep, principal: PrincipalDep, runtime: RuntimeDep) -> dict:
    team = principal.team
    limits = team_limits(runtime.settings, team)
    return {
        "user": {"id": principal.user.uuid, "email": principal.user.email, "name": principal.user.name},
        "team": {
            "id": team.uuid,
            "name": team.name,
            "limits": {
                "quota_bytes": limits.quota_bytes,
                "quota_videos": limits.quota_videos,
                "max_upload_bytes": limits.max_upload_bytes,
            },
            "usage": {
                "stored_bytes": team_stored_bytes(db, team.id),
                "videos": count_team_videos(db, team.id),
            },
        },
        "key": {
            "public_id": principal.api_key.public_id if principal.api_key else None,
            "type": principal.key_type,
            "created_at": iso(principal.api_key.created_at) if principal.api_key else None,
        },
    }
