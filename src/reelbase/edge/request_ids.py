"""Every request gets an id: the client's own ``X-Request-Id`` when it is a plain token (so a
proxy's id follows the request through), a fresh one otherwise. It goes back in the answer's
``X-Request-Id`` header, and an unexpected error quotes it in its body and its log line, so the one
answer a user reports leads to the one traceback behind it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-Id"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_of(request: Request) -> str:
    """The id the middleware gave ``request`` (a fresh one for a request it did not see)."""
    state: dict[str, Any] = request.scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = uuid.uuid4().hex
    return state["request_id"]


class RequestIdMiddleware:
    """Gives each request its id, and is the app's last line of defence: an exception that left
    the app before it answered is answered by ``unexpected`` (which logs it). Starlette re-raises
    an exception after its own handler has answered (so that servers may log it); once that answer
    is complete, re-raising further would only make the server drop a connection whose answer
    has already gone out, so it stops here."""

    def __init__(self, app: ASGIApp, unexpected: Callable[[Request, Exception], Response]) -> None:
        self.app = app
        self.unexpected = unexpected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                offered = value.decode("latin-1")
                break
        request_id = offered if _ACCEPTED.fullmatch(offered) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = finished = False

        async def send_with_id(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", request_id.encode())]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if finished:
                return  # answered and logged by the surface that raised it
            if started:
                raise  # half an answer: only dropping the connection tells the client
            await self.unexpected(Request(scope, receive), exc)(scope, receive, send_with_id)
