"""The per-upload lock: exclusive across threads and processes, released by a killed holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from reelbase.core.runtime import Runtime
from reelbase.core.uploads.lock import UploadLocked, upload_lock

CHILD = """
import sys, time
from pathlib import Path
from reelbase.core.runtime import build_runtime
from reelbase.core.uploads.lock import upload_lock
from reelbase.settings import Settings
rt = build_runtime(Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2] or None,
                            secret_key="x" * 40), migrate=False)
with upload_lock(rt, sys.argv[3]):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_upload_lock_excludes_a_second_thread(runtime: Runtime) -> None:
    errors: list[BaseException] = []
    with upload_lock(runtime, "a" * 32):
        def other() -> None:
            try:
                with upload_lock(runtime, "a" * 32, wait=0.2):
                    pass
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        with upload_lock(runtime, "b" * 32, wait=0.2):  # another upload is not blocked
            pass
    assert len(errors) == 1 and isinstance(errors[0], UploadLocked) and errors[0].status == 423
    with upload_lock(runtime, "a" * 32, wait=0.2):  # free again
        pass


def test_upload_lock_held_by_another_process_until_it_is_killed(runtime: Runtime) -> None:
    url = runtime.settings.database_url or ""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(runtime.settings.data_dir), url, "c" * 32],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        with pytest.raises(UploadLocked):
            with upload_lock(runtime, "c" * 32, wait=0.3):
                pass
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        deadline = time.monotonic() + 10
        while True:  # PostgreSQL notices the dead connection within moments
            try:
                with upload_lock(runtime, "c" * 32, wait=0.5):
                    break
            except UploadLocked:
                if time.monotonic() > deadline:
                    raise
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
