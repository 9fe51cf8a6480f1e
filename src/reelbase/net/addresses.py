"""Classify IP addresses as safe or unsafe targets for a server-side fetch.

Contract: an address is *forbidden* unless it is a public unicast address that
routes to the open internet and does not wrap an IPv4 address. Concretely,
``forbidden_reason(ip)`` returns a short human-readable reason (``"private
address"``, ``"loopback address"``...) for any of:

- loopback, unspecified, link-local, multicast, private (RFC 1918, ULA),
  site-local, reserved, CGNAT ``100.64.0.0/10`` and every other range Python's
  ``ipaddress`` does not call ``is_global`` (note: ``100.64.0.1.is_private`` is
  False, which is why the test is ``not is_global``);
- multicast even when ``is_global`` says True (Python 3.11 reports
  ``224.0.0.1`` and ``ff0e::1`` as global);
- IPv6 ranges that tunnel or translate to IPv4 and therefore can reach an
  internal IPv4 host while looking "global": NAT64 ``64:ff9b::/96`` and
  ``64:ff9b:1::/48``, 6to4 ``2002::/16``, SIIT ``::ffff:0:0:0/96``;
- IPv4-mapped (``::ffff:a.b.c.d``) and IPv4-compatible (``::a.b.c.d``)
  addresses are unwrapped and the embedded IPv4 address is checked instead
  (so ``::ffff:127.0.0.1`` is refused as a loopback address).

``forbidden_reason`` returns None for allowed addresses; ``is_forbidden_address``
is the boolean form. Both accept ``str``, ``IPv4Address`` or ``IPv6Address``;
an IPv6 zone (``fe80::1%eth0``) is accepted. A string that is not an IP address
raises ``ValueError`` (callers pass addresses returned by the resolver, never
host names).
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

__all__ = ["IPAddress", "forbidden_reason", "is_forbidden_address", "parse_ip"]

IPAddress = IPv4Address | IPv6Address

# IPv6 prefixes that carry an IPv4 destination inside them. Python 3.11 reports
# their members as global, but a NAT64/6to4/SIIT gateway can deliver packets to
# internal IPv4 hosts (64:ff9b::a00:1 is 10.0.0.1 behind NAT64).
_IPV4_TRANSLATION_NETWORKS: tuple[tuple[IPv6Network, str], ...] = (
    (IPv6Network("64:ff9b::/96"), "NAT64 address"),
    (IPv6Network("64:ff9b:1::/48"), "NAT64 address"),
    (IPv6Network("2002::/16"), "6to4 address"),
    (IPv6Network("::ffff:0:0:0/96"), "IPv4-translated address"),
)

# ::a.b.c.d (deprecated IPv4-compatible form); :: and ::1 are handled earlier.
_IPV4_COMPATIBLE = IPv6Network("::/96")
_CGNAT = IPv4Network("100.64.0.0/10")


def parse_ip(value: str | IPAddress) -> IPAddress:
    """Return ``value`` as an ``ipaddress`` object; raise ``ValueError`` if it is not an IP."""
    if isinstance(value, (IPv4Address, IPv6Address)):
        return value
    if not isinstance(value, str):
        raise ValueError(f"not an IP address: {value!r}")
    return ipaddress.ip_address(value.strip())


def _reason_v4(ip: IPv4Address) -> str | None:
    if ip.is_unspecified or ip in IPv4Network("0.0.0.0/8"):
        return "unspecified address"
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if ip in _CGNAT:
        return "shared (carrier-grade NAT) address"
    return _reason_either(ip)


def _reason_v6(ip: IPv6Address) -> str | None:
    if ip.scope_id:
        # A zone only makes sense for link-local destinations; compare without it.
        ip = IPv6Address(ip.compressed.split("%", 1)[0])
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_loopback:
        return "loopback address"
    mapped = ip.ipv4_mapped
    if mapped is not None:
        inner = _reason_v4(mapped)
        return f"IPv4-mapped {inner}" if inner else None
    if ip in _IPV4_COMPATIBLE:
        inner_ip = IPv4Address(int(ip) & 0xFFFFFFFF)
        inner = _reason_v4(inner_ip)
        # Deprecated form: refuse even when the embedded address is public.
        return f"IPv4-compatible {inner}" if inner else "IPv4-compatible address"
    for network, reason in _IPV4_TRANSLATION_NETWORKS:
        if ip in network:
            return reason
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_site_local:
        return "site-local address"
    return _reason_either(ip)


def _reason_either(ip: IPAddress) -> str | None:
    """The last checks, the same for both families once their own special ranges are out of the
    way (the most specific reason is named first)."""
    if ip.is_private:
        return "private address"
    if ip.is_reserved:
        return "reserved address"
    if not ip.is_global:
        return "non-public address"
    return None


def forbidden_reason(ip: str | IPAddress) -> str | None:
    """Why ``ip`` must not be fetched from (e.g. ``"private address"``), or None if allowed."""
    addr = parse_ip(ip)
    if isinstance(addr, IPv4Address):
        return _reason_v4(addr)
    return _reason_v6(addr)


def is_forbidden_address(ip: str | IPAddress) -> bool:
    """True if a server-side fetch must refuse to connect to ``ip`` (see module docstring)."""
    return forbidden_reason(ip) is not None
