"""Pixop's JSON shapes for accounts, teams and projects, its HAL pagination, request bodies, and
the absolute URLs the dialect hands out.

Conventions of the document: camelCase keys, ids are our public UUIDs, dates are UTC
``YYYY-MM-DD hh:mm:ss``, lists are HAL (``_links`` self/first/last/next/previous, ``_embedded``).
Pages are numbered from 1; ``next``/``previous`` are left out where there is no such page. The
document sets no limit on ``page-size``: one over ours is served at our maximum (``pageSize`` and
the links say so) rather than refused.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from reelbase.core.auth import AccountView
from reelbase.core.runtime import Runtime

PREFIX = "/compat/pixop"
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100


def page_size(
    value: int = Query(DEFAULT_PAGE_SIZE, alias="page-size", ge=1,
                       description=f"Results per page (at most {MAX_PAGE_SIZE}: larger sizes are capped)"),
) -> int:
    return min(value, MAX_PAGE_SIZE)


PageSize = Annotated[int, Depends(page_size)]


class Body(BaseModel):
    # Pixop clients may send fields we do not know; they are ignored, not refused.
    model_config = ConfigDict(extra="ignore")


class ProjectBody(Body):
    name: str = Field(max_length=200)


class VideoCreateBody(Body):
    name: str | None = Field(default=None, max_length=500)
    projectId: str | None = Field(default=None, max_length=64)  # noqa: N815 - the document's name


class PasswordBody(Body):
    newPassword: str = Field(max_length=1024)  # noqa: N815


def url(runtime: Runtime, path: str, **query: Any) -> str:
    """Absolute URL of a dialect path (``/videos/v1/...``), from REELBASE_PUBLIC_URL."""
    params = {k: v for k, v in query.items() if v is not None}
    return runtime.settings.public_url + PREFIX + path + (f"?{urlencode(params)}" if params else "")


def date(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def number(value: Any) -> float | int | None:
    """A JSON-safe number: infinities and NaN (an identical copy's PSNR) become null."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def hal_page(runtime: Runtime, path: str, *, page: int, page_size: int, total: int, embedded: str,
             items: list[dict[str, Any]], query: dict[str, Any] | None = None) -> dict[str, Any]:
    last = max(1, -(-total // page_size))

    def link(p: int) -> dict[str, str]:
        return {"href": url(runtime, path, **(query or {}), page=p, **{"page-size": page_size})}

    links = {"self": link(page), "first": link(1), "last": link(last)}
    if page < last:
        links["next"] = link(page + 1)
    if page > 1:
        links["previous"] = link(min(page - 1, last))
    return {"pageSize": page_size, "page": page, "_links": links, "_embedded": {embedded: items}}


def team_json(team: Any) -> dict[str, Any]:
    return {"id": team.uuid, "name": team.name, "dateCreated": date(team.created_at),
            "timeLastUpdated": date(team.updated_at)}


def user_json(view: AccountView) -> dict[str, Any]:
    user, key, sig = view.user, view.signing_key, view.signature
    return {
        "id": user.uuid,
        "name": user.name,
        "email": user.email,
        "emailConfirmed": user.email_confirmed_at is not None,
        "authSignatureMethod": key.algorithm if key else None,
        "authSignaturePublicKey": key.public_key if key else None,
        "authSignaturePublicKeyId": key.key_id if key else None,
        "banned": bool(user.banned),
        "bannedReason": user.banned_reason if user.banned else None,
        "bannedDate": date(user.banned_at) if user.banned else None,
        "apiRequestSignatureSecret": sig.secret if sig else None,
        "apiRequestSignatureMethod": sig.method if sig else None,
        "dateCreated": date(user.created_at),
        "timeLastUpdated": date(user.updated_at),
    }


def account_json(view: AccountView, *, other_teams: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"user": user_json(view), "team": team_json(view.team)}
    if other_teams:
        # The token-validation example spells one key "apiRequestSignatureSethod": sent as well.
        body["user"]["apiRequestSignatureSethod"] = body["user"]["apiRequestSignatureMethod"]
        body["otherTeams"] = [team_json(t) for t in view.other_teams]
    return body


def project_json(project: Any, team_uuid: str) -> dict[str, Any]:
    return {"id": project.uuid, "name": project.name, "teamId": team_uuid,
            "dateCreated": date(project.created_at), "timeLastUpdated": date(project.updated_at)}


def project_item(runtime: Runtime, project: Any) -> dict[str, Any]:
    return {"_links": {"self": {"href": url(runtime, f"/videos/v1/project/{project.uuid}")}},
            "id": project.uuid, "name": project.name,
            "dateCreated": date(project.created_at), "timeLastUpdated": date(project.updated_at)}
