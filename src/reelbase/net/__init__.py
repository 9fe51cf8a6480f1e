"""Network helpers that are safe to point at a user's URL.

Public API (this package imports nothing from the rest of Reelbase; callers
pass options in):

- ``fetch_stream(url, *, policy, chunk_size)``: SSRF-safe streaming GET
  (context manager yielding a ``FetchResponse``), see ``fetch.py``.
- ``post_bytes(url, body, *, headers, policy)``: the same guard for a POST (webhooks).
- ``FetchPolicy`` and ``parse_allow_hosts`` (for ``REELBASE_FETCH_ALLOW_HOSTS``).
- ``FetchError`` and its groups ``UnsafeURLError``, ``FetchLimitError``,
  ``UpstreamError``; ``error.code`` is stable.
- ``is_forbidden_address`` / ``forbidden_reason``: the address check.
- ``sanitize_filename``: safe display names for any untrusted file name.
"""

from .addresses import forbidden_reason, is_forbidden_address
from .errors import FetchError, FetchLimitError, UnsafeURLError, UpstreamError
from .fetch import FetchResponse, fetch_stream, post_bytes
from .filenames import filename_from_content_disposition, filename_from_url, sanitize_filename
from .policy import FetchPolicy, parse_allow_hosts

__all__ = [
    "FetchError",
    "FetchLimitError",
    "FetchPolicy",
    "FetchResponse",
    "UnsafeURLError",
    "UpstreamError",
    "fetch_stream",
    "filename_from_content_disposition",
    "filename_from_url",
    "forbidden_reason",
    "is_forbidden_address",
    "parse_allow_hosts",
    "post_bytes",
    "sanitize_filename",
]
