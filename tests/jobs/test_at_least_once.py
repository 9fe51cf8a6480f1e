"""At-least-once on the distributed set-up: PostgreSQL + Redis queue + two `reelbase worker`
processes. A worker SIGKILLed mid-transcode loses its Huey task; the lease reaper gives the job to
the other worker and the video still ends ready, with one ladder and no leftovers."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from reelbase.app import create_app
from reelbase.core.runtime import build_runtime
from reelbase.db.models import Job
from tests.conftest import LiveServer, make_account, make_settings, start_server
from tests.jobs.conftest import ffmpeg, upload_file, wait_for_state

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _spawn_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "reelbase.cli", "worker", "--workers", "1"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def test_sigkilled_worker_job_is_taken_over_and_video_ends_ready(tmp_path: Path, pg_schema: str) -> None:
    clip = tmp_path / "long.mp4"
    # Long enough that the transcode runs for a few seconds on 2 cores.
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=8", "-f", "lavfi", "-i", "sine=d=8",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(clip))
    queue = f"test-{secrets.token_hex(4)}"
    overrides = {"database_url": pg_schema, "queue_url": "redis://127.0.0.1:6379/0", "queue_name": queue,
                 "workers": 0, "job_lease_seconds": 4, "reaper_interval_seconds": 1.0}
    settings = make_settings(tmp_path, **overrides)
    rt = build_runtime(settings)
    url, server, thread = start_server(create_app(rt))
    rt.settings.public_url = url
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for key, value in {**overrides, "data_dir": str(settings.data_dir), "secret_key": settings.secret_key,
                       "public_url": url}.items():
        env[f"REELBASE_{key.upper()}"] = str(value)
    workers = [_spawn_worker(env, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        live = LiveServer(url=url, runtime=rt)
        acct = make_account(rt)
        c = live.client(acct.secret)
        v = upload_file(c, clip, title="kill me")
        # Wait until a worker is transcoding and has reported progress, then SIGKILL it.
        deadline = time.monotonic() + 120
        victim_pid = None
        while time.monotonic() < deadline and victim_pid is None:
            with rt.session() as db:
                job = db.scalar(select(Job).where(Job.kind == "transcode"))
                if job is not None and job.state == "running" and job.progress > 0 and job.worker:
                    victim_pid = int(job.worker.rsplit(":", 1)[1])
            time.sleep(0.2)
        assert victim_pid in {w.pid for w in workers}, "a worker process should be running the transcode"
        os.kill(victim_pid, signal.SIGKILL)
        done = wait_for_state(c, v["id"], {"ready", "failed"}, timeout=240)
        assert done["state"] == "ready", (done, [p.read_text()[-2000:] for p in tmp_path.glob("worker*.log")])
        with rt.session() as db:
            job = db.scalar(select(Job).where(Job.kind == "transcode"))
            assert job is not None and job.state == "succeeded"
            assert job.attempts == 2
            assert job.worker and int(job.worker.rsplit(":", 1)[1]) != victim_pid
        labels = sorted(r["label"] for r in done["renditions"])
        assert labels == ["360", "480", "720"], "no duplicate renditions"
        keys = [i.key for i in rt.store.list(f"videos/{v['id']}/")]
        assert len({k.split("/")[2] for k in keys if "/ladder-" in k}) == 1, "the killed attempt's files are pruned"
        scratch = settings.data_dir / "scratch"
        assert not any(scratch.glob("job-*")), "no orphaned scratch folders"
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGINT)
        for w in workers:
            try:
                w.wait(timeout=15)
            except subprocess.TimeoutExpired:
                w.kill()
        server.should_exit = True
        thread.join(timeout=30)
        rt.engine.dispose()
