"""The one signer for every expiring thing Reelbase signs with its server secret.

A signed thing is a *subject* (an upload id, a video's token or UUID) for one :class:`Purpose`,
valid until *expires* (integer unix seconds, UTC)::

    key       = HMAC-SHA256(server secret, "reelbase-signer:v1:" + purpose)
    signature = hex(HMAC-SHA256(key, subject + ":" + expires))     64 lowercase hex digits

Contract:

* Purpose-bound keys: every purpose signs with its own key, so a signature made for one purpose
  never verifies for another, even over the same subject and expiry.
* One expiry rule: a thing is expired once ``expires <= now``. :func:`expires_in` makes an
  expiry ``ttl`` seconds away; :func:`expires_at_hour_end` rounds it up to the end of the hour,
  for URL prefixes that caches should see unchanged across page loads within that hour.
* :func:`verify` parses before it computes anything, checks the signature (in constant time)
  before the expiry, so "expired" is only ever said of something this server signed, and
  answers every refusal with a :class:`SignatureRefused` subclass: :class:`SignatureMalformed`,
  :class:`SignatureMismatch`, :class:`SignatureExpired`. No other exception escapes it, whatever
  the caller passes in from a request.
* :func:`parse_expires`, :func:`parse_hex` and :func:`equal` are the pieces :func:`verify` is made
  of, for vendor formats that keep their own algorithm but should parse and compare the same way.

Callers keep their outward shape (query parameters, path segments, ``<expires>.<signature>``)
and translate these refusals into their own errors and messages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from reelbase.core.errors import DomainError, Forbidden

if TYPE_CHECKING:
    from reelbase.core.auth.throttle import Throttle

SIGNATURE_HEX = 64  # an HMAC-SHA256 in hex
# The last second a datetime can hold (9999-12-31 23:59:59 UTC): every accepted expiry can be
# shown as a date, and anything later is not an expiry a client was ever given.
MAX_EXPIRES = 253_402_300_799
MAX_SUBJECT = 128

_EXPIRES = re.compile(r"0|[1-9][0-9]{0,11}")  # ASCII only: \d and str.isdigit() take '¹' and '١'
_HEX = re.compile(r"[0-9a-fA-F]+")
_SUBJECT = re.compile(r"[!-~]+")  # printable ASCII, no spaces


class Purpose(StrEnum):
    """What a signature is for; each member gets its own key. Adding one here is the way to
    sign something new: two modules never share a purpose by accident."""

    UPLOAD_URL = "upload-url"  # a signed upload session, named by its id
    VIDEO_UPLOAD_URL = "video-upload-url"  # a signed upload session, named by its video's token
    PLAYBACK = "playback"  # a stream URL prefix of one video
    VIEW_TOKEN = "view-token"  # a private video's player page


class SignatureRefused(Forbidden):
    code = "signature_refused"


class SignatureMalformed(SignatureRefused):
    """Not something this signer could have made: refused before any signature is computed."""

    code = "signature_malformed"


class SignatureMismatch(SignatureRefused):
    """Well formed, but not signed by this server for this purpose, subject and expiry."""

    code = "signature_mismatch"


class SignatureExpired(SignatureRefused):
    """Signed by this server, but its time is up; ``expires`` says when it was."""

    code = "signature_expired"

    def __init__(self, message: str, *, expires: int) -> None:
        super().__init__(message, expires=expires)
        self.expires = expires


def _now(now: float | None) -> int:
    return int(time.time() if now is None else now)


def expires_in(ttl: int, *, now: float | None = None) -> int:
    """The expiry ``ttl`` seconds from now (whole seconds)."""
    return _now(now) + int(ttl)


def expires_at_hour_end(ttl: int, *, now: float | None = None) -> int:
    """An expiry at least ``ttl`` seconds away, rounded up to the next whole hour, so everything
    signed within the same hour carries the same expiry (and the same URL)."""
    return -(-expires_in(ttl, now=now) // 3600) * 3600


def parse_expires(value: object) -> int:
    """An expiry as given by a client (a str from a URL, or an int from a decoded document).

    Accepted: a non-negative int, or its canonical decimal text in ASCII digits (no sign, space or
    leading zero), up to :data:`MAX_EXPIRES`. Anything else is :class:`SignatureMalformed`.
    """
    if isinstance(value, bool):
        raise SignatureMalformed("the expiry is not a number of seconds")
    if isinstance(value, str):
        if not _EXPIRES.fullmatch(value):
            raise SignatureMalformed("the expiry is not a number of seconds")
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= MAX_EXPIRES:
        raise SignatureMalformed("the expiry is not a number of seconds")
    return value


def parse_hex(value: object, *, length: int = SIGNATURE_HEX) -> str:
    """``value`` in lowercase if it is exactly ``length`` ASCII hex digits (either case), else
    :class:`SignatureMalformed`."""
    if not isinstance(value, str) or len(value) != length or not _HEX.fullmatch(value):
        raise SignatureMalformed("the signature is not a hex string of the right length")
    return value.lower()


def equal(expected: str | bytes, given: str | bytes) -> bool:
    """Constant-time equality that never raises: text is compared as UTF-8, so a non-ASCII value
    from a request is simply unequal (``hmac.compare_digest`` refuses such text with TypeError)."""
    a = expected.encode() if isinstance(expected, str) else expected
    b = given.encode() if isinstance(given, str) else given
    return hmac.compare_digest(a, b)


def purpose_key(server_secret: str, purpose: Purpose) -> bytes:
    """The key that signs ``purpose``: derived, so the server secret itself never signs anything."""
    return hmac.new(server_secret.encode(), f"reelbase-signer:v1:{Purpose(purpose).value}".encode(),
                    hashlib.sha256).digest()


def _check_subject(subject: object) -> str:
    if not isinstance(subject, str) or len(subject) > MAX_SUBJECT or not _SUBJECT.fullmatch(subject):
        raise SignatureMalformed("the signed name is not a short printable ASCII string")
    return subject


def sign(server_secret: str, purpose: Purpose, subject: str, *, expires: int) -> str:
    """The signature of ``subject`` for ``purpose`` until ``expires``. The arguments come from
    this server, so a bad one is a programming error (ValueError), not a refusal."""
    try:
        _check_subject(subject)
        parse_expires(expires)
    except SignatureMalformed as exc:
        raise ValueError(f"cannot sign {subject!r} until {expires!r}: {exc.message}") from None
    message = f"{subject}:{expires}".encode()
    return hmac.new(purpose_key(server_secret, purpose), message, hashlib.sha256).hexdigest()


def verify(
    server_secret: str, purpose: Purpose, subject: object, *, expires: object, signature: object,
    now: float | None = None,
) -> int:
    """The expiry, if ``signature`` is this server's current signature of ``subject`` for
    ``purpose`` until ``expires``; otherwise the :class:`SignatureRefused` saying why."""
    when = parse_expires(expires)
    given = parse_hex(signature)
    name = _check_subject(subject)
    if not equal(sign(server_secret, purpose, name, expires=when), given):
        raise SignatureMismatch("the signature does not match")
    if when <= (time.time() if now is None else now):
        raise SignatureExpired("the signature has expired", expires=when)
    return when


@dataclass(frozen=True)
class Refusals:
    """How one caller words each refusal, in its own error classes: its clients know those codes
    and messages, not the signer's. ``expired`` may name ``{expired_at}`` (a UTC time)."""

    error: type[DomainError]
    malformed: str
    mismatch: str
    expired: str
    expired_error: type[DomainError] | None = None


def check(
    server_secret: str, purpose: Purpose, subject: object, *, expires: object, signature: object,
    refusals: Refusals, now: float | None = None, throttle: Throttle | None = None, client: str | None = None,
) -> int:
    """:func:`verify`, with each refusal raised as the caller's own error (see :class:`Refusals`).

    With a ``throttle``, a malformed or mismatched signature counts against the ``client``
    address, and an address locked out for too many is refused (TooManyAttempts) before anything
    is computed; an expired one counts nothing (this server signed it)."""
    if throttle is not None:
        throttle.before_secret(client)
    try:
        return verify(server_secret, purpose, subject, expires=expires, signature=signature, now=now)
    except SignatureMalformed:
        if throttle is not None:
            throttle.secret_failed(client)
        raise refusals.error(refusals.malformed) from None
    except SignatureMismatch:
        if throttle is not None:
            throttle.secret_failed(client)
        raise refusals.error(refusals.mismatch) from None
    except SignatureExpired as exc:
        when = dt.datetime.fromtimestamp(exc.expires, dt.UTC)
        message = refusals.expired.format(expired_at=f"{when:%Y-%m-%d %H:%M:%S} UTC")
        raise (refusals.expired_error or refusals.error)(message) from None
