"""Small HTML pages of the ilos dialect (uploader, recorder, view, embed, messages). Every value
put into a page goes through :func:`esc`; the pages load no scripts from elsewhere."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }}
main {{ max-width: 48rem; }}
.msg {{ padding: .75rem 1rem; border-radius: .4rem; background: #f3f4f6; }}
.error {{ background: #fde8e8; }}
video {{ max-width: 100%; background: #000; }}
label {{ display: block; margin: .75rem 0 .25rem; }}
button {{ margin-top: 1rem; padding: .5rem 1.25rem; }}
</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""

HEADERS = {"Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; "
           "img-src 'self'; form-action 'self'", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "same-origin"}


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def page(title: str, body: str, *, status: int = 200) -> HTMLResponse:
    """``body`` is already HTML (its values escaped by the caller)."""
    return HTMLResponse(_PAGE.format(title=esc(title), body=body), status_code=status, headers=HEADERS)


def message(title: str, text: str, *, status: int = 200, error: bool = False) -> HTMLResponse:
    css = "msg error" if error else "msg"
    return page(title, f"<h1>{esc(title)}</h1>\n<p class=\"{css}\">{esc(text)}</p>", status=status)
