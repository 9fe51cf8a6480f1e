"""``FetchPolicy``: the limits and exceptions a URL fetch runs under.

The policy is plain data built by the caller (from settings); this package
reads no configuration itself. ``allow_hosts`` holds entries ``"host"`` (any
port) or ``"host:port"`` whose addresses skip the forbidden-address check, for
tests and intranet deployments (``REELBASE_FETCH_ALLOW_HOSTS``, parse it with
``parse_allow_hosts``). An entry matches the host *as written in the URL*
(case-insensitive, trailing dot ignored, IDNA-encoded, IP literals compared
canonically): allowing ``127.0.0.1:8000`` does not allow ``localhost:8000``,
nor a public name whose DNS answer is 127.0.0.1. Everything else about the
fetch (scheme, credentials, size, redirects, time) still applies to allowed
hosts, and every redirect hop is matched again.

IPv6 entries are written ``"::1"`` (any port) or ``"[::1]:8080"``.
"""

from __future__ import annotations

import ipaddress
import re
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FetchPolicy", "normalize_host", "parse_allow_hosts"]

_HOST_CHARS = re.compile(r"^[a-z0-9._-]+$")


def normalize_host(host: str) -> str:
    """Canonical form of a host for comparisons: lowercase, no trailing dot,
    IDNA (punycode) for non-ASCII names, compressed form for IP literals
    (without brackets). Raises ``ValueError`` for something that is not a host."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.rstrip(".")
    if not host:
        raise ValueError("empty host")
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        pass
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValueError(f"not a valid host name: {host!r}") from exc
    if not _HOST_CHARS.match(host):
        raise ValueError(f"not a valid host name: {host!r}")
    return host


def _split_entry(entry: str) -> tuple[str, int | None]:
    text = entry.strip()
    port_text: str | None = None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad allow-list entry {entry!r}: expected [v6addr] or [v6addr]:port")
        port_text = rest[1:] if rest else None
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host = text  # a name, an IPv4 address or a bare IPv6 address
    port: int | None = None
    if port_text is not None:
        if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
            raise ValueError(f"bad allow-list entry {entry!r}: port must be 1-65535")
        port = int(port_text)
    try:
        return normalize_host(host), port
    except ValueError as exc:
        raise ValueError(f"bad allow-list entry {entry!r}: {exc}") from None


def _format_entry(host: str, port: int | None) -> str:
    if port is None:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_allow_hosts(value: str | Iterable[str] | None) -> frozenset[str]:
    """Parse a comma-separated ``host[:port]`` list (or an iterable of entries)
    into canonical entries; empty items are skipped, a malformed one raises
    ``ValueError`` naming it."""
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else value
    out = set()
    for item in items:
        if item.strip():
            out.add(_format_entry(*_split_entry(item)))
    return frozenset(out)


@dataclass(frozen=True, kw_only=True)
class FetchPolicy:
    """Limits for one fetch. All durations are seconds.

    - ``allow_hosts``: see module docstring; normalized on construction.
    - ``max_bytes``: the most body bytes accepted (after decoding).
    - ``max_redirects``: redirects followed; one more is ``too_many_redirects``.
    - ``connect_timeout``: for name resolution and for each TCP/TLS connect.
    - ``read_timeout``: the longest wait for any single read from the server.
    - ``total_timeout_s``: wall-clock budget for the whole fetch, from entering
      ``fetch_stream`` until the body is read (time the caller spends between
      chunks counts). Checked before each hop and after every network read,
      and each request's timeouts are capped to what is left, so a fetch ends
      at most one ``read_timeout`` after the budget runs out.
    - ``user_agent``: sent on every request.
    - ``ssl_context``: trust store for https (None: httpx's default, certifi).
      Certificates are always verified, against the URL's host name.
    """

    allow_hosts: frozenset[str] = frozenset()
    max_bytes: int = 5 * 1024**3
    max_redirects: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout_s: float = 3600.0
    user_agent: str = "Reelbase/0.1 (+upload by URL)"
    ssl_context: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "allow_hosts", parse_allow_hosts(self.allow_hosts))
        if self.max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        if self.max_redirects < 0:
            raise ValueError("max_redirects must be >= 0")
        for name in ("connect_timeout", "read_timeout", "total_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0")

    def allows_host(self, host: str, port: int) -> bool:
        """True if ``host`` (as written in the URL) on ``port`` is on the allow list."""
        if not self.allow_hosts:
            return False
        try:
            canonical = normalize_host(host)
        except ValueError:
            return False
        return (
            canonical in self.allow_hosts
            or _format_entry(canonical, port) in self.allow_hosts
        )
