"""What a process remembers about who is asking, so that an authenticated request costs no query.

Contract:

* :meth:`PrincipalCache.fetch` answers the value cached under a key (a tuple that names what was
  asked: an API key's SHA-256 digest, a key's public id, a JWT signer's ``kid``, a user and a team;
  never a secret) or calls ``load`` and caches what it returns for ``ttl`` seconds, with the
  *tags* it names: the rows it was read from, ``("user", id)``, ``("team", id)``, ``("key", id)``.
  Only what ``load`` returns is cached: a refusal it raises goes to the database every time (and
  to the throttle). At most ``max_entries`` are kept; the oldest go first.
* Every commit that changes a user, a team, an API key (other than its last-used time) or a
  membership, through any session of the runtime's sessionmaker (:func:`watch_sessions`), drops
  the entries carrying those rows' tags *after* the commit, in this process at once, and tells
  the other processes through the runtime's broadcast (``core/auth/cache_broadcast.py``).
* A load that overlaps an invalidation is not stored (each invalidation moves a generation
  counter), so a value read before a change committed never outlives the change's invalidation.
* The bound for other processes: at once with the Redis queue (pub/sub; a process whose
  subscription is down caches nothing and clears what it had when it subscribes again) or when
  they share this process's data directory (a stamp file); else ``ttl``, the lifetime of an entry.

Invalidating too much costs a cache miss, never a wrong answer, so whatever cannot be told apart
(a bulk UPDATE or DELETE of those tables, an unreadable message) drops everything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from sqlalchemy.orm.attributes import instance_state

from reelbase.db.models import ApiKey, Membership, Team, User

if TYPE_CHECKING:
    from reelbase.core.context import Principal

T = TypeVar("T")
Tag = tuple[str, int]
EVERYTHING: Tag = ("all", 0)
USER, TEAM, KEY = "user", "team", "key"
_WATCHED_TABLES = frozenset(m.__tablename__ for m in (User, Team, ApiKey, Membership))
_CHANGED = "reelbase_auth_changes"  # the tags a session's flushes touched, until it commits


class Broadcast(Protocol):
    """How the processes of a deployment tell each other what changed."""

    def poll(self, cache: PrincipalCache) -> None:
        """Called before every lookup: apply what other processes said, if it has to be asked for."""
        ...

    def ready(self) -> bool:
        """Whether loads may be stored now (a broadcast that could miss messages says no)."""
        ...

    def announce(self, tags: frozenset[Tag]) -> None: ...


class Silent:
    """No other process to tell (tests of the cache alone)."""

    def poll(self, cache: PrincipalCache) -> None:
        return None

    def ready(self) -> bool:
        return True

    def announce(self, tags: frozenset[Tag]) -> None:
        return None


@dataclass(frozen=True, slots=True)
class _Entry:
    value: object
    tags: frozenset[Tag]
    expires: float


class PrincipalCache:
    """See the module doc. Thread-safe; one per runtime."""

    def __init__(self, *, ttl: float, max_entries: int, broadcast: Broadcast | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.broadcast: Broadcast = broadcast or Silent()
        self._clock = clock
        self._entries: dict[Hashable, _Entry] = {}  # in insertion order, which is expiry order
        self._generation = 0
        self._lock = threading.Lock()

    def fetch(self, key: Hashable, load: Callable[[], tuple[T, Iterable[Tag]]]) -> T:
        """The value under ``key``, or ``load()``'s (a value and its tags), then cached."""
        if self.ttl <= 0:
            return load()[0]
        self.broadcast.poll(self)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if entry.expires > self._clock():
                    return entry.value  # type: ignore[return-value]
                del self._entries[key]
            generation = self._generation
        value, tags = load()
        with self._lock:
            if generation == self._generation and self.broadcast.ready():
                self._entries.pop(key, None)
                self._entries[key] = _Entry(value, frozenset(tags), self._clock() + self.ttl)
                while len(self._entries) > self.max_entries:
                    del self._entries[next(iter(self._entries))]
        return value

    def invalidate(self, tags: Iterable[Tag], *, announce: bool = True) -> None:
        """Drop every entry carrying one of ``tags`` (all of them for :data:`EVERYTHING`) and, unless
        the news came from another process, tell the others."""
        tags = frozenset(tags)
        if not tags:
            return
        with self._lock:
            self._generation += 1
            if EVERYTHING in tags:
                self._entries.clear()
            else:
                for key in [k for k, e in self._entries.items() if e.tags & tags]:
                    del self._entries[key]
        if announce:
            self.broadcast.announce(tags)

    def clear(self) -> None:
        """Forget everything, telling no one (what this process may have missed is unknown)."""
        self.invalidate((EVERYTHING,), announce=False)

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._entries)


def principal_tags(principal: Principal) -> set[Tag]:
    """The rows a principal was read from."""
    tags = {(USER, principal.user.id), (TEAM, principal.team.id)}
    if principal.api_key is not None:
        tags.add((KEY, principal.api_key.id))
    return tags


def _tags_of(row: object) -> set[Tag]:
    if isinstance(row, User):
        return {(USER, row.id)}
    if isinstance(row, Team):
        return {(TEAM, row.id)}
    if isinstance(row, ApiKey):
        return {(KEY, row.id)}
    if isinstance(row, Membership):
        return {(USER, row.user_id), (TEAM, row.team_id)}
    return set()


def _changed_tags(row: object) -> set[Tag]:
    if not isinstance(row, User | Team | ApiKey | Membership):
        return set()
    changed = {attr.key for attr in instance_state(row).attrs if attr.history.has_changes()}
    if isinstance(row, ApiKey):
        # The last-used touch is written beside the ORM (core/auth/key_use.py); should a session
        # set it anyway, it changes nothing a principal holds.
        changed.discard("last_used_at")
    return _tags_of(row) if changed else set()


def watch_sessions(sessions: sessionmaker[Session], cache: PrincipalCache) -> None:
    """Invalidate ``cache`` after each commit of ``sessions`` that changed what principals hold."""

    def after_flush(db: Session, _context: object) -> None:
        # The flush's own lists and attribute histories are still those of before it.
        tags: set[Tag] = set()
        for row in db.dirty:
            tags |= _changed_tags(row)
        for row in db.deleted:
            tags |= _tags_of(row)
        if tags:
            db.info.setdefault(_CHANGED, set()).update(tags)

    def bulk(state: ORMExecuteState) -> None:
        table = getattr(state.statement, "table", None)
        if (state.is_update or state.is_delete) and getattr(table, "name", None) in _WATCHED_TABLES:
            state.session.info.setdefault(_CHANGED, set()).add(EVERYTHING)

    def after_commit(db: Session) -> None:
        tags = db.info.pop(_CHANGED, None)
        if tags:
            cache.invalidate(tags)

    # A rollback keeps the tags: should the session commit later, invalidating what did not
    # change costs a miss, and forgetting what did would serve a stale principal.
    event.listen(sessions, "after_flush", after_flush)
    event.listen(sessions, "do_orm_execute", bulk)
    event.listen(sessions, "after_commit", after_commit)
