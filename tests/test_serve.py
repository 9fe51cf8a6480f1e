"""``reelbase serve`` as a person starts it: a real process on its embedded defaults, whose
first-start output is enough to sign in to the dashboard and call the API."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select

from reelbase.db.models import Job
from reelbase.media import find_tools
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


def _clip(path: Path) -> bytes:
    subprocess.run([find_tools().ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc2=s=64x64:r=10:d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                    "yuv420p", str(path)], check=True, timeout=60)
    return path.read_bytes()


def _upload_light(api: httpx.Client, data: bytes) -> str:
    """A video whose source is ingested "light" (metadata only): one quick job that makes it ready."""
    video = api.post("/api/v1/videos", json={"options": {"ingest": "light"}}).json()
    assert api.put(f"/api/v1/videos/{video['id']}/source", params={"filename": "clip.mp4"},
                   content=data).status_code == 200
    return video["id"]


def _wait_ready(api: httpx.Client, video_ids: list[str]) -> None:
    deadline = time.monotonic() + 120
    while True:
        states = {api.get(f"/api/v1/videos/{v}").json()["state"] for v in video_ids}
        if states == {"ready"}:
            return
        assert time.monotonic() < deadline and "failed" not in states, states
        time.sleep(0.2)


def _job_pids(data_dir: Path) -> list[tuple[str, str, int, int]]:
    """(kind, state, attempts, pid of the worker) of every job, read from the database itself."""
    engine = create_engine(f"sqlite:///{data_dir / 'reelbase.db'}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Job.kind, Job.state, Job.attempts, Job.worker).order_by(Job.id)).all()
    finally:
        engine.dispose()
    return [(kind, state, attempts, int(worker.rsplit(":", 1)[1])) for kind, state, attempts, worker in rows]


def _started(lines: list[str], proc: subprocess.Popen[str], *, complete: int) -> list[int]:
    """Waits until two server processes are alive and ``complete`` apps have started in all;
    the living processes' pids, in order (one killed, even while starting, is left out)."""
    deadline = time.monotonic() + 120
    while True:
        out = "".join(lines)
        died = set(re.findall(r"Child process \[(\d+)\] died", out))
        pids = [int(p) for p in re.findall(r"Started server process \[(\d+)\]", out) if p not in died]
        if len(pids) == 2 and out.count("Application startup complete") >= complete:
            return pids
        assert time.monotonic() < deadline and proc.poll() is None, out
        time.sleep(0.1)


def test_serve_processes_share_the_port_and_run_the_job_workers_in_one(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "var"
    env = {**os.environ, "REELBASE_DATA_DIR": str(data_dir), "REELBASE_WORKERS": "1"}
    for name in ("REELBASE_PUBLIC_URL", "REELBASE_QUEUE_URL", "REELBASE_DATABASE_URL"):
        env.pop(name, None)
    reelbase = Path(sys.executable).with_name("reelbase")
    proc = subprocess.Popen([str(reelbase), "serve", "--port", str(port), "--processes", "2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines: list[str] = []
    # the servers' output, read all along so that no process ever blocks on a full pipe
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    pids: list[int] = []
    try:
        pids = _started(lines, proc, complete=2)
        key = re.search(r"API key:\s+(\S+)", "".join(lines))
        assert key, "".join(lines)
        base = f"http://127.0.0.1:{port}"
        auth = {"Authorization": f"Bearer {key[1]}"}

        # each process answers on its own: the other one is stopped (SIGSTOP) meanwhile
        for stopped in pids:
            os.kill(stopped, signal.SIGSTOP)
            try:
                for _ in range(3):  # a new connection each time, accepted by whoever is running
                    me = httpx.get(base + "/api/v1/me", headers=auth, timeout=30)
                    assert me.status_code == 200 and me.json()["user"]["email"] == "admin@reelbase.local"
            finally:
                os.kill(stopped, signal.SIGCONT)

        data = _clip(tmp_path / "clip.mp4")
        with httpx.Client(base_url=base, headers=auth, timeout=60) as api:
            first = [_upload_light(api, data) for _ in range(4)]
            _wait_ready(api, first)
        jobs = _job_pids(data_dir)
        # every job ran once, all in the same one of the two processes
        assert [(kind, state, attempts) for kind, state, attempts, _ in jobs] == [("ingest", "succeeded", 1)] * 4
        (elected,) = {pid for *_, pid in jobs}
        assert elected in pids

        # when that process dies, the other takes the workers over (and uvicorn starts a third)
        os.kill(elected, signal.SIGKILL)
        (survivor,) = set(pids) - {elected}
        with httpx.Client(base_url=base, headers=auth, timeout=60) as api:  # new connections: to the living
            again = _upload_light(api, data)
            _wait_ready(api, [again])
        assert _job_pids(data_dir)[-1] == ("ingest", "succeeded", 1, survivor)
        pids = _started(lines, proc, complete=3)  # the third is up
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for pid in pids:  # none outlives the test, even if the parent had to be killed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        reader.join(timeout=30)
        proc.stdout.close()
        print("".join(lines))  # the servers' log, shown when the test fails
