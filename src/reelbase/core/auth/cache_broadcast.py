"""How the processes of one deployment tell each other that what their principal caches hold
changed (``core/auth/principal_cache.py``), chosen by :func:`open_broadcast`:

* :class:`RedisBroadcast`, with the Redis queue: each invalidation is published on the channel
  ``<queue name>:auth-cache`` as a JSON list of ``[kind, id]`` tags; a listener thread in every
  process that authenticates applies them as they arrive. Pub/sub keeps nothing for a listener
  that is away, so a process caches nothing until its subscription is confirmed and, each time
  it subscribes again after a lost connection, starts from an empty cache. A publish that fails is
  logged; the cache lifetime then bounds the delay.
* :class:`StampFile`, without Redis: every invalidation appends a byte to ``auth-cache.stamp`` in
  the data directory, and every lookup first compares the file's size (one ``stat``) with the last
  it saw; any change clears the whole cache. Processes that share a data directory (several
  ``serve`` processes on one machine, the CLI) so see each other's revocations and bans at once;
  processes elsewhere (other machines on one PostgreSQL) rely on the cache lifetime.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from reelbase.core.auth.principal_cache import EVERYTHING, Broadcast, PrincipalCache, Tag

if TYPE_CHECKING:
    from reelbase.settings import Settings

log = logging.getLogger(__name__)

MAX_STAMP = 1 << 20  # bytes; a stamp file this long starts over (which clears every cache once)
RESUBSCRIBE_SECONDS = 1.0


def encode_tags(tags: frozenset[Tag]) -> str:
    return json.dumps(sorted([kind, number] for kind, number in tags))


def decode_tags(data: bytes | str) -> frozenset[Tag]:
    """The tags of a message; anything unreadable means everything (see the cache's module doc)."""
    try:
        items = json.loads(data)
        tags = frozenset((str(kind), int(number)) for kind, number in items)
    except (ValueError, TypeError):
        return frozenset({EVERYTHING})
    return tags or frozenset({EVERYTHING})


class RedisBroadcast:
    """See the module doc."""

    def __init__(self, url: str, *, channel: str) -> None:
        self.url = url
        self.channel = channel
        # Publishing happens in the committing request: short timeouts, one quick retry.
        self._publisher = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1,
                                               retry=Retry(NoBackoff(), 1))
        self._subscribed = threading.Event()
        self._started = False
        self._start_lock = threading.Lock()

    def poll(self, cache: PrincipalCache) -> None:
        if not self._started:
            self._start(cache)

    def ready(self) -> bool:
        return self._subscribed.is_set()

    def announce(self, tags: frozenset[Tag]) -> None:
        try:
            self._publisher.publish(self.channel, encode_tags(tags))
        except redis.RedisError as exc:
            log.error("could not publish an auth cache invalidation (%s); other processes see it within "
                      "their cache lifetime", exc)

    def _start(self, cache: PrincipalCache) -> None:
        # Started by the first lookup, not at start-up: a CLI command only ever publishes.
        with self._start_lock:
            if self._started:
                return
            self._started = True
        thread = threading.Thread(target=self._listen, args=(weakref.ref(cache),), daemon=True,
                                  name="reelbase-auth-cache-listener")
        thread.start()

    def _listen(self, cache_ref: weakref.ref[PrincipalCache]) -> None:
        """Apply every message until the cache is gone (the thread holds it weakly, so a runtime
        that is dropped takes its listener with it)."""
        client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_keepalive=True,
                                      health_check_interval=15)
        try:
            self._serve(client, cache_ref)
        finally:
            client.close()

    def _serve(self, client: redis.Redis, cache_ref: weakref.ref[PrincipalCache]) -> None:
        while True:
            pubsub = client.pubsub()
            try:
                pubsub.subscribe(self.channel)
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    cache = cache_ref()
                    if cache is None:
                        return
                    if message is not None and message["type"] == "subscribe":
                        cache.clear()  # what was published while away is lost
                        self._subscribed.set()
                    elif message is not None and message["type"] == "message":
                        cache.invalidate(decode_tags(message["data"]), announce=False)
                    del cache
            except (redis.RedisError, OSError) as exc:
                was = self._subscribed.is_set()
                self._subscribed.clear()
                cache = cache_ref()
                if cache is None:
                    return
                cache.clear()
                del cache
                if was:
                    log.warning("auth cache listener lost Redis (%s); caching nothing until it is back", exc)
                time.sleep(RESUBSCRIBE_SECONDS)
            finally:
                pubsub.close()


class StampFile:
    """See the module doc."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.touch(exist_ok=True)
        except OSError as exc:
            log.error("cannot make the auth cache stamp %s (%s)", path, exc)
        self._seen = self._stamp()

    def _stamp(self) -> tuple[int, int]:
        try:
            found = os.stat(self.path)
        except OSError:
            return (0, 0)
        return (found.st_ino, found.st_size)

    def poll(self, cache: PrincipalCache) -> None:
        stamp = self._stamp()
        if stamp != self._seen:
            self._seen = stamp
            cache.clear()

    def ready(self) -> bool:
        return True

    def announce(self, tags: frozenset[Tag]) -> None:
        try:
            if self._stamp()[1] >= MAX_STAMP:
                fresh = self.path.with_suffix(".new")
                fresh.write_bytes(b"")
                os.replace(fresh, self.path)
            with open(self.path, "ab") as stamp:
                stamp.write(b"\n")
        except OSError as exc:
            log.error("could not mark the auth cache stamp %s (%s); other processes see the change within "
                      "their cache lifetime", self.path, exc)


def open_broadcast(settings: Settings) -> Broadcast:
    """Redis pub/sub when the job queue is Redis, else the stamp file in the data directory."""
    url = settings.resolved_queue_url()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBroadcast(url, channel=f"{settings.queue_name}:auth-cache")
    return StampFile(settings.data_dir / "auth-cache.stamp")
