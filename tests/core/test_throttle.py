"""The throttle on guessing (core/auth/throttle.py) without HTTP: the growth of its lockouts,
both of its backends (a dict in this process, the real Redis shared by two throttles as two
processes would share it), a Redis that does not answer, and the signer's use of it."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator

import pydantic
import pytest
import redis

from reelbase.core.auth import signer
from reelbase.core.auth.throttle import (
    Limits,
    MemoryCounters,
    Policy,
    RedisCounters,
    Throttle,
    address_of,
    open_throttle,
)
from reelbase.core.errors import Forbidden, TooManyAttempts
from reelbase.settings import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def policy(free: int = 3, *, base: float = 1.0, cap: float = 8.0) -> Policy:
    return Policy(free=free, base=base, cap=cap, forget=60.0)


def limits(account: int = 3, address: int = 5, secret: int = 4) -> Limits:
    return Limits(account=policy(account), address=policy(address), secret=policy(secret))


def memory_throttle(clock: Clock, **free: int) -> Throttle:
    return Throttle(MemoryCounters(clock=clock), limits=limits(**free), clock=clock)


def fail_password(throttle: Throttle, email: str, client: str | None) -> TooManyAttempts | None:
    """One wrong password as verify_password reports it: None (a plain failure) or the refusal."""
    try:
        attempt = throttle.before_password(email=email, client=client)
        throttle.password_failed(attempt)
    except TooManyAttempts as exc:
        return exc
    return None


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"test-{secrets.token_hex(6)}:throttle"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def test_policy_lockouts_double_from_base_up_to_the_cap() -> None:
    rule = policy(3, base=1.0, cap=8.0)
    assert [rule.lockout(n) for n in range(1, 10)] == [0, 0, 0, 1, 2, 4, 8, 8, 8]
    assert rule.lockout(10_000) == 8  # no overflow however many


def test_free_failures_then_a_lockout_that_refuses_even_the_right_password_until_it_passes() -> None:
    clock = Clock()
    throttle = memory_throttle(clock, account=3)
    assert [fail_password(throttle, "a@example.com", None) for _ in range(3)] == [None, None, None]
    started = fail_password(throttle, "a@example.com", None)
    assert started is not None and started.retry_after == 1 and started.status == 429
    assert started.code == "too_many_attempts" and "try again in 1 s" in started.message
    with pytest.raises(TooManyAttempts):  # the right password too: nothing is checked while locked
        throttle.before_password(email="A@Example.com ", client=None)  # the same account, normalized
    clock.now += 1.0
    attempt = throttle.before_password(email="a@example.com", client=None)
    assert attempt.account_failures == 4
    throttle.password_succeeded(attempt)
    assert throttle.before_password(email="a@example.com", client=None).account_failures == 0


def test_each_failure_past_the_free_ones_doubles_the_wait() -> None:
    clock = Clock()
    throttle = memory_throttle(clock, account=2)
    waits = []
    for _ in range(7):
        refused = fail_password(throttle, "b@example.com", "192.0.2.1")
        waits.append(refused.retry_after if refused else 0)
        clock.now += refused.retry_after if refused else 0
    assert waits == [0, 0, 1, 2, 4, 8, 8]


def test_failures_are_forgotten_after_a_quiet_while() -> None:
    clock = Clock()
    throttle = memory_throttle(clock, account=3)
    for _ in range(3):
        fail_password(throttle, "c@example.com", None)
    clock.now += 61
    assert throttle.before_password(email="c@example.com", client=None).account_failures == 0
    assert fail_password(throttle, "c@example.com", None) is None


def test_the_address_counts_across_accounts_and_a_success_does_not_reset_it() -> None:
    clock = Clock()
    throttle = memory_throttle(clock, account=3, address=5)
    for n in range(4):
        assert fail_password(throttle, f"u{n}@example.com", "198.51.100.9") is None
    mine = throttle.before_password(email="mine@example.com", client="198.51.100.9")
    throttle.password_succeeded(mine)  # the guesser's own account signs in fine...
    assert fail_password(throttle, "u5@example.com", "198.51.100.9") is None
    refused = fail_password(throttle, "u6@example.com", "198.51.100.9")  # ...and the 6th guess is refused
    assert refused is not None and refused.retry_after == 1
    with pytest.raises(TooManyAttempts):
        throttle.before_password(email="mine@example.com", client="198.51.100.9")
    throttle.before_password(email="u6@example.com", client="198.51.100.10")  # another address is free


def test_addresses_count_ipv6_by_their_64_and_unwrap_mapped_ipv4() -> None:
    assert address_of("2001:db8:1:2:aaaa::1") == address_of("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_of("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert address_of("::ffff:192.0.2.7") == "192.0.2.7"
    assert address_of(None) is None and address_of("") is None
    assert address_of("testclient") == "testclient"


def test_a_lockout_is_logged_with_kind_and_address_and_never_the_password(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    throttle = memory_throttle(clock, account=1, address=9)
    with caplog.at_level(logging.WARNING, logger="reelbase.core.auth.throttle"):
        fail_password(throttle, "d@example.com", "203.0.113.5")
        fail_password(throttle, "d@example.com", "203.0.113.5")
        fail_password(throttle, "hunter2-typed-as-email", "203.0.113.5")
        fail_password(throttle, "hunter2-typed-as-email", "203.0.113.5")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "throttle: account d@example.com from 203.0.113.5 locked out for 1 s after 2 failures",
        "throttle: account (not an email) from 203.0.113.5 locked out for 1 s after 2 failures",
    ]


def test_bad_secrets_lock_the_address_out_and_the_lockout_is_remembered_here() -> None:
    clock = Clock()
    throttle = memory_throttle(clock, secret=4)
    for _ in range(4):
        throttle.before_secret("192.0.2.50")
        throttle.secret_failed("192.0.2.50")
    with pytest.raises(TooManyAttempts) as started:
        throttle.secret_failed("192.0.2.50")
    assert started.value.retry_after == 1 and "API keys or signatures" in started.value.message
    with pytest.raises(TooManyAttempts):
        throttle.before_secret("192.0.2.50")
    throttle.before_secret("192.0.2.51")
    throttle.before_secret(None)  # no address: nothing to count it under
    throttle.secret_failed(None)
    clock.now += 1.0
    throttle.before_secret("192.0.2.50")


def test_the_in_process_backend_stays_bounded() -> None:
    clock = Clock()
    counters = MemoryCounters(clock=clock, max_keys=50)
    for n in range(200):
        counters.fail([f"k{n}"], forget=60)
    assert len(counters) == 50
    assert counters.peek(["k199"])[0].failures == 1


def test_two_throttles_on_one_redis_share_counts_and_lockouts(redis_prefix: str) -> None:
    # Two throttles on one Redis are what two processes of a deployment hold.
    client = redis.Redis.from_url(REDIS_URL)
    rules = Limits(account=Policy(free=3, base=0.5, cap=4, forget=60), address=policy(10), secret=policy(4))
    one = Throttle(RedisCounters(client, prefix=redis_prefix), limits=rules)
    two = Throttle(RedisCounters(client, prefix=redis_prefix), limits=rules)
    assert fail_password(one, "e@example.com", "192.0.2.80") is None
    assert fail_password(two, "e@example.com", "192.0.2.81") is None
    assert fail_password(one, "e@example.com", "192.0.2.80") is None
    started = fail_password(two, "e@example.com", "192.0.2.81")
    assert started is not None and started.retry_after == 1
    with pytest.raises(TooManyAttempts):
        one.before_password(email="e@example.com", client="192.0.2.80")
    locks = [k for k in client.scan_iter(match=f"{redis_prefix}:*:lock")]
    assert len(locks) == 1 and 0 < client.pttl(locks[0]) <= 500  # the account's, for base 0.5 s
    # nothing readable in Redis: keys are hashes of the email and the address
    assert not [k for k in client.scan_iter(match=f"{redis_prefix}:*") if b"example" in k or b"192.0" in k]


def test_redis_secrets_counted_across_throttles_and_a_success_costs_no_round_trip(redis_prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    one = Throttle(RedisCounters(client, prefix=redis_prefix), limits=limits(secret=2))
    two = Throttle(RedisCounters(client, prefix=redis_prefix), limits=limits(secret=2))
    one.secret_failed("192.0.2.90")
    two.secret_failed("192.0.2.90")
    with pytest.raises(TooManyAttempts):
        one.secret_failed("192.0.2.90")  # the shared count is past the free two
    # A good key asks nothing of Redis: a throttle whose Redis is gone still lets it through, and
    # says nothing; only a failure needs the store (and fails open, logged).
    gone = Throttle(RedisCounters.from_url("redis://127.0.0.1:1/0", prefix=redis_prefix), limits=limits(secret=2))
    gone.before_secret("192.0.2.91")


def test_a_redis_that_does_not_answer_fails_open_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    throttle = Throttle(RedisCounters.from_url("redis://127.0.0.1:1/0", prefix="nowhere"),
                        limits=limits(account=1, secret=1))
    with caplog.at_level(logging.ERROR, logger="reelbase.core.auth.throttle"):
        for _ in range(3):
            assert fail_password(throttle, "f@example.com", "192.0.2.99") is None
            throttle.secret_failed("192.0.2.99")
    assert caplog.records and all("not throttled" in r.getMessage() for r in caplog.records)


def test_open_throttle_picks_redis_with_a_redis_queue_and_memory_otherwise(tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = {"data_dir": tmp_path, "secret_key": "s" * 40}
    assert isinstance(open_throttle(Settings(**base, queue_url="memory")).counters, MemoryCounters)
    shared = open_throttle(Settings(**base, queue_url=REDIS_URL, queue_name="deploy-a",
                                    throttle_free_failures=7, throttle_base_seconds=0.25))
    assert isinstance(shared.counters, RedisCounters) and shared.counters._prefix == "deploy-a:throttle"
    assert shared.limits.account == Policy(free=7, base=0.25, cap=900.0, forget=3600.0)
    assert shared.limits.address.free == 20 and shared.limits.secret.free == 50


def test_settings_refuse_a_forget_shorter_than_the_longest_lockout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(pydantic.ValidationError, match="THROTTLE_FORGET_SECONDS"):
        Settings(data_dir=tmp_path, throttle_max_seconds=600, throttle_forget_seconds=60)


def test_the_signer_counts_forged_and_malformed_signatures_but_not_expired_ones() -> None:
    clock = Clock()
    throttle = memory_throttle(clock, secret=2)
    refusals = signer.Refusals(error=Forbidden, malformed="bad", mismatch="wrong", expired="old {expired_at}")
    secret = "k" * 40
    good = signer.sign(secret, signer.Purpose.PLAYBACK, "v1", expires=2_000_000_000)
    old = signer.sign(secret, signer.Purpose.PLAYBACK, "v1", expires=1_000)
    for _ in range(3):  # expired: this server signed it, so it is no guess
        with pytest.raises(Forbidden, match="old"):
            signer.check(secret, signer.Purpose.PLAYBACK, "v1", expires=1_000, signature=old, refusals=refusals,
                         throttle=throttle, client="192.0.2.60")
    with pytest.raises(Forbidden, match="wrong"):
        signer.check(secret, signer.Purpose.PLAYBACK, "v1", expires=2_000_000_000, signature="0" * 64,
                     refusals=refusals, throttle=throttle, client="192.0.2.60")
    with pytest.raises(Forbidden, match="bad"):
        signer.check(secret, signer.Purpose.PLAYBACK, "v1", expires="soon", signature=good, refusals=refusals,
                     throttle=throttle, client="192.0.2.60")
    with pytest.raises(TooManyAttempts):
        signer.check(secret, signer.Purpose.PLAYBACK, "v1", expires=2_000_000_000, signature="1" * 64,
                     refusals=refusals, throttle=throttle, client="192.0.2.60")
    with pytest.raises(TooManyAttempts):  # refused before the right signature is even computed
        signer.check(secret, signer.Purpose.PLAYBACK, "v1", expires=2_000_000_000, signature=good,
                     refusals=refusals, throttle=throttle, client="192.0.2.60")
    clock.now += 1
    assert signer.check(secret, signer.Purpose.PLAYBACK, "v1", expires=2_000_000_000, signature=good,
                        refusals=refusals, throttle=throttle, client="192.0.2.60") == 2_000_000_000
