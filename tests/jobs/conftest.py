"""Pipeline fixtures: a live server whose runtime runs job workers, and generated media."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from reelbase.app import create_app
from reelbase.core.runtime import Runtime, build_runtime
from reelbase.media import find_tools
from tests.conftest import LiveServer, make_settings, start_server


def ffmpeg(*args: str) -> None:
    tools = find_tools()
    subprocess.run([tools.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True, timeout=120)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small generated inputs, made once: a 2 s 480p clip with audio, a portrait one without
    audio, a truncated file and a text file named .mp4."""
    root = tmp_path_factory.mktemp("clips")
    out = {
        "av480": root / "av480.mp4",
        "portrait": root / "portrait.mp4",
        "truncated": root / "truncated.mp4",
        "text": root / "notes.mp4",
    }
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=1708x960:r=30:d=2,scale=854:480", "-f", "lavfi", "-i",
           "sine=f=440:d=2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
           "-shortest", str(out["av480"]))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=360x640:r=25:d=2,scale=180:320", "-c:v", "libx264", "-preset",
           "ultrafast", "-pix_fmt", "yuv420p", str(out["portrait"]))
    data = out["av480"].read_bytes()
    out["truncated"].write_bytes(data[: len(data) // 2])
    out["text"].write_text("these are my notes, not a video\n" * 20)
    return out


def pipeline_runtime(tmp_path: Path, **overrides: object) -> Runtime:
    values: dict[str, object] = {"workers": 2, "queue_url": "memory", "job_lease_seconds": 5,
                                 "reaper_interval_seconds": 1.0}
    values.update(overrides)
    return build_runtime(make_settings(tmp_path, **values))


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[LiveServer]:
    with pipeline_server(tmp_path) as live:
        yield live


@contextmanager
def pipeline_server(tmp_path: Path, **overrides: object) -> Iterator[LiveServer]:
    rt = pipeline_runtime(tmp_path, **overrides)
    url, server, thread = start_server(create_app(rt))
    rt.settings.public_url = url
    try:
        yield LiveServer(url=url, runtime=rt)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        rt.engine.dispose()


def wait_for_state(client: httpx.Client, video_id: str, states: set[str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    seen: list[tuple[str, int]] = []
    while time.monotonic() < deadline:
        v = client.get(f"/api/v1/videos/{video_id}").json()
        if not seen or seen[-1] != (v["state"], v["progress"]):
            seen.append((v["state"], v["progress"]))
        if v["state"] in states:
            v["_seen"] = seen
            return v
        time.sleep(0.2)
    raise AssertionError(f"video {video_id} did not reach {states} in {timeout}s; saw {seen}")


def upload_file(client: httpx.Client, path: Path, **fields: object) -> dict:
    v = client.post("/api/v1/videos", json=fields).json()
    with path.open("rb") as fh:
        r = client.put(f"/api/v1/videos/{v['id']}/source", params={"filename": path.name}, content=fh.read())
    assert r.status_code == 200, r.text
    return r.json()
