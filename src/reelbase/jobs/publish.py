"""Publishing HLS while the ladder is still encoding, so a player can start before it ends.

ffmpeg's dash muxer rewrites the per-stream playlists (``dash/media_<n>.m3u8``) after each
finished segment. Once a second the publisher reads each playlist, uploads the segments it names
(and its init segment) that are not stored yet, and only then uploads that same playlist text, so
a stored playlist never names a missing segment. When every variant has a playlist stored it
uploads the master and registers the ``hls`` stream, marked ``live`` until the final swap.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
_MAP = re.compile(r'#EXT-X-MAP:URI="([^"]+)"')


def playlist_files(text: str) -> list[str]:
    """The files a media playlist needs: its init segment and its media segments, in order."""
    names = _MAP.findall(text)
    names += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return [n for n in names if "/" not in n and ".." not in n]


class LivePublisher:
    def __init__(self, *, dash_dir: Path, prefix: str, put_file: Callable[[str, Path], object],
                 put_bytes: Callable[[str, bytes], object], on_master: Callable[[str], None],
                 interval_s: float = 1.0) -> None:
        self.dash_dir = dash_dir
        self.prefix = prefix  # the ladder prefix; files go under prefix + "dash/"
        self._put_file, self._put_bytes, self._on_master = put_file, put_bytes, on_master
        self.uploaded: dict[str, int] = {}  # name -> size stored
        self._variants_ready: set[str] = set()
        self._master_done = False
        self._stop = threading.Event()
        self._interval = interval_s
        self._thread = threading.Thread(target=self._run, name="hls-publisher", daemon=True)

    def __enter__(self) -> LivePublisher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.publish_once()
            except Exception:  # publishing early is best effort; the final upload is the truth
                log.warning("live HLS publishing failed", exc_info=True)

    def _key(self, name: str) -> str:
        return f"{self.prefix}dash/{name}"

    def publish_once(self) -> None:
        master = self.dash_dir / "master.m3u8"
        if not master.exists():
            return
        master_text = master.read_text()
        variants = [line.strip() for line in master_text.splitlines() if line.strip() and not line.startswith("#")]
        variants += re.findall(r'URI="([^"]+\.m3u8)"', master_text)
        for variant in variants:
            path = self.dash_dir / variant
            if "/" in variant or not path.exists():
                continue
            text = path.read_text()
            needed = playlist_files(text)
            if not needed or len(needed) < 2:
                continue  # no media segment yet
            for name in needed:
                seg = self.dash_dir / name
                size = seg.stat().st_size
                if self.uploaded.get(name) != size:
                    self._put_file(self._key(name), seg)
                    self.uploaded[name] = size
            self._put_bytes(self._key(variant), text.encode())
            self._variants_ready.add(variant)
        if not self._master_done and variants and all(v in self._variants_ready for v in variants):
            self._put_bytes(self._key("master.m3u8"), master_text.encode())
            self._master_done = True
            self._on_master("dash/master.m3u8")
