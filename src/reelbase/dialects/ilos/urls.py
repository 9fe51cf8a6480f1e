"""Every URL the ilos dialect hands out: absolute. The API's own under ``<public url>/compat/ilos``
(``pages.py``, ``player.py``, ``opensearch.py``); the pages a person opens (uploader, recorder,
view, embed) are Reelbase's own pages at the root (``/embed/uploader/{token}``,
``/embed/recorder/{token}``, ``/view/{code}``, ``/embed/{code}``), reached from ``root`` by
dropping the dialect's prefix."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from reelbase.core.runtime import Runtime

PREFIX = "/compat/ilos"


def base(public_url: str) -> str:
    return public_url.rstrip("/") + PREFIX


def base_of(runtime: Runtime) -> str:
    return base(runtime.settings.public_url)


def site(root: str) -> str:
    """The server's root from the dialect's root."""
    return root[: -len(PREFIX)] if root.endswith(PREFIX) else root


def iframe(src: str) -> str:
    return f"<iframe src='{escape(src, quote=True)}'></iframe>"


def uploader(root: str, token: str, *, basic: bool = False) -> str:
    return f"{site(root)}/embed/uploader/{quote(token)}" + ("?uploaderType=basic" if basic else "")


def recorder(root: str, token: str) -> str:
    return f"{site(root)}/embed/recorder/{quote(token)}"


def recorder_download(root: str, token: str) -> str:
    return f"{root}/recorder/download/{quote(token)}"


def recorder_launch(root: str, token: str) -> str:
    """What a record button links to: the document's ``ilosrecord:`` URI starts an installed ilos
    desktop recorder, which Reelbase does not have, so its recorder is the browser page (the
    iframe's page, opened top-level); the document names no use of the scheme beyond launching."""
    return recorder(root, token)


def view(root: str, randtag: str) -> str:
    return f"{site(root)}/view/{quote(randtag)}"


def embed(root: str, randtag: str) -> str:
    return f"{site(root)}/embed/{quote(randtag)}"


def media(root: str, randtag: str) -> str:
    return f"{root}/media/{quote(randtag)}.mp4"


def opensearch(root: str) -> str:
    return f"{root}/opensearch/"


def opensearch_description(root: str) -> str:
    return f"{root}/opensearch/description.xml"
