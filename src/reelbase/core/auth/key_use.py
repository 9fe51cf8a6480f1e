"""When each API key was last used, kept without a write per request.

Contract of :meth:`KeyUse.used`, called for each request an API key authenticates:

* The use is recorded in the database at most once per ``interval`` per key and process; the
  uses in between write nothing. So ``last_used_at`` (``GET /api/v1/keys``, the dashboard) is
  never later than the key's last use and, while the key is in use, at most ``interval`` (plus
  the moment a write takes) earlier.
* A key's first use (the database says it was never used) is written before the request goes
  on, so "never used" turns into a time as soon as the key has answered once. Later records are
  written by a background thread, off the request's path.
* The write is a plain UPDATE on a connection of its own, beside the ORM (it changes nothing a
  principal holds, so it invalidates no cache), and never moves the time backwards (several
  processes record the same key).
* A failed write is logged and forgotten: the next use past the interval tries again.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, or_, update

from reelbase.core.context import KeySnapshot
from reelbase.db.models import ApiKey, utcnow

log = logging.getLogger(__name__)

MAX_KEYS = 100_000  # keys whose last record this process remembers (forgotten: one extra write each)


class KeyUse:
    """See the module doc. Thread-safe; one per runtime."""

    def __init__(self, engine: Engine, *, interval: float) -> None:
        self._engine = engine
        self.interval = dt.timedelta(seconds=interval)
        self._recorded: dict[int, dt.datetime] = {}  # key id -> the last use this process recorded
        self._lock = threading.Lock()
        self._writer: ThreadPoolExecutor | None = None

    def used(self, key: KeySnapshot, *, now: dt.datetime | None = None) -> None:
        now = now or utcnow()
        with self._lock:
            last = self._recorded.get(key.id, key.last_used_at)
            if last is not None and now - last < self.interval:
                return
            if len(self._recorded) >= MAX_KEYS:
                self._recorded.clear()
            self._recorded[key.id] = now
            if last is not None and self._writer is None:
                self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reelbase-key-use")
            writer = self._writer
        if last is None:
            self._write(key.id, now)
        else:
            assert writer is not None
            writer.submit(self._write, key.id, now)

    def _write(self, key_id: int, when: dt.datetime) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(update(ApiKey)
                             .where(ApiKey.id == key_id,
                                    or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < when))
                             .values(last_used_at=when))
        except Exception as exc:  # a busy or unreachable database must not fail the request
            log.warning("could not record the use of API key %s (%s)", key_id, exc)
            with self._lock:
                if self._recorded.get(key_id) == when:
                    del self._recorded[key_id]

    def flush(self) -> None:
        """Wait for the records already handed to the background thread (tests, shutdown)."""
        with self._lock:
            writer = self._writer
        if writer is not None:
            writer.submit(lambda: None).result()
