"""The one reader of upload request bodies: a raw body, or multipart/form-data whose file part is
streamed and whose small text fields are kept (those before the file once it is opened, those
after it too once the file has been read to its end).

Every surface that receives a file reads it through :class:`UploadBody`, so the rules live here
once: form fields merge under the query string (the query wins, as a signed URL's parameters must
not be overridden by the form), and the filename is the file part's own, else the first named
form field, else the first named query parameter. The bytes stream in constant memory
(``streams``: batched, read ahead into a small bounded queue; ``multipart``: parsed as they come).
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request

from reelbase.edge.multipart import MultipartFile
from reelbase.edge.streams import batched, pull_from_loop
from reelbase.core.numbers import is_decimal

FILENAME_KEYS = ("filename",)


def request_chunks(request: Request) -> Iterator[bytes]:
    """The body, pulled from the event loop by the worker thread that consumes it. Nothing is
    read until the first chunk is asked for."""
    return pull_from_loop(batched(request.stream()))


def declared_length(request: Request) -> int | None:
    """The request's Content-Length, None when absent or not a plain number."""
    value = request.headers.get("content-length")
    return int(value) if is_decimal(value) else None


class UploadBody:
    """One request's upload body. Build it on the event loop (it only notes the headers and the
    query); call :meth:`open` in the worker thread that consumes :attr:`chunks`."""

    def __init__(self, request: Request) -> None:
        self.header_type = request.headers.get("content-type", "")
        self.declared_length = declared_length(request)
        self.query: dict[str, str] = dict(request.query_params)
        self._raw = request_chunks(request)
        self._form: MultipartFile | None = None
        self.chunks: Iterator[bytes] = self._raw
        self.filename: str | None = None
        self.content_type: str | None = None

    @property
    def multipart(self) -> bool:
        return self.header_type.lower().startswith("multipart/")

    @property
    def fields(self) -> dict[str, str]:
        """The form's text fields read so far (all those before the file part once opened, the
        ones after it as well once the file is consumed, and still readable after :meth:`open`
        refused a form without a file part)."""
        return self._form.fields if self._form is not None else {}

    @property
    def params(self) -> dict[str, str]:
        """Form fields and query parameters as one mapping; the query wins."""
        return {**self.fields, **self.query}

    def open(self, *, filename_keys: tuple[str, ...] = FILENAME_KEYS, multipart_only: bool = False) -> UploadBody:
        """Read up to the file's bytes: for multipart, through the fields before the file part
        and its headers. Blocking: call from a worker thread. ``multipart_only`` refuses a raw
        body (InvalidInput), as form-only endpoints always have."""
        if self.multipart or multipart_only:
            self._form = MultipartFile(self._raw, self.header_type)
            self._form.open()
            self.chunks = iter(self._form)
            self.content_type = self._form.content_type
        else:
            self.content_type = self.header_type or None
        self.filename = self._pick_filename(filename_keys)
        return self

    def _pick_filename(self, keys: tuple[str, ...]) -> str | None:
        part = self._form.filename if self._form is not None else None
        if part:
            return part
        for source in (self.fields, self.query):
            for key in keys:
                if source.get(key):
                    return source[key]
        return None
