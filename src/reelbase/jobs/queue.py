"""Dispatch through Huey: an embedded SQLite queue by default, Redis for many machines.

``REELBASE_QUEUE_URL``: ``sqlite`` (a file in the data dir; workers run inside ``reelbase serve``),
``memory`` (tests: in-process), or ``redis://host:port/db`` (``reelbase worker`` on any host).
The queue only carries job ids; the database row is the truth (see jobs/runner.py).
"""

from __future__ import annotations

import logging
import threading
import time

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from reelbase.core.runtime import Runtime
from reelbase.core.uploads.ending import expire_upload_sessions
from reelbase.jobs import handlers  # noqa: F401  (registers every job kind)
from reelbase.jobs.runner import execute_job, reap_jobs

log = logging.getLogger(__name__)


def make_huey(runtime: Runtime) -> Huey:
    url = runtime.settings.resolved_queue_url()
    name = runtime.settings.queue_name
    if url == "sqlite":
        return SqliteHuey(name, filename=str(runtime.settings.data_dir / "queue.db"), results=False)
    if url == "memory":
        return MemoryHuey(name, results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False)
    raise ValueError(f"REELBASE_QUEUE_URL must be sqlite, memory or redis://…, not {url!r}")


class _ThreadConsumer(Consumer):
    """A consumer that runs in threads of a host process (uvicorn or a test) and so must leave
    that process's signal handlers alone."""

    def _set_signal_handlers(self) -> None:
        pass


class JobQueue:
    """The queue of one process: sends job ids, and optionally consumes them with workers."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.huey = make_huey(runtime)
        self._task = self.huey.task(name="run_job")(self._run)
        self._consumer: Consumer | None = None
        self._reaper_stop = threading.Event()
        self._reaper: threading.Thread | None = None
        runtime.dispatch = self.dispatch

    def _run(self, job_id: int) -> str:
        return execute_job(self.runtime, job_id)

    def dispatch(self, job_id: int, delay: float | None = None) -> None:
        if delay:
            self._task.schedule(args=(job_id,), delay=delay)
        else:
            self._task(job_id)

    def start_workers(self, workers: int, *, reaper: bool = True) -> None:
        if workers <= 0:
            return
        self._consumer = _ThreadConsumer(self.huey, workers=workers, worker_type="thread", periodic=False,
                                          initial_delay=0.05, max_delay=1.0, check_worker_health=False)
        self._consumer.start()
        if reaper:
            self._reaper = threading.Thread(target=self._reap_loop, name="job-reaper", daemon=True)
            self._reaper.start()

    def run_forever(self, workers: int) -> None:
        """Run as a dedicated worker process (``reelbase worker``): Huey's consumer in the main
        thread, with its signal handling (SIGINT/SIGTERM stop it gracefully)."""
        self._reaper = threading.Thread(target=self._reap_loop, name="job-reaper", daemon=True)
        self._reaper.start()
        consumer = self.huey.create_consumer(workers=max(1, workers), worker_type="thread", periodic=False,
                                             initial_delay=0.05, max_delay=1.0)
        try:
            consumer.run()
        finally:
            self._reaper_stop.set()

    def _reap_loop(self) -> None:
        """Maintenance in every worker process: re-dispatch lost jobs each pass, and remove
        expired upload sessions every ``upload_expiry_interval_seconds`` (both are safe to run
        in many processes at once)."""
        settings = self.runtime.settings
        next_expiry = 0.0
        while not self._reaper_stop.wait(settings.reaper_interval_seconds):
            try:
                reaped = reap_jobs(self.runtime)
                if reaped:
                    log.info("re-dispatched jobs %s", reaped)
                if time.monotonic() >= next_expiry:
                    next_expiry = time.monotonic() + settings.upload_expiry_interval_seconds
                    expired = expire_upload_sessions(self.runtime)
                    if expired:
                        log.info("removed %s expired upload sessions", expired)
            except Exception:
                log.exception("maintenance pass failed")

    def stop(self) -> None:
        self._reaper_stop.set()
        if self._consumer is not None:
            self._consumer.stop(graceful=True)
            self._consumer = None

