"""OpenSearch: ``GET /opensearch/?q=…&api_key=…`` searches the organization's ready videos
(every word of ``q`` in the title or description, ``core.videos.list_videos``) and answers an
OpenSearch 1.1 response: RSS 2.0 by default, Atom with ``format=atom`` (or an Accept header that
prefers Atom). ``ptilos=true`` prefixes each title with ``ilos:``. Paging follows OpenSearch:
``count``, ``startPage`` or ``startIndex`` (1-based).

``GET /opensearch/description.xml`` is the OpenSearch description document; given an
``api_key`` it puts that key into its URL templates so a search client can use them as is.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from reelbase.core.context import Principal
from reelbase.core.runtime import Runtime
from reelbase.core.videos import MAX_PER_PAGE, list_videos
from reelbase.dialects.ilos import params as p
from reelbase.dialects.ilos import urls
from reelbase.dialects.ilos.errors import IlosError
from reelbase.edge.representations import iso
from reelbase.core.numbers import is_decimal

router = APIRouter(tags=["opensearch"])

OS = "http://a9.com/-/spec/opensearch/1.1/"
ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("opensearch", OS)
ET.register_namespace("atom", ATOM)
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
OSD_TYPE = "application/opensearchdescription+xml"


def _int(params: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = p.text(params, name, limit=12)
    if value in (None, ""):
        return default
    if not is_decimal(value) or not low <= int(value) <= high:
        raise IlosError(400, f"{name} must be a whole number between {low} and {high}")
    return int(value)


def _search(runtime: Runtime, principal: Principal, q: str, page: int, count: int) -> dict[str, Any]:
    with runtime.session() as db:
        found = list_videos(db, principal, page=page, per_page=count, q=q, state="ready")
        items = [{"randtag": v.token, "title": v.title, "description": v.description, "created": v.created_at,
                  "updated": v.updated_at, "public": v.public} for v in found.items]
        return {"total": found.total, "items": items}


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _aware(when: dt.datetime) -> dt.datetime:
    return when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _rss(root: str, self_url: str, q: str, result: dict[str, Any], start: int, count: int, prefix: str) -> bytes:
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", f"ilos search: {q}")
    _sub(channel, "link", self_url)
    _sub(channel, "description", f"Videos matching \u201c{q}\u201d")
    _sub(channel, f"{{{OS}}}totalResults", str(result["total"]))
    _sub(channel, f"{{{OS}}}startIndex", str(start))
    _sub(channel, f"{{{OS}}}itemsPerPage", str(count))
    _sub(channel, f"{{{ATOM}}}link", rel="search", type=OSD_TYPE, href=urls.opensearch_description(root))
    _sub(channel, f"{{{OS}}}Query", role="request", searchTerms=q, startIndex=str(start), count=str(count))
    for item in result["items"]:
        el = _sub(channel, "item")
        _sub(el, "title", prefix + (item["title"] or "Untitled video"))
        _sub(el, "link", urls.view(root, item["randtag"]))
        _sub(el, "description", item["description"] or "")
        _sub(el, "guid", urls.view(root, item["randtag"]), isPermaLink="true")
        _sub(el, "pubDate", format_datetime(_aware(item["created"]), usegmt=True))
        if item["public"]:
            _sub(el, "enclosure", url=urls.media(root, item["randtag"]), type="video/mp4", length="0")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(rss, encoding="utf-8", xml_declaration=False)


def _atom(root: str, self_url: str, q: str, result: dict[str, Any], start: int, count: int, prefix: str) -> bytes:
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, f"{{{ATOM}}}title", f"ilos search: {q}")
    _sub(feed, f"{{{ATOM}}}id", self_url)
    newest = max((_aware(i["updated"]) for i in result["items"]), default=dt.datetime.now(dt.UTC))
    _sub(feed, f"{{{ATOM}}}updated", iso(newest))
    _sub(feed, f"{{{ATOM}}}author").append(_named("ilos"))
    _sub(feed, f"{{{ATOM}}}link", rel="self", type=ATOM_TYPE, href=self_url)
    _sub(feed, f"{{{ATOM}}}link", rel="search", type=OSD_TYPE, href=urls.opensearch_description(root))
    _sub(feed, f"{{{OS}}}totalResults", str(result["total"]))
    _sub(feed, f"{{{OS}}}startIndex", str(start))
    _sub(feed, f"{{{OS}}}itemsPerPage", str(count))
    _sub(feed, f"{{{OS}}}Query", role="request", searchTerms=q, startIndex=str(start), count=str(count))
    for item in result["items"]:
        entry = _sub(feed, f"{{{ATOM}}}entry")
        view = urls.view(root, item["randtag"])
        _sub(entry, f"{{{ATOM}}}title", prefix + (item["title"] or "Untitled video"))
        _sub(entry, f"{{{ATOM}}}id", view)
        _sub(entry, f"{{{ATOM}}}updated", iso(_aware(item["updated"])))
        _sub(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=view)
        _sub(entry, f"{{{ATOM}}}summary", item["description"] or "")
        if item["public"]:
            _sub(entry, f"{{{ATOM}}}link", rel="enclosure", type="video/mp4", href=urls.media(root, item["randtag"]))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)


def _named(name: str) -> ET.Element:
    author = ET.Element(f"{{{ATOM}}}name")
    author.text = name
    return author


def _wants_atom(request: Request, params: dict[str, Any]) -> bool:
    fmt = (p.text(params, "format", limit=20) or "").lower()
    if fmt:
        if fmt not in ("rss", "atom"):
            raise IlosError(400, "format must be rss or atom")
        return fmt == "atom"
    accept = request.headers.get("accept", "")
    return ATOM_TYPE in accept and (RSS_TYPE not in accept or accept.index(ATOM_TYPE) < accept.index(RSS_TYPE))


@router.get("/opensearch", include_in_schema=False)
@router.get("/opensearch/", summary="Search videos (OpenSearch RSS or Atom)")
async def search(request: Request) -> Response:
    params = await p.read_params(request)
    principal = await p.principal_from(request, params, organization_only=True)
    q = (p.text(params, "q", limit=500) or "").strip()
    count = _int(params, "count", 30, 1, MAX_PER_PAGE)
    start_index = _int(params, "startIndex", 0, 1, 1_000_000)
    page = (start_index - 1) // count + 1 if start_index else _int(params, "startPage", 1, 1, 100_000)
    prefix = "ilos: " if p.flag(params, "ptilos") else ""
    runtime: Runtime = request.app.state.runtime
    result = await run_in_threadpool(_search, runtime, principal, q, page, count)
    root = urls.base_of(runtime)
    query = {k: v for k, v in request.query_params.items() if k != "api_key"}
    self_url = urls.opensearch(root) + ("?" + urlencode(query) if query else "")
    start = (page - 1) * count + 1
    if _wants_atom(request, params):
        return Response(_atom(root, self_url, q, result, start, count, prefix), media_type=ATOM_TYPE)
    return Response(_rss(root, self_url, q, result, start, count, prefix), media_type=RSS_TYPE)


@router.get("/opensearch/description.xml", summary="OpenSearch description document")
def description(request: Request, api_key: str | None = None, ptilos: str | None = None) -> Response:
    root = urls.base_of(request.app.state.runtime)
    extra = {k: v for k, v in (("api_key", api_key), ("ptilos", ptilos)) if v}
    tail = "".join(f"&{urlencode({k: v})}" for k, v in extra.items())
    osd = ET.Element("OpenSearchDescription", {"xmlns": OS})
    _sub(osd, "ShortName", "ilos")
    _sub(osd, "Description", "Search ilos videos")
    _sub(osd, "InputEncoding", "UTF-8")
    _sub(osd, "OutputEncoding", "UTF-8")
    template = urls.opensearch(root) + "?q={searchTerms}&startPage={startPage?}&count={count?}" + tail
    _sub(osd, "Url", type=RSS_TYPE, template=template)
    _sub(osd, "Url", type=ATOM_TYPE, template=template + "&format=atom")
    _sub(osd, "Url", type=OSD_TYPE, rel="self", template=urls.opensearch_description(root))
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(osd, encoding="utf-8")
    return Response(body, media_type=OSD_TYPE)
