"""Start a real S3-protocol server on loopback for tests: ``moto_server`` in a subprocess.

Usable from any test suite::

    from tests.storage.s3server import start_s3_server   # or a relative import

    endpoint_url, stop = start_s3_server()
    try:
        ...  # any bucket name, any credentials (moto accepts all)
    finally:
        stop()

Why moto_server: MinIO, SeaweedFS and Garage are not packaged on PyPI, Debian or npm (Debian
has only MinIO's Go client libraries); s3rver (npm) is a thinner fake, and LocalStack wraps moto
and needs more set-up. moto[server] is already a pinned test dependency, speaks the S3 wire
protocol over HTTP (multipart, ranges, presigned URLs, 5 MiB part minimum) and starts in ~1 s.
"""

from __future__ import annotations

import ctypes
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HOST = "127.0.0.1"


def start_s3_server(*, timeout: float = 30.0) -> tuple[str, Callable[[], None]]:
    """Start moto_server on a free loopback port; returns ``(endpoint_url, stop)``.

    ``stop()`` terminates the server (idempotent). Raises RuntimeError with the server's log
    if it does not answer within ``timeout`` seconds.
    """
    last_error = ""
    for _ in range(3):  # a free port can be taken by someone else before moto binds it
        port = _free_port()
        log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        proc = subprocess.Popen(
            [*_command(), "-H", HOST, "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_server_env(),
            preexec_fn=_die_with_parent,
        )
        stop = _stopper(proc, log)
        if _wait_until_up(proc, port, timeout):
            return f"http://{HOST}:{port}", stop
        last_error = _tail(log)
        stop()
    raise RuntimeError(f"moto_server did not start:\n{last_error}")


def _command() -> list[str]:
    script = Path(sys.executable).parent / "moto_server"
    if script.exists():
        return [str(script)]
    found = shutil.which("moto_server")
    return [found] if found else [sys.executable, "-m", "moto.server"]


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    # Fake credentials keep the server from ever looking for real ones; no proxy on loopback.
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", NO_PROXY="*")
    return env


def _die_with_parent() -> None:
    # Runs in the child: if the test process is killed (no teardown), the kernel stops the
    # server too instead of leaving it orphaned on its port. Linux only; elsewhere a no-op.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _wait_until_up(proc: subprocess.Popen[bytes], port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        conn = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            conn.request("GET", "/")  # ListBuckets: answers once the server is serving
            if conn.getresponse().status == 200:
                return True
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    return False


def _stopper(proc: subprocess.Popen[bytes], log: object) -> Callable[[], None]:
    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()  # type: ignore[attr-defined]

    return stop


def _tail(log: object, limit: int = 4000) -> str:
    try:
        log.seek(0)  # type: ignore[attr-defined]
        return log.read().decode(errors="replace")[-limit:]  # type: ignore[attr-defined]
    except (OSError, ValueError):
        return "(no log)"
