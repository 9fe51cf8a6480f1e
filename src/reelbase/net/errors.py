"""Errors raised by the URL fetcher.

Every failure of ``fetch_stream`` is a ``FetchError`` with a stable machine
``code`` (API responses and job records store it) and a ``message`` a person
can act on ("refusing to fetch 10.0.0.1: private address"). Messages never
contain credentials. The subclasses group codes so callers can decide what to
tell whom:

- ``UnsafeURLError``: the URL itself is refused, nothing was sent to it:
  ``bad_url``, ``bad_scheme``, ``credentials_in_url``, ``forbidden_address``.
- ``FetchLimitError``: a limit of the ``FetchPolicy`` was hit:
  ``too_large``, ``too_many_redirects``, ``timeout``.
- ``UpstreamError``: the remote side failed: ``resolve_failed``,
  ``connect_failed``, ``http_status`` (final status not 2xx; ``status`` holds
  it), ``bad_response`` (broken HTTP, connection lost mid-body),
  ``unsupported_encoding`` (a Content-Encoding we do not decode).

Use ``FetchError.create(code, message)`` to get the right subclass for a code.
"""

from __future__ import annotations

__all__ = [
    "FetchError",
    "FetchLimitError",
    "UnsafeURLError",
    "UpstreamError",
]


class FetchError(Exception):
    """A fetch failed; ``code`` is stable, ``message`` is for people."""

    codes: frozenset[str] = frozenset()

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    @staticmethod
    def create(code: str, message: str, *, status: int | None = None) -> "FetchError":
        """Instantiate the subclass that owns ``code`` (``FetchError`` itself if none does)."""
        for cls in (UnsafeURLError, FetchLimitError, UpstreamError):
            if code in cls.codes:
                return cls(code, message, status=status)
        return FetchError(code, message, status=status)


class UnsafeURLError(FetchError):
    """The URL is refused before any request is sent."""

    codes = frozenset({"bad_url", "bad_scheme", "credentials_in_url", "forbidden_address"})


class FetchLimitError(FetchError):
    """A size, redirect or time limit was exceeded."""

    codes = frozenset({"too_large", "too_many_redirects", "timeout"})


class UpstreamError(FetchError):
    """The remote server or network failed."""

    codes = frozenset(
        {"resolve_failed", "connect_failed", "http_status", "bad_response", "unsupported_encoding"}
    )
