"""Absolute URLs under the native API's prefix (which the upload protocols and pages also link to)
and its pagination headers."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response

from reelbase.core.runtime import Runtime
from reelbase.edge.deps import get_runtime

API_PREFIX = "/api/v1"


def api_base(runtime: Runtime) -> str:
    return runtime.settings.public_url + API_PREFIX


def set_pagination_headers(
    response: Response, request: Request, runtime: Runtime, *, page: int, per_page: int, total: int
) -> None:
    pages = max(1, -(-total // per_page))
    base = runtime.settings.public_url + request.url.path
    params = dict(request.query_params)

    def link(p: int, rel: str) -> str:
        params.update(page=str(p), per_page=str(per_page))
        return f'<{base}?{urlencode(params)}>; rel="{rel}"'

    rels = [link(1, "first"), link(pages, "last")]
    if page > 1:
        rels.append(link(min(page - 1, pages), "prev"))
    if page < pages:
        rels.append(link(page + 1, "next"))
    response.headers["Link"] = ", ".join(rels)
    response.headers["X-Total-Count"] = str(total)


class ListPage:
    """A request dependency for a list endpoint: :meth:`answer` builds the native list body and
    sets the response's pagination headers from the same numbers, so the two never disagree."""

    def __init__(self, request: Request, response: Response) -> None:
        self.request = request
        self.response = response

    def answer(self, items: list[Any], *, page: int, per_page: int, total: int, **extra: Any) -> dict[str, Any]:
        set_pagination_headers(self.response, self.request, get_runtime(self.request),
                               page=page, per_page=per_page, total=total)
        return {"items": items, "total": total, "page": page, "per_page": per_page, **extra}


async def list_page(request: Request, response: Response) -> ListPage:
    # A coroutine, so FastAPI makes it on the event loop: a plain class as the dependency would be
    # constructed on the thread pool, a hop there and back for three assignments.
    return ListPage(request, response)


ListPageDep = Annotated[ListPage, Depends(list_page)]
