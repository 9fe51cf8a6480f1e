"""Revocations and bans across ``reelbase serve`` processes, each a real process with its own
principal cache (core/auth/principal_cache.py):

* on PostgreSQL + Redis, two servers with data directories of their own, whose caches would
  keep an entry for 600 s: a key revoked through one is refused by it on the very next request
  and by the other as soon as the Redis message arrives; a user banned by the CLI likewise by both;
* on the embedded SQLite, two servers sharing one data directory: the other refuses on its very
  next request too (the stamp file).

That the caches really answer is shown first: a key revoked behind the app's back (plain SQL,
which no process hears of) keeps working in both."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import redis
from sqlalchemy import create_engine, text

from reelbase.core.runtime import build_runtime
from reelbase.settings import Settings
from tests.conftest import fresh_pg_schema, free_port, make_account

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "serve-auth-" + "s" * 40
# What the README documents for Redis deployments: at once, as the message arrives. A loaded
# test machine gets this much slack before the test calls it lost.
REDIS_BOUND_SECONDS = 5.0


def environment(env: dict[str, str]) -> dict[str, str]:
    """This process's environment without its Reelbase settings, with ``env``'s."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("REELBASE_")}, **env}


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[tuple[str, str | None]]:
    """A ``reelbase serve`` process: its base URL and the API key its first start printed."""
    port = free_port()
    reelbase = Path(sys.executable).with_name("reelbase")
    with log.open("w") as out:
        proc = subprocess.Popen([str(reelbase), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=environment(env), stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while "Uvicorn running" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        key = re.search(r"API key:\s+(\S+)", log.read_text())
        yield f"http://127.0.0.1:{port}", key[1] if key else None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def me(base: str, secret: str) -> int:
    return httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}, timeout=30).status_code


def refused_within(base: str, secret: str, status: int, bound: float) -> float:
    """Seconds until ``base`` answers ``status`` for ``secret`` (the request that does included),
    polling up to ``bound``; printed with the number of requests it took."""
    started, asked = time.monotonic(), 1
    while me(base, secret) != status:
        assert time.monotonic() - started < bound, f"{base} still accepts the key after {bound} s"
        time.sleep(0.02)
        asked += 1
    took = time.monotonic() - started
    print(f"{base} answered {status} after {took * 1000:.0f} ms, on request {asked}")
    return took


def revoke_behind_the_apps_back(database_url: str, public_id: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE public_id = :p"),
                         {"p": public_id})
    finally:
        engine.dispose()


def test_serve_auth_two_processes_on_postgres_and_redis_refuse_revoked_keys_and_banned_users(tmp_path: Path) -> None:
    queue = "t_serve_auth_" + secrets.token_hex(4)
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_pg_schema())
        env = {"REELBASE_DATABASE_URL": database_url, "REELBASE_QUEUE_URL": REDIS_URL, "REELBASE_QUEUE_NAME": queue,
               "REELBASE_SECRET_KEY": SECRET, "REELBASE_WORKERS": "0", "REELBASE_AUTH_CACHE_SECONDS": "600"}
        a, _ = stack.enter_context(serving({**env, "REELBASE_DATA_DIR": str(tmp_path / "a")}, tmp_path / "a.log"))
        b, _ = stack.enter_context(serving({**env, "REELBASE_DATA_DIR": str(tmp_path / "b")}, tmp_path / "b.log"))
        here = build_runtime(Settings(data_dir=tmp_path / "here", database_url=database_url, queue_url=REDIS_URL,
                                      queue_name=queue, secret_key=SECRET, workers=0))
        stack.callback(here.engine.dispose)
        carol, dave, probe = make_account(here), make_account(here), make_account(here)
        with httpx.Client(base_url=a, headers={"Authorization": f"Bearer {carol.secret}"}) as carol_on_a:
            made = carol_on_a.post("/api/v1/keys", json={"name": "to revoke"}).json()
        short = made["secret"]

        # Both listeners subscribed, then every key used on both servers (so both cache them).
        listening = redis.Redis.from_url(REDIS_URL)
        stack.callback(listening.close)
        for base in (a, b):
            assert me(base, probe.secret) == 200  # the first lookup starts the process's listener
        deadline = time.monotonic() + 30
        while listening.pubsub_numsub(f"{queue}:auth-cache")[0][1] < 2:
            assert time.monotonic() < deadline, "the servers never subscribed to the invalidations"
            time.sleep(0.05)
        time.sleep(0.2)  # the listeners read their subscription's confirmation
        for base in (a, b):
            for secret in (probe.secret, short, dave.secret):
                assert me(base, secret) == 200

        revoke_behind_the_apps_back(database_url, probe.public_id)
        assert me(a, probe.secret) == 200 and me(b, probe.secret) == 200, "both answer from their caches"

        # A key revoked through A: A refuses it on the very next request, B as the message arrives.
        with httpx.Client(base_url=a, headers={"Authorization": f"Bearer {carol.secret}"}) as carol_on_a:
            assert carol_on_a.delete(f"/api/v1/keys/{made['public_id']}").status_code == 204
        assert me(a, short) == 401
        assert refused_within(b, short, 401, REDIS_BOUND_SECONDS) < REDIS_BOUND_SECONDS

        # A user banned by the CLI (a third process): both servers refuse their key.
        cli = subprocess.run([sys.executable, "-m", "reelbase.cli", "users", "ban", dave.email],
                             env=environment({**env, "REELBASE_DATA_DIR": str(tmp_path / "cli")}),
                             capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0 and "banned" in cli.stdout, cli.stdout + cli.stderr
        for base in (a, b):
            assert refused_within(base, dave.secret, 403, REDIS_BOUND_SECONDS) < REDIS_BOUND_SECONDS
        assert me(a, carol.secret) == 200 and me(b, carol.secret) == 200


def test_serve_auth_two_processes_sharing_a_data_directory_refuse_a_revoked_key_on_the_next_request(
    tmp_path: Path,
) -> None:
    env = {"REELBASE_DATA_DIR": str(tmp_path / "var"), "REELBASE_WORKERS": "0",
           "REELBASE_AUTH_CACHE_SECONDS": "600"}
    with ExitStack() as stack:
        a, admin = stack.enter_context(serving(env, tmp_path / "a.log"))
        b, _ = stack.enter_context(serving(env, tmp_path / "b.log"))  # the same database and data directory
        assert admin is not None
        with httpx.Client(base_url=a, headers={"Authorization": f"Bearer {admin}"}) as on_a:
            made = [on_a.post("/api/v1/keys", json={"name": name}).json() for name in ("probe", "to revoke")]
        probe, short = made
        for base in (a, b):
            assert me(base, probe["secret"]) == 200 and me(base, short["secret"]) == 200
        revoke_behind_the_apps_back(f"sqlite:///{tmp_path / 'var' / 'reelbase.db'}", probe["public_id"])
        assert me(a, probe["secret"]) == 200 and me(b, probe["secret"]) == 200, "both answer from their caches"

        with httpx.Client(base_url=a, headers={"Authorization": f"Bearer {admin}"}) as on_a:
            assert on_a.delete(f"/api/v1/keys/{short['public_id']}").status_code == 204
        assert me(a, short["secret"]) == 401
        assert me(b, short["secret"]) == 401, "the other process refuses it on its very next request"
        assert me(b, admin) == 200
