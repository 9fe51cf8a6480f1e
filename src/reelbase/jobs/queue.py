"""Dispatch through Huey: an embedded SQLite queue by default, Redis for many machines.

``REELBASE_QUEUE_URL``: ``sqlite`` (a file in the data dir; workers run inside ``reelbase serve``),
``memory`` (tests: in-process), or ``redis://host:port/db`` (``reelbase worker`` on any host).
The queue only carries job ids; the database row is the truth (see jobs/runner.py).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer, Worker
from huey.signals import SIGNAL_ENQUEUED

from reelbase.core.runtime import Runtime
from reelbase.core.uploads.ending import expire_upload_sessions
from reelbase.jobs import handlers  # noqa: F401  (registers every job kind)
from reelbase.jobs.runner import execute_job, reap_jobs

log = logging.getLogger(__name__)

# How often an idle worker looks at the queue by itself. A job dispatched in this process wakes
# the workers at once (and so does a delayed job coming due), so this only bounds how late a job
# sent by another process is seen (another `serve --processes` process, an operator command).
# Redis workers block on the queue instead of polling.
IDLE_POLL_SECONDS = 5.0
FIRST_POLL_SECONDS = 0.05
POLL_BACKOFF = 2.0  # from the first poll to the idle one in about 6 s


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


class _WakeableWorker(Worker):
    """A Huey worker whose idle sleep ends when ``wake`` is set: polling backs off to
    IDLE_POLL_SECONDS while nothing comes, and starts over when a job is sent."""

    def __init__(self, *args: object, wake: threading.Event, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.wake = wake

    def sleep(self) -> None:
        delay = min(self.delay, self.max_delay)
        if self.wake.wait(delay):
            self.wake.clear()
            self.delay = self.default_delay
        else:
            self.delay = delay * self.backoff


class _ThreadConsumer(Consumer):
    """A consumer that runs in threads of a host process (uvicorn or a test) and so must leave
    that process's signal handlers alone. Its workers sleep until woken (``wake_workers``)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._wakes: list[threading.Event] = []
        super().__init__(*args, **kwargs)

    def _create_worker(self) -> Worker:
        wake = threading.Event()
        self._wakes.append(wake)
        return _WakeableWorker(huey=self.huey, stop_flag=self.stop_flag, default_delay=self.default_delay,
                               max_delay=self.max_delay, backoff=self.backoff, max_tasks=self.max_tasks,
                               wake=wake)

    def wake_workers(self) -> None:
        for wake in self._wakes:
            wake.set()

    def stop(self, graceful: bool = False) -> None:
        self.stop_flag.set()
        self.wake_workers()  # a sleeping worker sees the stop flag now, not after its idle poll
        super().stop(graceful=graceful)

    def _set_signal_handlers(self) -> None:
        pass


class JobQueue:
    """The queue of one process: sends job ids, and optionally consumes them with workers."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.huey = make_huey(runtime)
        self._task = self.huey.task(name="run_job")(self._run)
        self._consumer: _ThreadConsumer | None = None
        # The scheduler's enqueue of a delayed job that came due goes through Huey, not dispatch.
        self.huey.signal(SIGNAL_ENQUEUED)(lambda _signal, _task: self._wake())
        self._reaper_stop = threading.Event()
        self._reaper: threading.Thread | None = None
        self._lifecycle = threading.Lock()
        self._lock_fd: int | None = None
        runtime.dispatch = self.dispatch

    def _run(self, job_id: int) -> str:
        return execute_job(self.runtime, job_id)

    def dispatch(self, job_id: int, delay: float | None = None) -> None:
        if delay:
            self._task.schedule(args=(job_id,), delay=delay)
        else:
            self._task(job_id)
            self._wake()  # now that the job is in the queue (Huey signals just before storing it)

    def _wake(self) -> None:
        consumer = self._consumer
        if consumer is not None:
            consumer.wake_workers()

    def start_workers(self, workers: int, *, reaper: bool = True) -> None:
        if workers <= 0:
            return
        self._consumer = _ThreadConsumer(self.huey, workers=workers, worker_type="thread", periodic=False,
                                          initial_delay=FIRST_POLL_SECONDS, max_delay=IDLE_POLL_SECONDS,
                                          backoff=POLL_BACKOFF, check_worker_health=False)
        self._consumer.start()
        if reaper:
            self._reaper = threading.Thread(target=self._reap_loop, name="job-reaper", daemon=True)
            self._reaper.start()

    def start_workers_when_elected(self, workers: int, *, lock_path: Path) -> None:
        """Start the workers in only one of the processes that share ``lock_path``: a thread waits
        for an exclusive lock on the file and starts them once it has it. The lock is held until
        this queue stops or the process ends (the kernel releases it even on SIGKILL), and then a
        waiting process takes it."""
        if workers <= 0:
            return

        def elect() -> None:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)  # blocks while another process holds it
            with self._lifecycle:
                if self._reaper_stop.is_set():  # stopped while waiting: leave the lock to the others
                    os.close(fd)
                    return
                self._lock_fd = fd
                self.start_workers(workers)
            log.info("process %s runs the job workers", os.getpid())

        threading.Thread(target=elect, name="job-worker-election", daemon=True).start()

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
        with self._lifecycle:
            self._reaper_stop.set()
            if self._consumer is not None:
                self._consumer.stop(graceful=True)
                self._consumer = None
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

