"""Which web pages may play a video's streams from their own origin (CORS on the stream URLs).

Any origin may, by default: playlists, segments, captions and thumbnails are public or signed
URLs, fetched without credentials, as every hosted video API serves them. A team may list the
origins allowed to play its videos (``Team.playback_origins``, set with ``reelbase teams
playback-origins``); a request from a page on another origin is then refused with
:class:`OriginNotAllowed` (403). The page's origin is the ``Origin`` header a browser sends with a
cross-origin request, or, for the requests that carry none (a ``<video src>``, an ``<img>``), the
origin of its ``Referer``. A team's list is read once every :data:`KEEP_S` seconds per process, so
a change applies within that delay. A request with neither (a download, a player outside a browser, a page
whose referrer policy hides it) and one from Reelbase's own pages are let through: the list keeps
other sites' pages from playing the videos, it is not access control (signed URLs are).

:func:`playback_origin` answers the value of ``Access-Control-Allow-Origin``: ``*`` where any
origin may play, the page's own origin where the team lists it (the answer then varies by origin).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.auth.account_settings import parse_origin
from reelbase.core.errors import Forbidden, InvalidInput
from reelbase.core.playback.delivery import Memo
from reelbase.db.models import Team, Video

ANY = "*"
KEEP_S = 10
_TEAM_ORIGINS = Memo(ttl_s=KEEP_S, entries=4096)  # team id -> its listed origins


class OriginNotAllowed(Forbidden):
    code = "origin_not_allowed"


def page_origin(*, origin: str | None, referer: str | None) -> str | None:
    """The origin of the page that asked (None when the request names none, or names it badly)."""
    for candidate in (origin, referer):
        if candidate and candidate != "null":
            try:
                return parse_origin(_origin_part(candidate))
            except InvalidInput:
                return None
    return None


def _origin_part(url: str) -> str:
    scheme, sep, rest = url.strip().partition("://")
    return scheme + sep + rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0] if sep else url


def playback_origin(db: Session, video: Video, *, origin: str | None, referer: str | None,
                    own_origin: str) -> str:
    """``*``, or the page's origin where the video's team lists it; raises :class:`OriginNotAllowed`
    for a page on an origin the team does not list."""
    return allowed_origin(video.team_id, lambda: db, origin=origin, referer=referer, own_origin=own_origin)


def allowed_origin(team_id: int, session: Callable[[], Session], *, origin: str | None, referer: str | None,
                   own_origin: str) -> str:
    """:func:`playback_origin` for a video of ``team_id``; ``session`` gives a database session, asked
    for only when the team's list is not known in this process (it is kept :data:`KEEP_S` seconds,
    so a change made elsewhere, such as by the CLI, applies within that delay)."""
    page = page_origin(origin=origin, referer=referer)
    if page is None:
        return ANY
    now = time.time()
    found = _TEAM_ORIGINS.get((team_id,), now)
    if found is None:
        listed = session().scalar(select(Team.playback_origins).where(Team.id == team_id))
        found = (now, tuple(listed or ()))
        _TEAM_ORIGINS.put((team_id,), *found)
    allowed = found[1]
    if not allowed:
        return ANY
    try:
        own = parse_origin(own_origin)
    except InvalidInput:
        own = None
    if page in allowed or page == own:
        return page
    raise OriginNotAllowed(f"pages on {page} may not play this video: its team lets only the sites "
                           "it lists play its streams")
