"""``reelbase serve`` as a person starts it: a real process on its embedded defaults, whose
first-start output is enough to sign in to the dashboard and call the API."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port, login_csrf


def test_first_start_prints_what_signs_in_to_the_dashboard_and_the_api(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "REELBASE_DATA_DIR": str(tmp_path / "var"), "REELBASE_WORKERS": "1"}
    env.pop("REELBASE_PUBLIC_URL", None)
    reelbase = Path(sys.executable).with_name("reelbase")
    proc = subprocess.Popen([str(reelbase), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Uvicorn running" in line or "Application startup complete" in line:
                break
        out = "".join(lines)
        email = re.search(r"email:\s+(\S+)", out)
        password = re.search(r"password:\s+(\S+)", out)
        key = re.search(r"API key:\s+(\S+)", out)
        assert email and password and key, out
        base = f"http://127.0.0.1:{port}"
        assert f"Dashboard: {base}/" in out and f"API docs: {base}/docs" in out
        with httpx.Client(base_url=base, timeout=30) as browser:
            signed = browser.post("/login", data={"email": email[1], "password": password[1], "next": "/",
                                                  "csrf": login_csrf(browser)})
            assert signed.status_code == 303 and signed.headers["location"] == "/"
            home = browser.get("/")
            assert home.status_code == 200 and email[1] in home.text and "Videos" in home.text
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key[1]}"}) as api:
            me = api.get("/api/v1/me")
            assert me.status_code == 200 and email[1] in me.text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode is not None
