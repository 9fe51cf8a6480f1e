"""Shared by the upload benchmarks: a test file, ``cp``, a bare ASGI sink and ``reelbase serve``
in child processes on loopback, and their peak RSS (``VmHWM`` from /proc).

Both servers run the same server software (uvicorn with its standard extras: httptools, uvloop)
in one process each, so the comparison isolates what Reelbase adds on top of receiving bytes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
MiB = 1 << 20

# The bare streaming sink: 15 lines of ASGI that write the request body to a file.
SINK = '''
import os
TARGET = os.environ["SINK_FILE"]
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    with open(TARGET, "wb") as f:
        more = True
        while more:
            message = await receive()
            f.write(message.get("body", b""))
            more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
'''

# The same sink made durable (fsync before answering), as every Reelbase upload is: the bound a
# durable upload can reach on this disk. Printed for reference next to the official ratio.
DURABLE_SINK = SINK.replace('            more = message.get("more_body", False)\n',
                            '            more = message.get("more_body", False)\n        os.fsync(f.fileno())\n')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_file(directory: Path, size: int) -> Path:
    path = directory / "source.bin"
    block = os.urandom(16 * MiB)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
    return path


def settle() -> None:
    """Flush dirty pages before a timed run, so no run pays for the previous one's writeback."""
    subprocess.run(["sync"], check=False)


def time_cp(src: Path, directory: Path) -> float:
    dst = directory / "copy.bin"
    settle()
    start = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True)
    elapsed = time.perf_counter() - start
    dst.unlink()
    return elapsed


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


class Sink:
    def __init__(self, directory: Path, *, durable: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        (directory / "sink_app.py").write_text(DURABLE_SINK if durable else SINK)
        env = {**os.environ, "SINK_FILE": str(directory / "sink.bin")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "sink_app:app", "--port", str(self.port), "--log-level", "warning"],
            cwd=directory, env=env,
        )
        wait_up(self.url, self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


class Reelbase:
    """``reelbase serve`` on SQLite and local storage in ``directory``, with one API key."""

    def __init__(self, directory: Path) -> None:
        sys.path.insert(0, str(ROOT / "src"))
        from reelbase.core.auth import accounts
        from reelbase.core.runtime import build_runtime
        from reelbase.settings import Settings

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {"REELBASE_DATA_DIR": str(directory / "var"), "REELBASE_SECRET_KEY": "bench-" + "k" * 40,
               "REELBASE_WORKERS": "0", "REELBASE_QUEUE_URL": "memory", "REELBASE_PUBLIC_URL": self.url}
        settings = Settings(data_dir=directory / "var", secret_key=env["REELBASE_SECRET_KEY"])
        runtime = build_runtime(settings)
        with runtime.session() as db:
            user = accounts.create_user(db, email="bench@example.com", password=None)
            self.key = accounts.create_api_key(db, user=user, server_secret=runtime.secret_key).secret
            db.commit()
        runtime.engine.dispose()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from reelbase.cli import app; app()", "serve", "--port", str(self.port)],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_up(self.url + "/healthz", self.proc)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=600,
                            trust_env=False)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="reelbase-bench-"))


def cleanup(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def mbps(size: int, seconds: float) -> float:
    return size / MiB / seconds
