"""Streaming multipart/form-data: yields the file part's bytes as they arrive, in constant
memory, and keeps the small text fields that come before it (and, once the file part has been
read to its end, those after it; a further part with a filename is skipped).

The file part is the one named ``file`` (or, failing that, the first part with a filename).
Text fields are capped at 64 KiB in all, so a hostile form cannot grow memory.
"""

from __future__ import annotations

from collections.abc import Iterator

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from reelbase.core.errors import InvalidInput, MalformedBody

MAX_FIELDS_BYTES = 64 * 1024


class MultipartFile:
    def __init__(self, raw: Iterator[bytes], content_type: str) -> None:
        ctype, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if ctype != b"multipart/form-data" or not boundary:
            raise InvalidInput("expected multipart/form-data with a boundary", field="file")
        self._raw = raw
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.content_type: str | None = None
        self._out: list[bytes] = []
        self._headers: dict[str, str] = {}
        self._hname = bytearray()
        self._hvalue = bytearray()
        self._part_name: str | None = None
        self._in_file = False
        self._text_part = False
        self._file_done = False
        self._found = False
        self._field_buf = bytearray()
        self._fields_size = 0
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": lambda d, s, e: self._hname.extend(d[s:e]),
                "on_header_value": lambda d, s, e: self._hvalue.extend(d[s:e]),
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )
        self._exhausted = False

    # parser callbacks -------------------------------------------------------------------
    def _on_part_begin(self) -> None:
        self._headers = {}
        self._part_name = None
        self._field_buf = bytearray()

    def _on_header_end(self) -> None:
        # latin-1 keeps the raw bytes (WSGI convention); filenames are decoded as UTF-8 later.
        self._headers[self._hname.decode("latin-1").lower()] = self._hvalue.decode("latin-1")
        self._hname.clear()
        self._hvalue.clear()

    def _on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        self._part_name = name
        self._text_part = filename is None
        if not self._found and not self._file_done and (name == "file" or filename is not None):
            self._found = self._in_file = True
            self.filename = filename.decode("utf-8", "replace") if filename is not None else None
            self.content_type = self._headers.get("content-type")

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._out.append(data[start:end])
        elif self._text_part:
            self._fields_size += end - start
            if self._fields_size > MAX_FIELDS_BYTES:
                raise InvalidInput("form fields too large", field="file")
            self._field_buf.extend(data[start:end])

    def _on_part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self._file_done = True
        elif self._part_name and self._text_part:
            self.fields[self._part_name] = self._field_buf.decode("utf-8", "replace")

    # driving ----------------------------------------------------------------------------
    def _feed_one(self) -> bool:
        try:
            chunk = next(self._raw)
        except StopIteration:
            self._exhausted = True
            self._parse(None)
            return False
        self._parse(chunk)
        return True

    def _parse(self, chunk: bytes | None) -> None:
        # The parser's own errors say what broke in the client's body; they are the client's fault.
        try:
            if chunk is None:
                self._parser.finalize()
            else:
                self._parser.write(chunk)
        except FormParserError as exc:
            raise MalformedBody(f"malformed multipart body: {exc}", field="file") from None

    def open(self) -> MultipartFile:
        """Read until the file part's headers are known (filename, content type)."""
        while not self._found:
            if not self._feed_one():
                raise InvalidInput("multipart body has no 'file' part", field="file")
        return self

    def __iter__(self) -> Iterator[bytes]:
        while True:
            if self._out:
                out, self._out = self._out, []
                yield b"".join(out)
            if self._file_done or self._exhausted:
                break
            self._feed_one()
        if not self._file_done:
            raise InvalidInput("multipart body ended inside the file part (truncated upload)", field="file")
        # Drain the rest so trailing fields are parsed; bounded by MAX_FIELDS_BYTES.
        while not self._exhausted:
            self._feed_one()
