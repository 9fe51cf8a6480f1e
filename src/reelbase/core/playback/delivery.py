"""How a file of a video's HLS/DASH stream reaches the player: how long it may be cached, and on a
store that hands out presigned URLs (S3), that the player fetches the segments from the store itself.

* Versions. Every file of a ladder lives under its own fresh prefix, but the URLs players see name
  files relative to the manifest (``.../hls/dash/chunk-stream0-00001.m4s``), so the same URL serves
  other bytes once the ladder is rebuilt. The playlists served therefore tag every URI they name
  with ``?v=<version>`` (a digest of the ladder prefix): a file asked for with the current version
  is the same bytes forever and may be cached as immutable; a file asked for without it (a URL
  built by hand) gets a day. A stale version (a playlist cached across a rebuild) gets the current
  playlist for a minute, and for a segment a 404: its bytes are gone.
* Freshness (:data:`IMMUTABLE`, :data:`PLAYLIST`, :data:`ENTRY`, :data:`GROWING`, :data:`DAY`,
  :data:`STALE`): the edge turns it into ``Cache-Control``. A playlist is *growing* while the video
  is not ready (a ladder still encoding, HLS published while encoding): a few seconds then.
* Presigned stores. The playlists are still served by the app, rewritten so that every segment URI
  is a presigned URL of the store (HLS media playlists line by line; the DASH MPD's
  ``SegmentTemplate`` + ``SegmentTimeline`` expanded into an equal ``SegmentList`` of presigned
  ``SegmentURL``s, since a template cannot carry a signature per file). A segment asked for through
  the app anyway (a player that builds its own URLs) is answered with a redirect to its presigned
  URL: either way no segment byte passes through the app. A rewritten playlist is kept and served
  again for :data:`REUSE_S` seconds, so players get the same text (one ETag, cacheable segment
  URLs) and presigning a long playlist is paid once; its URLs stay valid :data:`PRESIGN_TTL_S`.
* Segments found once are remembered for a few minutes (:func:`known_segment`), so the fetches of
  a stream's viewers cost no row lookup nor stat beyond the video's own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reelbase.core.errors import NotFound
from reelbase.storage.base import BlobStore

if TYPE_CHECKING:
    from reelbase.core.playback.downloads import Download

IMMUTABLE = "immutable"  # a segment of the version asked for: never changes
PLAYLIST = "playlist"  # a finished playlist of the version asked for
ENTRY = "entry"  # a finished entry manifest (HLS master, DASH MPD) named without a version
GROWING = "growing"  # a playlist of a video still being encoded
DAY = "day"  # a segment asked for without a version
STALE = "stale"  # a playlist asked for with another ladder's version

PRESIGN_TTL_S = 6 * 3600
# What the store answers a presigned segment URL with: each URL names one version's file forever.
SEGMENT_CACHE = "private, max-age=31536000, immutable"
REUSE_S = 3600
_CACHE_ENTRIES = 512
_PLAYLISTS = (".m3u8", ".mpd")
_MAP_URI = re.compile(r'URI="([^"]+)"')
_MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
_NS = {"mpd": _MPD_NS}


def stream_version(prefix: str) -> str:
    """The version tag of the ladder stored under ``prefix``."""
    return hashlib.blake2b(prefix.encode(), digest_size=6).hexdigest()


def is_playlist(path: str) -> bool:
    return path.lower().endswith(_PLAYLISTS)


def known_segment(video_id: int, manifest: str, path: str, version: str | None) -> Download | None:
    """The segment a request for ``path`` of the current ``version`` found a moment ago, if any."""
    if version is None:
        return None
    found = _SEGMENTS.get((video_id, manifest, path, version), time.time())
    return found[1] if found is not None else None


def deliver_stream_file(store: BlobStore, download: Download, *, video_id: int, manifest: str, prefix: str,
                        path: str, version: str | None, growing: bool) -> Download:
    """``download`` (a file ``path`` below the ladder ``prefix``) with its freshness, and its body
    (a playlist, rewritten) or its location (a segment on a presigning store) where it has one.
    A segment of another version than the current one is NotFound: its bytes are gone."""
    current = stream_version(prefix)
    playlist = is_playlist(path)
    if version is not None and version != current:
        if not playlist:
            raise NotFound(f"no stream file {path!r} in this version of the stream: load its playlist again")
        freshness = STALE
    elif playlist:
        freshness = GROWING if growing else (PLAYLIST if version else ENTRY)
    else:
        freshness = IMMUTABLE if version else DAY
    directory = prefix + path.rpartition("/")[0] + ("/" if "/" in path else "")
    presigning = getattr(store, "local_file", None) is None
    if not playlist:
        location = store.presigned_url(download.key, expires_in=PRESIGN_TTL_S,
                                       cache_control=SEGMENT_CACHE) if presigning else None
        delivered = dataclasses.replace(download, freshness=freshness, location=location)
        if freshness == IMMUTABLE:
            _SEGMENTS.put((video_id, manifest, path, version), time.time(), delivered)
        return delivered
    presigning = presigning and store.presigned_url(download.key, expires_in=PRESIGN_TTL_S) is not None
    body, fresh_for = _rewritten(store, download, directory=directory, version=current, presigning=presigning)
    return dataclasses.replace(download, freshness=freshness, body=body, size=len(body),
                               etag=hashlib.blake2b(body, digest_size=16).hexdigest(), fresh_for=fresh_for)


class Memo:
    """A small LRU of values made at a time, each served for at most ``ttl_s`` after it; at most
    ``entries`` of them, and of ``bytes`` values at most ``max_bytes`` in all."""

    def __init__(self, *, ttl_s: float, entries: int, max_bytes: int | None = None) -> None:
        self._items: OrderedDict[tuple[object, ...], tuple[float, Any]] = OrderedDict()
        self._ttl, self._entries, self._max_bytes = ttl_s, entries, max_bytes
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...], now: float) -> tuple[float, Any] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or now - found[0] >= self._ttl:
                return None
            self._items.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], made: float, value: Any) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= _weight(old[1])
            self._items[key] = (made, value)
            self._bytes += _weight(value)
            while len(self._items) > self._entries or (
                    self._max_bytes is not None and self._bytes > self._max_bytes and len(self._items) > 1):
                self._bytes -= _weight(self._items.popitem(last=False)[1][1])


def _weight(value: Any) -> int:
    return len(value) if isinstance(value, bytes) else 0


# The rewritten playlists, by (key, etag of the stored file, presigning).
_REWRITES = Memo(ttl_s=REUSE_S, entries=_CACHE_ENTRIES, max_bytes=64 << 20)
# The segments of a current version already found: a viewer's next fetch of one needs neither the
# manifest's row nor a stat. Its file may since be gone (the video deleted, the ladder rebuilt and
# pruned): the surface then finds no file to send and answers 404, as for any stale version.
_SEGMENTS = Memo(ttl_s=300, entries=8192)


def _rewritten(store: BlobStore, download: Download, *, directory: str, version: str,
               presigning: bool) -> tuple[bytes, int | None]:
    now = time.time()
    cache_key = (download.key, download.etag, presigning)
    found = _REWRITES.get(cache_key, now)
    if found is None:
        text = b"".join(store.open_range(download.key)).decode("utf-8", "replace")

        def uri(name: str) -> str:
            if "://" in name or name.startswith("/") or ".." in name.split("/") or "?" in name:
                return name  # not a file of this ladder: left as written
            if presigning and not is_playlist(name):
                url = store.presigned_url(directory + name, expires_in=PRESIGN_TTL_S, cache_control=SEGMENT_CACHE)
                if url:
                    return url
            return f"{name}?v={version}"

        rewritten = _rewrite_mpd(text, uri, presigning=presigning) if download.key.endswith(".mpd") \
            else _rewrite_hls(text, uri)
        found = (now, rewritten.encode())
        _REWRITES.put(cache_key, *found)
    made, body = found
    # A presigned URL must outlive the copy of the playlist that names it.
    return body, (max(1, int(made + REUSE_S - now)) if presigning else None)


def _rewrite_hls(text: str, uri: Callable[[str], str]) -> str:
    out = []
    for line in text.splitlines():
        bare = line.strip()
        if bare and not bare.startswith("#"):
            line = uri(bare)
        elif bare.startswith(("#EXT-X-MAP:", "#EXT-X-MEDIA:", "#EXT-X-I-FRAME-STREAM-INF:")):
            line = _MAP_URI.sub(lambda m: f'URI="{uri(m[1])}"', line)
        out.append(line)
    return "\n".join(out) + "\n"


def _rewrite_mpd(text: str, uri: Callable[[str], str], *, presigning: bool) -> str:
    for name, ns in (("", _MPD_NS), ("xsi", "http://www.w3.org/2001/XMLSchema-instance"),
                     ("xlink", "http://www.w3.org/1999/xlink")):
        ET.register_namespace(name, ns)
    root = ET.fromstring(text)
    for adaptation in root.iter(f"{{{_MPD_NS}}}AdaptationSet"):
        shared = adaptation.find("mpd:SegmentTemplate", _NS)
        for rep in adaptation.findall("mpd:Representation", _NS):
            template = rep.find("mpd:SegmentTemplate", _NS)
            owner = rep if template is not None else adaptation
            template = template if template is not None else shared
            if template is None:
                continue
            if presigning and template.find("mpd:SegmentTimeline", _NS) is not None:
                segment_list = _segment_list(template, rep.get("id", ""), uri)
                rep.append(segment_list)
                if owner is rep:
                    rep.remove(template)
            else:
                for attr in ("initialization", "media"):
                    if template.get(attr):
                        template.set(attr, uri(template.get(attr, "")))
        if presigning and shared is not None and shared.find("mpd:SegmentTimeline", _NS) is not None:
            adaptation.remove(shared)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def _segment_list(template: ET.Element, rep_id: str, uri: Callable[[str], str]) -> ET.Element:
    """The ``SegmentList`` that names, one presigned URL each, the files ``template`` names."""
    number = int(template.get("startNumber", "1"))
    out = ET.Element(f"{{{_MPD_NS}}}SegmentList", {k: v for k, v in template.attrib.items()
                                                    if k in ("timescale", "presentationTimeOffset", "startNumber")})
    init = template.get("initialization")
    if init:
        ET.SubElement(out, f"{{{_MPD_NS}}}Initialization", {"sourceURL": uri(_fill(init, rep_id, number))})
    timeline = template.find("mpd:SegmentTimeline", _NS)
    assert timeline is not None
    out.append(timeline)
    media = template.get("media", "")
    t = 0
    for s in timeline.findall("mpd:S", _NS):
        t = int(s.get("t", t))
        for _ in range(int(s.get("r", "0")) + 1):
            ET.SubElement(out, f"{{{_MPD_NS}}}SegmentURL", {"media": uri(_fill(media, rep_id, number, t))})
            number += 1
            t += int(s.get("d", "0"))
    return out


def _fill(template: str, rep_id: str, number: int, time_: int = 0) -> str:
    name = template.replace("$RepresentationID$", rep_id).replace("$Time$", str(time_))
    name = re.sub(r"\$Number%0(\d+)d\$", lambda m: f"{number:0{int(m[1])}d}", name)
    return name.replace("$Number$", str(number)).replace("$$", "$")
