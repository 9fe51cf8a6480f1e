"""Slowing guessers down: failed sign-ins counted per account and per client address, bad API keys
and bad signatures per client address, and growing lockouts answered as :class:`TooManyAttempts`
(429 with a ``retry_after``).

Contract:

* A *key* is a kind and a who: ``account`` (a normalized email, for password failures),
  ``address`` (a client address, for password failures) or ``secret`` (a client address, for bad
  API keys and bad signatures). Each key counts its failures; a key with no new failure for
  ``forget`` seconds starts again from zero.
* The first ``free`` failures of a key cost nothing but the check itself. Each failure past them
  locks the key out for ``base`` seconds, doubled every further failure, up to ``cap``. The failure
  that starts a lockout is answered with it already, so a client learns at once how long to wait.
* While a password key is locked out, a password attempt under it is refused *before* anything is
  checked (no argon2, no database): a locked-out guesser costs the server one counter lookup.
  Once the wait is over, the right password is accepted again and clears its account's count
  (not its address's: one account of their own must not let a guesser reset the count of the
  address they guess from).
* Addresses: IPv4 as they are, IPv6 by their /64 (one host is usually given a whole /64, so
  counting single IPv6 addresses would count nothing). No address (``None``) counts no address key.
* API keys and signatures are long and random, so they are not guessed but scanned for; their
  throttle keeps successful requests free of any extra work: a lockout is remembered in this
  process (one dict lookup refuses the address before the database is asked), and the shared
  counter is touched on failures only. Another process learns of a lockout on its own next
  failure from that address (which the shared count already locks out).
* Every lockout is logged (a warning) with its kind, the address and, for accounts, the email;
  never a password, key or signature.

Backends (chosen by :func:`open_throttle` from the settings): Redis when the job queue is Redis, so
every process of a deployment shares the counts (a counter key and a lockout key per key, each with
its own expiry; one pipeline per check or failure, no Lua); else a dict in this process, behind a
lock. A Redis that does not answer fails open (logged): sign-ins keep working, braked only by argon2.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from reelbase.core.errors import TooManyAttempts

if TYPE_CHECKING:
    from reelbase.settings import Settings

T = TypeVar("T")

log = logging.getLogger(__name__)

ACCOUNT, ADDRESS, SECRET = "account", "address", "secret"
MAX_REMEMBERED = 100_000  # in-process keys kept at most (expired ones are dropped first)


@dataclass(frozen=True)
class Policy:
    """How many failures a key may have for free, and the lockouts that follow."""

    free: int
    base: float  # the first lockout, in seconds
    cap: float  # the longest lockout
    forget: float  # a key with no failure for this long starts again from zero

    def lockout(self, failures: int) -> float:
        """Seconds a key is locked out for after its ``failures``-th failure (0: not at all)."""
        over = failures - self.free
        if over <= 0:
            return 0.0
        return min(self.cap, self.base * 2.0 ** min(over - 1, 64))


@dataclass(frozen=True)
class Standing:
    failures: int
    wait: float  # seconds left of a lockout, 0 when there is none


class Counters(Protocol):
    """Where the counts live. ``forget`` and lockouts are in seconds."""

    def peek(self, keys: Sequence[str]) -> list[Standing]: ...

    def fail(self, keys: Sequence[str], *, forget: float) -> list[int]:
        """Count one failure under each key; the counts after it."""
        ...

    def lock(self, locks: Sequence[tuple[str, float]]) -> None: ...

    def clear(self, key: str) -> None: ...


@dataclass
class _Entry:
    failures: int = 0
    forget_at: float = 0.0
    locked_until: float = 0.0


class MemoryCounters:
    """The counts of one process, for deployments whose processes share no Redis."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_REMEMBERED) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and entry.forget_at <= now and entry.locked_until <= now:
            del self._entries[key]
            return None
        return entry

    def peek(self, keys: Sequence[str]) -> list[Standing]:
        with self._lock:
            now = self._clock()
            found = [self._live(key, now) for key in keys]
        return [Standing(0, 0.0) if e is None else
                Standing(e.failures if e.forget_at > now else 0, max(0.0, e.locked_until - now)) for e in found]

    def fail(self, keys: Sequence[str], *, forget: float) -> list[int]:
        with self._lock:
            now = self._clock()
            counts = []
            for key in keys:
                entry = self._live(key, now)
                if entry is None:
                    self._bound(now)
                    entry = self._entries[key] = _Entry()
                if entry.forget_at <= now:
                    entry.failures = 0
                entry.failures += 1
                entry.forget_at = now + forget
                counts.append(entry.failures)
            return counts

    def lock(self, locks: Sequence[tuple[str, float]]) -> None:
        with self._lock:
            now = self._clock()
            for key, seconds in locks:
                entry = self._entries.setdefault(key, _Entry())
                entry.locked_until = max(entry.locked_until, now + seconds)

    def clear(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)

    def _bound(self, now: float) -> None:
        # Many addresses (a botnet, or IPv6) must not grow the dict without end: drop what is
        # forgotten anyway, then the oldest.
        if len(self._entries) < self._max_keys:
            return
        for key in [k for k, e in self._entries.items() if e.forget_at <= now and e.locked_until <= now]:
            del self._entries[key]
        while len(self._entries) >= self._max_keys:
            del self._entries[next(iter(self._entries))]


class RedisCounters:
    """The counts of every process sharing one Redis: ``<prefix>:<key>:n`` (the failures, expiring
    ``forget`` after the last one) and ``<prefix>:<key>:lock`` (present while locked out)."""

    def __init__(self, client: redis.Redis, *, prefix: str) -> None:
        self._redis = client
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, prefix: str) -> RedisCounters:
        # Short timeouts and one quick retry (a pooled connection gone stale): a sign-in waits at
        # most a few seconds for a Redis that is down before failing open, not the client's
        # default of several retries with backoff.
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1,
                                      retry=Retry(NoBackoff(), 1))
        return cls(client, prefix=prefix)

    def _name(self, key: str, part: str) -> str:
        return f"{self._prefix}:{key}:{part}"

    def peek(self, keys: Sequence[str]) -> list[Standing]:
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.get(self._name(key, "n"))
            pipe.pttl(self._name(key, "lock"))
        replies = pipe.execute()
        standings = []
        for count, ttl in zip(replies[::2], replies[1::2], strict=True):
            standings.append(Standing(int(count or 0), max(0, int(ttl)) / 1000))
        return standings

    def fail(self, keys: Sequence[str], *, forget: float) -> list[int]:
        pipe = self._redis.pipeline(transaction=True)
        for key in keys:
            pipe.incr(self._name(key, "n"))
            pipe.pexpire(self._name(key, "n"), max(1, int(forget * 1000)))
        return [int(n) for n in pipe.execute()[::2]]

    def lock(self, locks: Sequence[tuple[str, float]]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for key, seconds in locks:
            pipe.set(self._name(key, "lock"), "1", px=max(1, int(seconds * 1000)))
        pipe.execute()

    def clear(self, key: str) -> None:
        self._redis.delete(self._name(key, "n"), self._name(key, "lock"))


def address_of(client: str | None) -> str | None:
    """The address a client is counted under: IPv4 as is, IPv6 by its /64 (see the module doc)."""
    if not client:
        return None
    try:
        ip = ipaddress.ip_address(client.strip())
    except ValueError:
        return client.strip()[:64] or None  # not an IP (a test client's name, a Unix socket)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def _key(kind: str, who: str) -> str:
    # Hashed: emails and addresses never sit in Redis in the clear, and every key is short.
    return f"{kind}:{hashlib.sha256(who.encode()).hexdigest()[:32]}"


def _account_of(email: str) -> str:
    return email.strip().lower()[:320]


_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def _shown_email(email: str) -> str:
    # A password typed into the email field must not land in the log (best effort: "P@ssw0rd"
    # has no domain, so it is not shown).
    email = email.strip()
    return email if _EMAIL_SHAPE.fullmatch(email) else "(not an email)"


@dataclass(frozen=True)
class Limits:
    account: Policy
    address: Policy
    secret: Policy


@dataclass(frozen=True)
class PasswordAttempt:
    """One password check in progress: what :meth:`Throttle.password_failed` and
    :meth:`Throttle.password_succeeded` need to know about it."""

    email: str
    address: str | None
    keys: tuple[str, ...]  # the account's key first, then the address's (if any)
    account_failures: int


class Throttle:
    """The brake on guessing of one process (see the module doc); built by :func:`open_throttle`."""

    def __init__(self, counters: Counters, *, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.counters = counters
        self.limits = limits
        self._clock = clock
        self._secret_locks: dict[str, float] = {}  # address -> end of its lockout (clock time)
        self._memo_lock = threading.Lock()

    # passwords

    def before_password(self, *, email: str, client: str | None) -> PasswordAttempt:
        """Refuse (:class:`TooManyAttempts`) while the account or the address is locked out; call
        before the password is checked."""
        address = address_of(client)
        keys = (_key(ACCOUNT, _account_of(email)),) + ((_key(ADDRESS, address),) if address else ())
        standings = self._peek(keys)
        wait = max((s.wait for s in standings), default=0.0)
        if wait > 0:
            raise _refusal("too many failed sign-ins", wait)
        return PasswordAttempt(email=email, address=address, keys=keys,
                               account_failures=standings[0].failures if standings else 0)

    def password_failed(self, attempt: PasswordAttempt) -> None:
        """Count a wrong password; :class:`TooManyAttempts` when this failure starts a lockout."""
        policies = (self.limits.account, self.limits.address)
        counts = self._fail(attempt.keys, forget=max(p.forget for p in policies))
        locks = []
        for key, kind, policy, count in zip(attempt.keys, (ACCOUNT, ADDRESS), policies, counts, strict=False):
            seconds = policy.lockout(count)
            if seconds > 0:
                locks.append((key, seconds))
                _log_lockout(kind, attempt.address, seconds, count,
                             email=_shown_email(attempt.email) if kind == ACCOUNT else None)
        if locks:
            self._lock(locks)
            raise _refusal("too many failed sign-ins", max(s for _, s in locks))

    def password_succeeded(self, attempt: PasswordAttempt) -> None:
        if attempt.account_failures > 0:
            self._guard(lambda: self.counters.clear(attempt.keys[0]), None)

    # API keys and signatures

    def before_secret(self, client: str | None) -> None:
        """Refuse an address whose bad keys or signatures this process has seen lock it out: a
        dict lookup, nothing shared (see the module doc)."""
        if not self._secret_locks:  # the usual case: nothing to parse, nothing to look up
            return
        address = address_of(client)
        if address is None:
            return
        with self._memo_lock:
            until = self._secret_locks.get(address)
            if until is not None and until <= self._clock():
                del self._secret_locks[address]
                until = None
        if until is not None:
            raise _refusal("too many bad API keys or signatures from your address", until - self._clock())

    def secret_failed(self, client: str | None) -> None:
        """Count a bad API key or signature; :class:`TooManyAttempts` once the address is locked out."""
        address = address_of(client)
        if address is None:
            return
        key = _key(SECRET, address)
        policy = self.limits.secret
        counts = self._fail((key,), forget=policy.forget)
        seconds = policy.lockout(counts[0]) if counts else 0.0
        if seconds <= 0:
            return
        self._lock([(key, seconds)])
        with self._memo_lock:
            now = self._clock()
            if len(self._secret_locks) >= MAX_REMEMBERED:
                self._secret_locks = {a: u for a, u in self._secret_locks.items() if u > now}
            self._secret_locks[address] = now + seconds
        _log_lockout(SECRET, address, seconds, counts[0])
        raise _refusal("too many bad API keys or signatures from your address", seconds)

    # the counters, failing open

    def _peek(self, keys: Sequence[str]) -> list[Standing]:
        return self._guard(lambda: self.counters.peek(keys), [Standing(0, 0.0) for _ in keys])

    def _fail(self, keys: Sequence[str], *, forget: float) -> list[int]:
        return self._guard(lambda: self.counters.fail(keys, forget=forget), [])

    def _lock(self, locks: Sequence[tuple[str, float]]) -> None:
        self._guard(lambda: self.counters.lock(locks), None)

    @staticmethod
    def _guard(work: Callable[[], T], fallback: T) -> T:
        try:
            return work()
        except redis.RedisError as exc:  # the shared store is down: sign-ins must keep working
            log.error("the throttle's Redis failed (%s); this attempt is not throttled", exc)
            return fallback


def _refusal(what: str, wait: float) -> TooManyAttempts:
    seconds = max(1, math.ceil(wait))
    return TooManyAttempts(f"{what}: try again in {seconds} s", retry_after=seconds)


def _log_lockout(kind: str, address: str | None, seconds: float, failures: int, *, email: str | None = None) -> None:
    who = f"{email} from {address or 'an unknown address'}" if email is not None else address
    log.warning("throttle: %s %s locked out for %.3g s after %d failures", kind, who, seconds, failures)


def limits_from(settings: Settings) -> Limits:
    def policy(free: int) -> Policy:
        return Policy(free=free, base=settings.throttle_base_seconds, cap=settings.throttle_max_seconds,
                      forget=settings.throttle_forget_seconds)

    return Limits(account=policy(settings.throttle_free_failures),
                  address=policy(settings.throttle_address_free_failures),
                  secret=policy(settings.throttle_secret_free_failures))


def open_throttle(settings: Settings) -> Throttle:
    """The throttle the settings call for: Redis-backed when the job queue is Redis (shared by
    every process of the deployment), else in this process."""
    url = settings.resolved_queue_url()
    counters: Counters
    if url.startswith(("redis://", "rediss://", "unix://")):
        counters = RedisCounters.from_url(url, prefix=f"{settings.queue_name}:throttle")
    else:
        counters = MemoryCounters()
    return Throttle(counters, limits=limits_from(settings))
