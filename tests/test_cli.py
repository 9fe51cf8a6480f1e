"""The operator CLI, run as a real command against a fresh data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from reelbase.app import create_app
from reelbase.core.runtime import build_runtime
from reelbase.settings import Settings
from tests.conftest import start_server


def _cli(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REELBASE_DATA_DIR": str(data_dir), "REELBASE_SECRET_KEY": "cli-test-" + "s" * 40,
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "reelbase.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=check)


def test_cli_users_keys_limits_and_revoke(tmp_path: Path) -> None:
    data = tmp_path / "var"
    assert "up to date" in _cli(data, "migrate").stdout
    out = _cli(data, "users", "create", "--email", "Ops@Example.com", "--password", "long-enough-pw", "--team", "ops")
    assert "ops@example.com" in out.stdout and "'ops'" in out.stdout
    dup = _cli(data, "users", "create", "--email", "ops@example.com", check=False)
    assert dup.returncode == 1 and "already exists" in dup.stdout
    key = json.loads(_cli(data, "keys", "create", "--email", "ops@example.com", "--type", "organization",
                          "--name", "ci", "--json").stdout)
    assert key["public_key"].startswith("pk_") and key["secret"].startswith("rb_") and key["type"] == "organization"
    listing = _cli(data, "keys", "list").stdout
    assert key["public_key"] in listing and key["secret"] not in listing
    limits = _cli(data, "teams", "limits", "--email", "ops@example.com", "--quota-videos", "7").stdout
    assert "quota_videos=7" in limits

    settings = Settings(data_dir=data, secret_key="cli-test-" + "s" * 40, workers=0, queue_url="memory")
    runtime = build_runtime(settings)
    url, server, thread = start_server(create_app(runtime))
    try:
        me = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {key['secret']}"})
        assert me.status_code == 200 and me.json()["key"]["type"] == "organization"
        assert me.json()["team"]["limits"]["quota_videos"] == 7
        assert "revoked" in _cli(data, "keys", "revoke", key["public_key"]).stdout
        again = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {key['secret']}"})
        assert again.status_code == 401
        _cli(data, "users", "ban", "ops@example.com")
        fresh = json.loads(_cli(data, "keys", "create", "--email", "ops@example.com", "--json").stdout)
        banned = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {fresh['secret']}"})
        assert banned.status_code == 403
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.engine.dispose()


def test_cli_first_start_creates_admin_once(tmp_path: Path) -> None:
    from reelbase.cli import ensure_admin

    runtime = build_runtime(Settings(data_dir=tmp_path / "var", workers=0, queue_url="memory"))
    first = ensure_admin(runtime)
    assert first is not None and first[2].startswith("rb_")
    assert ensure_admin(runtime) is None, "the admin and key are made on the very first start only"
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0, "the generated secret is private"
