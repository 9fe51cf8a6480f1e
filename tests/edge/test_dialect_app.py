"""The dialect sub-app builder: the runtime on app.state, docs and title from the dialect's info,
each of the five failure kinds answered by the dialect's own function, CORS only when asked for,
and the first validation problem with or without the header location."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from reelbase.core.errors import NotFound
from reelbase.edge.dialect_app import DialectErrors, DialectInfo, create_dialect_app, first_problem
from tests.conftest import start_server


class VendorError(Exception):
    pass


router = APIRouter()


@router.get("/own")
def own() -> None:
    raise VendorError("in the vendor's terms")


@router.get("/domain")
def domain() -> None:
    raise NotFound("no such thing")


@router.get("/number")
def number(n: int, x_tag: str = Header()) -> dict[str, int]:
    return {"n": n}


@router.get("/broken")
def broken() -> None:
    raise RuntimeError("a bug")


@router.get("/state")
def state(request: Request) -> dict[str, str]:
    return {"runtime": str(request.app.state.runtime)}


def _validation(exc):  # type: ignore[no-untyped-def]
    problem = first_problem(exc)
    bare = first_problem(exc, locations=("body", "query", "path"))
    return JSONResponse({"kind": "validation", "field": problem.field, "bare": bare.field,
                         "type": problem.kind}, 400)


ERRORS = DialectErrors(
    name="vendor", log=logging.getLogger("tests.vendor"), own=VendorError,
    own_answer=lambda exc: JSONResponse({"kind": "own", "message": str(exc)}, 418),
    domain=lambda request, exc: JSONResponse({"kind": "domain", "code": exc.code, "path": request.url.path}, 404),
    validation=_validation,
    http=lambda exc: JSONResponse({"kind": "http", "status": exc.status_code}, exc.status_code),
    unexpected=lambda request, request_id: JSONResponse({"kind": "unexpected", "path": request.url.path,
                                                        "request_id": request_id}, 500),
)


@pytest.fixture(scope="module", params=[None, ("GET",)], ids=["no-cors", "cors"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    app = create_dialect_app("the-runtime", DialectInfo("Vendor", "7", "How to sign in."), ERRORS,  # type: ignore[arg-type]
                             routers=(router,), cors_methods=request.param)
    url, server, thread = start_server(app)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            client.cors = request.param is not None  # type: ignore[attr-defined]
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_dialect_app_documents_itself_from_its_info(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["info"] == {"title": "Reelbase - Vendor dialect", "version": "7", "description": "How to sign in."}
    assert client.get("/docs").status_code == 200
    assert client.get("/state").json() == {"runtime": "the-runtime"}


def test_dialect_app_answers_each_failure_kind_with_the_dialects_function(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    assert client.get("/own").json() == {"kind": "own", "message": "in the vendor's terms"}
    assert client.get("/domain").json() == {"kind": "domain", "code": "not_found", "path": "/domain"}
    assert client.get("/nowhere").json() == {"kind": "http", "status": 404}
    with caplog.at_level(logging.ERROR, logger="tests.vendor"):
        # On its own connection: the server re-raises an unexpected error after answering and may
        # drop the connection, which a pooled client would otherwise reuse for the next test.
        got = httpx.get(client.base_url.join("/broken"), timeout=30)
    request_id = got.headers["x-request-id"]
    assert got.status_code == 500 and got.json() == {"kind": "unexpected", "path": "/broken", "request_id": request_id}
    logged = [r for r in caplog.records if "unhandled error in the vendor dialect surface" in r.getMessage()]
    assert len(logged) == 1 and request_id in logged[0].getMessage() and "GET /broken" in logged[0].getMessage()
    assert logged[0].exc_info is not None and "a bug" in str(logged[0].exc_info[1])  # the traceback is kept


def test_dialect_app_first_problem_names_the_field_with_or_without_the_header(client: httpx.Client) -> None:
    got = client.get("/number", params={"n": "seven"}, headers={"x-tag": "t"})
    assert got.status_code == 400
    assert got.json() == {"kind": "validation", "field": "n", "bare": "n", "type": "int_parsing"}
    got = client.get("/number", params={"n": "1"})
    assert got.json()["field"] == "x-tag" and got.json()["bare"] == "header.x-tag"


def test_dialect_app_allows_any_origin_only_when_asked(client: httpx.Client) -> None:
    got = client.options("/state", headers={"origin": "https://customer.example", "access-control-request-method": "GET"})
    if client.cors:  # type: ignore[attr-defined]
        assert got.headers.get("access-control-allow-origin") == "*"
    else:
        assert "access-control-allow-origin" not in got.headers
