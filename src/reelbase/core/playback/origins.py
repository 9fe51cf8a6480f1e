"""Which web pages may play a video's streams from their own origin (CORS on the stream URLs).

Any origin may, by default: playlists, segments, captions and thumbnails are public or signed
URLs, fetched without credentials, as every hosted video API serves them. A team may list the
origins allowed to play its videos (``Team.playback_origins``, set with ``reelbase teams
playback-origins``); a request from a page on another origin is then refused with
:class:`OriginNotAllowed` (403). The page's origin is the ``Origin`` header a browser sends with a
cross-origin request, or, for the requests that carry none (a ``<video src>``, an ``<img>``), the
origin of its ``Referer``. A request with neither (a download, a player outside a browser, a page
whose referrer policy hides it) and one from Reelbase's own pages are let through: the list keeps
other sites' pages from playing the videos, it is not access control (signed URLs are).

:func:`playback_origin` answers the value of ``Access-Control-Allow-Origin``: ``*`` where any
origin may play, the page's own origin where the team lists it (the answer then varies by origin).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.core.auth.account_settings import parse_origin
from reelbase.core.errors import Forbidden, InvalidInput
from reelbase.db.models import Team, Video

ANY = "*"


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
    page = page_origin(origin=origin, referer=referer)
    if page is None:
        return ANY
    allowed = db.scalar(select(Team.playback_origins).where(Team.id == video.team_id))
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
