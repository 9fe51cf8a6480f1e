"""The last line of defence: an exception no handler expected still answers 500 in the native
shape, quoting the request's id, and is logged with its traceback under the same id; every other
answer carries an id too, the client's own when it sent a plain one."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from reelbase.app import create_app
from reelbase.core.runtime import Runtime
from tests.conftest import start_server


@pytest.fixture
def broken_server(runtime: Runtime) -> Iterator[str]:
    app = create_app(runtime)

    def explode() -> None:
        raise ZeroDivisionError("a bug nobody handled")

    # The app's own routes cannot fail this way (that is what the fuzzing tests check), so this
    # one is added for the test, behind every real middleware and handler.
    app.add_api_route("/api/v1/explode", explode, methods=["GET"])
    url, server, thread = start_server(app)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_an_unexpected_error_answers_500_with_the_request_id_it_logs(
    broken_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="reelbase"), httpx.Client(base_url=broken_server, timeout=30) as c:
        r = c.get("/api/v1/explode")
        after = c.get("/healthz")  # the connection outlives the error: nothing re-raised to the server
    assert after.status_code == 200 and after.json() == {"status": "ok"}
    assert r.status_code == 500
    request_id = r.headers["x-request-id"]
    error = r.json()["error"]
    assert error["code"] == "internal" and error["request_id"] == request_id
    assert request_id in error["message"] and "ZeroDivisionError" not in r.text  # no internals leak
    logged = [rec for rec in caplog.records if rec.levelno == logging.ERROR and request_id in rec.getMessage()]
    assert len(logged) == 1 and "GET /api/v1/explode" in logged[0].getMessage()
    assert logged[0].exc_info is not None and isinstance(logged[0].exc_info[1], ZeroDivisionError)


def test_every_answer_carries_a_request_id(broken_server: str) -> None:
    with httpx.Client(base_url=broken_server, timeout=30) as c:
        first, second = c.get("/healthz"), c.get("/api/v1/videos")
        assert first.status_code == 200 and second.status_code == 401
        ids = {first.headers["x-request-id"], second.headers["x-request-id"]}
        assert len(ids) == 2 and all(len(i) == 32 for i in ids)
        echoed = c.get("/compat/valt/api/v3/records/1", headers={"X-Request-Id": "lb-7f3a.1"})
        assert echoed.headers["x-request-id"] == "lb-7f3a.1"  # a proxy's id follows the request
        hostile = c.get("/healthz", headers={"X-Request-Id": "<script>" + "x" * 100})
        assert hostile.headers["x-request-id"] != "<script>" + "x" * 100
        assert len(hostile.headers.get_list("x-request-id")) == 1
