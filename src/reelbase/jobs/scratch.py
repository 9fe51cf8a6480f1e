"""Per-job scratch folders: workers copy objects here for ffmpeg and remove them afterwards.

The folder is named after the job, so a retried or re-claimed job first clears what a killed
attempt left behind (no orphaned temporary files)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reelbase.core.runtime import Runtime


@contextmanager
def job_scratch(runtime: Runtime, job_id: int) -> Iterator[Path]:
    path = runtime.scratch_dir / f"job-{job_id}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
