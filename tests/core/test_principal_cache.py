"""The principal cache alone: lifetime, bound, tags, the generation check, and the messages
processes exchange (core/auth/principal_cache.py, core/auth/cache_broadcast.py)."""

from __future__ import annotations

from pathlib import Path

from reelbase.core.auth.cache_broadcast import StampFile, decode_tags, encode_tags
from reelbase.core.auth.principal_cache import EVERYTHING, PrincipalCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Loads:
    """A load function that counts its calls and answers the given value and tags."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, value: object, *tags: tuple[str, int]):  # noqa: ANN204 - returns a loader
        def load() -> tuple[object, set[tuple[str, int]]]:
            self.calls += 1
            return value, set(tags)

        return load


def test_principal_cache_answers_from_memory_until_the_lifetime_ends() -> None:
    clock, loads = Clock(), Loads()
    cache = PrincipalCache(ttl=30, max_entries=10, clock=clock)
    assert cache.fetch("k", loads("a", ("user", 1))) == "a"
    assert cache.fetch("k", loads("b", ("user", 1))) == "a"
    assert loads.calls == 1
    clock.now += 29.9
    assert cache.fetch("k", loads("b", ("user", 1))) == "a"
    clock.now += 0.2
    assert cache.fetch("k", loads("b", ("user", 1))) == "b"
    assert loads.calls == 2


def test_principal_cache_drops_only_the_entries_of_the_changed_rows() -> None:
    loads = Loads()
    cache = PrincipalCache(ttl=30, max_entries=10)
    cache.fetch("alice key", loads("alice", ("user", 1), ("team", 10), ("key", 100)))
    cache.fetch("alice session", loads("alice", ("user", 1), ("team", 10)))
    cache.fetch("bob key", loads("bob", ("user", 2), ("team", 10), ("key", 200)))
    cache.invalidate({("key", 100)})
    assert set(cache.keys()) == {"alice session", "bob key"}
    cache.invalidate({("team", 10)})  # a team change reaches every member's entries
    assert cache.keys() == []
    cache.fetch("bob key", loads("bob", ("user", 2)))
    cache.invalidate({EVERYTHING})
    assert len(cache) == 0


def test_principal_cache_keeps_a_bounded_number_of_entries_dropping_the_oldest() -> None:
    loads = Loads()
    cache = PrincipalCache(ttl=30, max_entries=3)
    for n in range(5):
        cache.fetch(n, loads(n, ("user", n)))
    assert cache.keys() == [2, 3, 4]


def test_principal_cache_stores_nothing_a_refused_load_raised() -> None:
    cache = PrincipalCache(ttl=30, max_entries=3)

    def refuse() -> tuple[object, set[tuple[str, int]]]:
        raise LookupError("unknown key")

    for _ in range(2):
        try:
            cache.fetch("bad", refuse)
        except LookupError:
            pass
    assert len(cache) == 0


def test_principal_cache_does_not_store_a_load_that_overlapped_an_invalidation() -> None:
    cache = PrincipalCache(ttl=30, max_entries=10)

    def load_while_a_revocation_commits() -> tuple[str, set[tuple[str, int]]]:
        # read before the change committed; its invalidation lands before the value is stored
        cache.invalidate({("key", 7)}, announce=False)
        return "stale", {("key", 7)}

    assert cache.fetch("k", load_while_a_revocation_commits) == "stale"
    assert len(cache) == 0, "a value read before the change must not outlive its invalidation"
    loads = Loads()
    assert cache.fetch("k", loads("fresh", ("key", 7))) == "fresh" and loads.calls == 1
    assert cache.fetch("k", loads("other", ("key", 7))) == "fresh" and loads.calls == 1


def test_principal_cache_with_no_lifetime_always_loads() -> None:
    loads = Loads()
    cache = PrincipalCache(ttl=0, max_entries=10)
    cache.fetch("k", loads("a"))
    cache.fetch("k", loads("a"))
    assert loads.calls == 2 and len(cache) == 0


def test_principal_cache_messages_round_trip_and_garbage_means_everything() -> None:
    tags = frozenset({("key", 3), ("user", 1)})
    assert decode_tags(encode_tags(tags)) == tags
    assert decode_tags(encode_tags(tags).encode()) == tags
    for garbage in (b"not json", b"{}", b"[[1]]", b"[]", b'[["user", "x"]]'):
        assert decode_tags(garbage) == {EVERYTHING}, garbage


def test_principal_cache_stamp_file_clears_the_caches_of_every_process_sharing_it(tmp_path: Path) -> None:
    path = tmp_path / "auth-cache.stamp"
    here, there = StampFile(path), StampFile(path)
    loads = Loads()
    cache = PrincipalCache(ttl=30, max_entries=10, broadcast=there)
    cache.fetch("k", loads("a", ("user", 1)))
    cache.fetch("k", loads("a", ("user", 1)))
    assert loads.calls == 1
    here.announce(frozenset({("user", 2)}))  # another process's change
    cache.fetch("k", loads("a", ("user", 1)))
    assert loads.calls == 2, "the changed stamp cleared the cache before the lookup"
    cache.fetch("k", loads("a", ("user", 1)))
    assert loads.calls == 2
