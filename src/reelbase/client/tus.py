"""A tus 1.0 client for people and scripts: the engine of ``reelbase upload``.

:class:`TusUploader` sends a file in chunks (``PATCH`` with ``Upload-Offset``), reporting
progress as the bytes leave, and survives what networks and servers do: a failed chunk is
retried from the offset the server reports (``HEAD``), so a dropped connection or a restarted
server costs at most the chunk in flight. The upload URL of every unfinished file is kept in a
small JSON file (:class:`ResumeStore`), keyed by server, absolute path, size and modification
time, so running the same command again after Ctrl-C, a crash or a reboot resumes the upload
instead of starting over; a changed file starts a new upload.

Speaks only HTTP (httpx); imports nothing from the server side.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

TUS = {"Tus-Resumable": "1.0.0"}
DEFAULT_CHUNK = 8 << 20
PIECE = 256 << 10
Progress = Callable[[int, int], None]  # (bytes confirmed or in flight, total)
T = TypeVar("T")


class UploadError(Exception):
    """The upload cannot go on (refused by the server, or retries exhausted)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


TRANSIENT = {423, 500, 502, 503, 504}


@dataclass(frozen=True)
class UploadResult:
    path: Path
    upload_url: str
    video_id: str
    video_url: str
    original_url: str
    resumed_from: int


def default_state_file() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "reelbase" / "uploads.json"


class ResumeStore:
    """Upload URLs of unfinished files, in a JSON file replaced atomically on every change."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_state_file()

    @staticmethod
    def key(server: str, path: Path) -> str:
        st = path.stat()
        return f"{server.rstrip('/')}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".uploads-")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, self.path)

    def get(self, key: str) -> str | None:
        return self._load().get(key)

    def put(self, key: str, url: str) -> None:
        self._save({**self._load(), key: url})

    def drop(self, key: str) -> None:
        data = self._load()
        if data.pop(key, None) is not None:
            self._save(data)


def _metadata(pairs: dict[str, str | None]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items() if v)


class TusUploader:
    """Upload files to a Reelbase server over tus, resumably."""

    def __init__(self, server: str, key: str, *, chunk_size: int = DEFAULT_CHUNK, store: ResumeStore | None = None,
                 retries: int = 8, client: httpx.Client | None = None) -> None:
        self.server = server.rstrip("/")
        self.chunk_size = chunk_size
        self.store = store or ResumeStore()
        self.retries = retries
        self.client = client or httpx.Client(headers={"Authorization": f"Bearer {key}", **TUS},
                                             timeout=httpx.Timeout(60, connect=10), trust_env=False)

    # -- protocol steps ------------------------------------------------------------------------

    def _check(self, r: httpx.Response, *ok: int) -> httpx.Response:
        if r.status_code in ok:
            return r
        try:
            message = r.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = r.text[:200] or r.reason_phrase
        raise UploadError(f"{r.request.method} {r.request.url.path}: {r.status_code} {message}", status=r.status_code)

    def create(self, path: Path, *, title: str | None, project: str | None) -> str:
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        meta = _metadata({"filename": path.name, "filetype": ctype, "title": title or path.stem, "project": project})
        r = self._check(self.client.post(f"{self.server}/api/v1/uploads/",
                                         headers={"Upload-Length": str(path.stat().st_size), "Upload-Metadata": meta}),
                        201)
        return r.headers["Location"]

    def server_offset(self, url: str) -> int | None:
        """The server's offset, or None when the upload is gone (expired, unknown)."""
        r = self.client.head(url)
        if r.status_code in (404, 410):
            return None
        return int(self._check(r, 200).headers["Upload-Offset"])

    def _send(self, url: str, f: object, offset: int, size: int, on_progress: Progress) -> int:
        length = min(self.chunk_size, size - offset)

        def body() -> Iterator[bytes]:
            sent = 0
            f.seek(offset)  # type: ignore[attr-defined]
            while sent < length:
                piece = f.read(min(PIECE, length - sent))  # type: ignore[attr-defined]
                if not piece:
                    raise UploadError(f"the file shrank while uploading (at byte {offset + sent})")
                sent += len(piece)
                yield piece
                on_progress(offset + sent, size)

        r = self.client.patch(url, content=body(), headers={
            "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset),
            "Content-Length": str(length)})
        if r.status_code == 409:  # our idea of the offset was wrong: ask the server
            return self.server_offset(url) or 0
        return int(self._check(r, 204).headers["Upload-Offset"])

    # -- the whole file ------------------------------------------------------------------------

    def upload(self, path: Path, *, title: str | None = None, project: str | None = None,
               on_progress: Progress | None = None) -> UploadResult:
        """Upload ``path`` (resuming an earlier, unfinished upload of the same file)."""
        report = on_progress or (lambda done, total: None)
        path = Path(path)
        size = path.stat().st_size
        if size == 0:
            raise UploadError(f"{path} is empty")
        key = ResumeStore.key(self.server, path)
        url = self.store.get(key)
        offset = self._retrying(lambda: self.server_offset(url)) if url else None
        if url is None or offset is None:
            url = self._retrying(lambda: self.create(path, title=title, project=project))
            self.store.put(key, url)
            offset = 0
        resumed_from = offset
        report(offset, size)
        failures = 0
        with open(path, "rb") as f:
            while offset < size:
                try:
                    offset = self._send(url, f, offset, size, report)
                    failures = 0
                except (httpx.TransportError, UploadError) as exc:
                    failures = self._pause(exc, failures)
                    found = self._retrying(lambda: self.server_offset(url))
                    if found is None:
                        self.store.drop(key)
                        raise UploadError("the upload expired on the server; run again to start over") from exc
                    offset = found
                report(offset, size)
        head = self._retrying(lambda: self._check(self.client.head(url), 200))
        self.store.drop(key)
        video_id = head.headers["Reelbase-Video"]
        video_url = f"{self.server}/api/v1/videos/{video_id}"
        return UploadResult(path=path, upload_url=url, video_id=video_id, video_url=video_url,
                            original_url=f"{video_url}/original", resumed_from=resumed_from)

    def _pause(self, exc: Exception, failures: int) -> int:
        """Wait before another attempt (1, 2, 4 … 30 s) if ``exc`` is worth one; else raise."""
        transient = isinstance(exc, httpx.TransportError) or getattr(exc, "status", None) in TRANSIENT
        if not transient or failures >= self.retries:
            raise UploadError(str(exc), status=getattr(exc, "status", None)) from exc
        time.sleep(min(2.0 ** failures, 30.0))
        return failures + 1

    def _retrying(self, step: Callable[[], T]) -> T:
        failures = 0
        while True:
            try:
                return step()
            except (httpx.TransportError, UploadError) as exc:
                failures = self._pause(exc, failures)

    def wait_ready(self, video_id: str, *, on_state: Callable[[dict], None] | None = None,
                   timeout: float = 3600, poll: float = 2.0) -> dict:
        """Poll the video until it is ``ready`` or ``failed`` (or ``timeout`` seconds pass)."""
        deadline = time.monotonic() + timeout
        while True:
            video = self._retrying(lambda: self._check(self.client.get(f"{self.server}/api/v1/videos/{video_id}"),
                                                       200)).json()
            if on_state:
                on_state(video)
            if video["state"] in ("ready", "failed") or time.monotonic() >= deadline:
                return video
            time.sleep(poll)
