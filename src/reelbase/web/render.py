"""Rendering the pages: Jinja2 templates (autoescaped) from ``web/templates``, static files from
``web/static`` (our own CSS and JS, plus ``vendor/`` filled by the set-up from npm).

Every page gets a strict Content-Security-Policy: scripts, styles, media and connections only
from this server (``blob:`` for media sources built by hls.js and MediaRecorder previews). Pages
meant to sit in another site's iframe (``embed=True``) allow any frame ancestor; the others only
this origin.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from reelbase.core.errors import DomainError
from reelbase.edge.errors import domain_error_response
from reelbase.web.formats import FILTERS

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"

_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; connect-src 'self'; worker-src 'self' blob:; form-action 'self'; "
        "base-uri 'none'; object-src 'none'; frame-ancestors {ancestors}")


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["static"] = static_url
    env.filters.update(FILTERS)
    return env


@cache
def _fingerprint(path: str) -> str:
    file = STATIC_DIR / path
    try:
        return hashlib.sha256(file.read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static_url(path: str) -> str:
    """``/static/<path>?v=<hash of the file>``: long caching, a new URL when the file changes."""
    return f"/static/{path}?v={_fingerprint(path)}"


def headers(*, embed: bool = False) -> dict[str, str]:
    return {
        "Content-Security-Policy": _CSP.format(ancestors="*" if embed else "'self'"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def render(request: Request, template: str, *, status: int = 200, embed: bool = False,
           **context: Any) -> HTMLResponse:
    """Render ``template`` with ``context``; ``request``, ``session`` (the signed-in web session or
    None, set by :func:`reelbase.web.auth.optional_session`) and ``csrf`` are always there."""
    session = getattr(request.state, "web_session", None)
    principal = getattr(request.state, "web_principal", None)
    html = environment().get_template(template).render(
        request=request, session=session, principal=principal, csrf=session.csrf if session else "",
        embed=embed, **context)
    return HTMLResponse(html, status_code=status, headers=headers(embed=embed))


def json_error(exc: DomainError) -> JSONResponse:
    """A page script's error answer: the native API's error body, never cached."""
    response = domain_error_response(exc)
    response.headers["Cache-Control"] = "no-store"
    return response


def message(request: Request, title: str, text: str, *, status: int = 200, error: bool = False,
            embed: bool = False) -> HTMLResponse:
    """A page that only says something (an unknown token, a private video, a failure)."""
    return render(request, "message.html", status=status, embed=embed, title=title, text=text, error=error)
