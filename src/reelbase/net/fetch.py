"""SSRF-safe streaming fetch of a user's URL ("upload by URL").

``fetch_stream(url, policy=...)`` is a context manager yielding a
``FetchResponse`` whose ``iter_bytes()`` streams the body. Contract:

- Only ``http`` and ``https``; a URL with a user name or password is refused.
- Each hop's host is resolved exactly once (``socket.getaddrinfo``, bounded by
  ``connect_timeout``). If *any* address is forbidden (``addresses.py``) the
  fetch is refused and nothing is sent, unless ``host[:port]`` is on
  ``policy.allow_hosts``. The request then goes to one of those checked
  addresses (the URL is rewritten to the IP, the ``Host`` header keeps the
  name, https uses the name for SNI and certificate verification), so a DNS
  answer that changes between check and connect (rebinding) is never used.
- Redirects (301, 302, 303, 307, 308) are followed by hand, at most
  ``policy.max_redirects``, each hop checked like the first; a relative
  ``Location`` is resolved against the current URL.
- No proxies or other settings from the environment (``trust_env=False``),
  no connection reuse between hops.
- Size: a ``Content-Length`` over ``max_bytes`` is refused before the body is
  read; the body is counted while streaming and the fetch aborts as soon as it
  exceeds ``max_bytes`` (the caller never receives more than ``max_bytes``).
  ``gzip``/``deflate`` bodies (sent despite ``Accept-Encoding: identity``) are
  decoded with bounded output and the decoded size counts.
- Time: see ``FetchPolicy.total_timeout_s``.
- The final status must be 2xx, else ``FetchError("http_status")``.

Every failure is a ``FetchError`` (see ``errors.py``), raised either when
entering the ``with`` block or from ``iter_bytes()``.
"""

from __future__ import annotations

import functools
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from .addresses import IPAddress, forbidden_reason, parse_ip
from .errors import FetchError
from .filenames import filename_from_content_disposition, filename_from_url, sanitize_filename
from .policy import FetchPolicy, normalize_host

__all__ = ["FetchResponse", "fetch_stream"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_URL_LENGTH = 8192
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class _Target:
    url: httpx.URL  # without fragment
    host: str  # ASCII (punycode), lowercase, no brackets
    port: int
    is_ip_literal: bool


@functools.lru_cache(maxsize=1)
def _default_ssl_context() -> ssl.SSLContext:
    """httpx's verifying context (certifi), built once: loading it costs ~50 ms.
    ``trust_env=False``: SSL_CERT_FILE and friends are ignored like proxies."""
    return httpx.create_ssl_context(verify=True, trust_env=False)


def _fail(code: str, message: str, *, status: int | None = None) -> FetchError:
    return FetchError.create(code, message, status=status)


def _parse_target(url: str | httpx.URL) -> _Target:
    """Validate scheme, credentials and host of ``url`` (no network)."""
    if isinstance(url, str) and len(url) > MAX_URL_LENGTH:
        raise _fail("bad_url", f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise _fail("bad_url", f"not a valid URL: {exc}") from None
    scheme = parsed.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        shown = f"'{scheme}:' URLs" if scheme else "URLs without a scheme"
        raise _fail("bad_scheme", f"only http:// and https:// URLs can be fetched, not {shown}")
    if parsed.userinfo:
        raise _fail(
            "credentials_in_url",
            "refusing a URL with a user name or password in it; "
            "make the file downloadable without them (for example a signed link)",
        )
    if not parsed.raw_host:
        raise _fail("bad_url", "the URL has no host name")
    try:
        host = normalize_host(parsed.raw_host.decode("ascii"))
    except ValueError:
        raise _fail("bad_url", "the URL's host name is not valid") from None
    try:
        parse_ip(host)
        is_ip = True
    except ValueError:
        is_ip = False
    port = parsed.port or _DEFAULT_PORTS[scheme]
    return _Target(parsed.copy_with(fragment=None), host, port, is_ip)


def _getaddrinfo(host: str, port: int, timeout: float) -> list[tuple]:
    """``socket.getaddrinfo`` in a helper thread so a hung resolver is bounded."""
    box: dict[str, object] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["result"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="reelbase-resolve", daemon=True).start()
    if not done.wait(timeout):
        raise _fail("timeout", f"looking up {host} took longer than {timeout:g} s")
    if "error" in box:
        raise _fail("resolve_failed", f"could not find the server {host}: check the address")
    return box["result"]  # type: ignore[return-value]


def _resolve_checked(target: _Target, policy: FetchPolicy, deadline: float) -> list[IPAddress]:
    """Resolve ``target.host`` once and apply the address check; return the
    addresses to connect to, in resolver order, without duplicates."""
    if target.is_ip_literal:
        addresses = [parse_ip(target.host)]
    else:
        timeout = min(policy.connect_timeout, _remaining(deadline, target))
        infos = _getaddrinfo(target.host, target.port, timeout)
        addresses = []
        for family, _type, _proto, _canon, sockaddr in infos:
            if family not in (socket.AF_INET, socket.AF_INET6):
                continue
            ip = parse_ip(str(sockaddr[0]))
            if ip not in addresses:
                addresses.append(ip)
        if not addresses:
            raise _fail("resolve_failed", f"the server {target.host} has no IP address")
    if policy.allows_host(target.host, target.port):
        return addresses
    for ip in addresses:
        reason = forbidden_reason(ip)
        if reason is None:
            continue
        if target.is_ip_literal:
            message = f"refusing to fetch {target.host}: {reason}"
        else:
            message = f"refusing to fetch {target.host}: it resolves to {ip}, a {reason}"
        raise _fail("forbidden_address", message + " (only public internet addresses are allowed)")
    return addresses


def _remaining(deadline: float, target: _Target | None = None) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        where = f" while fetching from {target.host}" if target else ""
        raise _fail("timeout", f"the download took longer than the time limit{where}")
    return left


def _timeout_error(exc: httpx.TimeoutException, target: _Target) -> FetchError:
    if isinstance(exc, httpx.ConnectTimeout):
        return _fail("timeout", f"connecting to {target.host} timed out")
    return _fail("timeout", f"the server {target.host} stopped sending data (timed out)")


def _send(client: httpx.Client, target: _Target, addresses: list[IPAddress],
          policy: FetchPolicy, deadline: float, *, method: str = "GET", content: bytes | None = None,
          extra_headers: dict[str, str] | None = None) -> httpx.Response:
    """Send the request to each checked address in turn until one connects."""
    headers = {
        "Host": target.url.netloc.decode("ascii"),
        "User-Agent": policy.user_agent,
        "Accept": "*/*",
        "Accept-Encoding": "identity",
        "Connection": "close",
        **(extra_headers or {}),
    }
    extensions = {}
    if target.url.scheme == "https" and not target.is_ip_literal:
        extensions["sni_hostname"] = target.host
    last_error: Exception | None = None
    for ip in addresses:
        left = _remaining(deadline, target)
        timeout = httpx.Timeout(
            connect=min(policy.connect_timeout, left),
            read=min(policy.read_timeout, left),
            write=min(policy.read_timeout, left),
            pool=min(policy.connect_timeout, left),
        )
        try:
            request = client.build_request(
                method, target.url.copy_with(host=str(ip)),
                headers=headers, timeout=timeout, extensions=extensions, content=content,
            )
            return client.send(request, stream=True)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.InvalidURL) as exc:
            last_error = exc
        except httpx.TimeoutException as exc:
            raise _timeout_error(exc, target) from None
        except httpx.HTTPError as exc:
            raise _fail("bad_response", f"the server {target.host} sent a broken response: {exc}") from None
    if isinstance(last_error, httpx.ConnectTimeout):
        raise _timeout_error(last_error, target)
    detail = f": {last_error}" if last_error else ""
    raise _fail("connect_failed", f"could not connect to {target.host} port {target.port}{detail}")


def _open(client: httpx.Client, url: str, policy: FetchPolicy,
          deadline: float) -> tuple[httpx.Response, _Target]:
    """Follow redirects by hand; return the open 2xx response and its target."""
    current: str | httpx.URL = url
    for hop in range(policy.max_redirects + 1):
        target = _parse_target(current)
        addresses = _resolve_checked(target, policy, deadline)
        response = _send(client, target, addresses, policy, deadline)
        status = response.status_code
        if status in REDIRECT_STATUSES:
            location = response.headers.get("location")
            response.close()
            if not location:
                raise _fail("http_status", f"the server answered {status} without a Location",
                            status=status)
            if hop == policy.max_redirects:
                raise _fail("too_many_redirects",
                            f"more than {policy.max_redirects} redirects; the link may loop")
            try:
                current = target.url.join(location.strip())
            except (httpx.InvalidURL, ValueError) as exc:
                raise _fail("bad_url", f"the server redirected to an invalid URL: {exc}") from None
            continue
        if not 200 <= status < 300:
            reason = response.reason_phrase
            response.close()
            raise _fail("http_status", f"the server answered {status} {reason}".rstrip(),
                        status=status)
        return response, target
    raise AssertionError("unreachable")  # pragma: no cover


class _Decoder:
    """Incremental gzip/deflate decoder whose output per step is bounded."""

    def __init__(self, encoding: str, step: int) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._step = step
        self._first = True
        self._obj = zlib.decompressobj(31 if self._gzip else 15)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self._obj.decompress(data, self._step)
            except zlib.error:
                if self._first and not self._gzip:  # "deflate" sent as raw deflate
                    self._obj = zlib.decompressobj(-15)
                    self._first = False
                    continue
                raise
            self._first = False
            if out:
                yield out
            data = self._obj.unconsumed_tail
            if self._obj.eof and self._obj.unused_data:
                data = self._obj.unused_data + data  # next gzip member
                self._obj = zlib.decompressobj(31 if self._gzip else 15)

    def flush(self) -> bytes:
        return self._obj.flush()


class FetchResponse:
    """An open, checked response. ``headers`` is httpx's case-insensitive
    ``Headers``. ``content_length`` is the announced body size in bytes (None
    when unknown or when the body is content-encoded), for a 0-100 progress.
    ``filename`` is the sanitized name from Content-Disposition, else from the
    final URL's last path segment, or None. ``iter_bytes()`` may be called once;
    it yields chunks of exactly ``chunk_size`` bytes except the last."""

    def __init__(self, *, final_url: str, status: int, headers: httpx.Headers,
                 content_length: int | None, filename: str | None,
                 chunks: Iterator[bytes]) -> None:
        self.final_url = final_url
        self.status = status
        self.headers = headers
        self.content_length = content_length
        self.filename = filename
        self._chunks: Iterator[bytes] | None = chunks

    def iter_bytes(self) -> Iterator[bytes]:
        if self._chunks is None:
            raise RuntimeError("iter_bytes() can only be called once")
        chunks, self._chunks = self._chunks, None
        return chunks

    def __repr__(self) -> str:
        return (f"FetchResponse(final_url={self.final_url!r}, status={self.status}, "
                f"content_length={self.content_length}, filename={self.filename!r})")


def _body(response: httpx.Response, target: _Target, encoding: str, policy: FetchPolicy,
          deadline: float, chunk_size: int) -> Iterator[bytes]:
    decoder = _Decoder(encoding, 1 << 16) if encoding != "identity" else None
    received = 0
    buffer = bytearray()

    def take(piece: bytes) -> Iterator[bytes]:
        nonlocal received
        received += len(piece)
        if received > policy.max_bytes:
            raise _fail("too_large", f"the file is larger than the limit of {policy.max_bytes} bytes")
        buffer.extend(piece)
        while len(buffer) >= chunk_size:
            yield bytes(buffer[:chunk_size])
            del buffer[:chunk_size]

    try:
        for raw in response.iter_raw():
            _remaining(deadline, target)
            pieces = decoder.feed(raw) if decoder else (raw,)
            for piece in pieces:
                yield from take(piece)
        if decoder:
            yield from take(decoder.flush())
    except httpx.TimeoutException as exc:
        raise _timeout_error(exc, target) from None
    except httpx.HTTPError as exc:
        raise _fail("bad_response", f"the download from {target.host} broke off: {exc}") from None
    except zlib.error:
        raise _fail("bad_response", f"the server {target.host} sent a corrupt {encoding} body") from None
    if buffer:
        yield bytes(buffer)


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    if value is None or not (value.strip().isascii() and value.strip().isdigit()):
        return None
    return int(value.strip())


def _client(policy: FetchPolicy) -> httpx.Client:
    return httpx.Client(
        trust_env=False,
        follow_redirects=False,
        verify=policy.ssl_context if policy.ssl_context is not None else _default_ssl_context(),
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=0),
        headers={"User-Agent": policy.user_agent},
    )


def post_bytes(url: str, body: bytes, *, headers: dict[str, str], policy: FetchPolicy,
               max_response_bytes: int = 4096) -> tuple[int, bytes]:
    """POST ``body`` to ``url`` under the same address checks as :func:`fetch_stream` (resolve
    once, refuse non-public addresses unless allowed, connect to the checked address). Redirects
    are not followed: the 3xx status is returned as it is. Returns (status, the first
    ``max_response_bytes`` of the answer). Raises :class:`FetchError` when nothing was answered."""
    deadline = time.monotonic() + policy.total_timeout_s
    target = _parse_target(url)
    addresses = _resolve_checked(target, policy, deadline)
    with _client(policy) as client:
        response = _send(client, target, addresses, policy, deadline, method="POST", content=body,
                         extra_headers=headers)
        try:
            excerpt = b""
            for piece in response.iter_raw():
                excerpt += piece[: max_response_bytes - len(excerpt)]
                if len(excerpt) >= max_response_bytes:
                    break
        except httpx.HTTPError:
            excerpt = b""
        finally:
            response.close()
        return response.status_code, excerpt


@contextmanager
def fetch_stream(url: str, *, policy: FetchPolicy, chunk_size: int = 1 << 20) -> Iterator[FetchResponse]:
    """Open ``url`` under ``policy`` and yield a ``FetchResponse`` (see module docstring).

    The connection is closed when the ``with`` block ends; ``iter_bytes()``
    must be consumed inside it.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    deadline = time.monotonic() + policy.total_timeout_s
    with _client(policy) as client:
        response, target = _open(client, url, policy, deadline)
        try:
            encoding = response.headers.get("content-encoding", "identity").strip().lower() or "identity"
            if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
                raise _fail("unsupported_encoding",
                            f"the server sent the file with {encoding!r} encoding, which is not supported")
            length = _content_length(response) if encoding == "identity" else None
            if length is not None and length > policy.max_bytes:
                raise _fail("too_large", f"the file is {length} bytes, more than the limit of "
                                         f"{policy.max_bytes} bytes")
            final_url = str(target.url)
            name = filename_from_content_disposition(response.headers.get("content-disposition"))
            filename = sanitize_filename(name) or sanitize_filename(filename_from_url(final_url))
            yield FetchResponse(
                final_url=final_url,
                status=response.status_code,
                headers=response.headers,
                content_length=length,
                filename=filename or None,
                chunks=_body(response, target, encoding, policy, deadline, chunk_size),
            )
        finally:
            response.close()
