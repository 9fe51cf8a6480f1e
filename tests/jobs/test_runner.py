"""The lease runner's rules, on the real database: one claim per attempt, expired leases are
reclaimed, a worker that lost its lease cannot commit results, retries are bounded."""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import ClassVar

import pytest

from reelbase.core.job_kinds import JobPayload
from reelbase.core.jobs import enqueue_job
from reelbase.core.runtime import Runtime, build_runtime
from reelbase.db.models import Job, utcnow
from reelbase.jobs.registry import JobContext, LostLease, job_handler
from reelbase.jobs.runner import claim_job, execute_job, reap_jobs
from tests.conftest import make_settings

CALLS: list[int] = []


class RunnerKind(enum.StrEnum):
    flaky = "test_flaky"


class FlakyPayload(JobPayload):
    kind: ClassVar[RunnerKind] = RunnerKind.flaky
    succeed_on: int


@job_handler(RunnerKind.flaky)
def _flaky(ctx: JobContext, payload: FlakyPayload) -> dict:
    CALLS.append(ctx.attempt)
    if ctx.attempt < payload.succeed_on:
        raise RuntimeError(f"transient failure {ctx.attempt}")
    with ctx.runtime.session() as db:
        ctx.check_owner(db)
    return {"attempt": ctx.attempt}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def rt(request: pytest.FixtureRequest, tmp_path: Path) -> Runtime:
    overrides: dict[str, object] = {"job_lease_seconds": 5}
    if request.param == "postgres":
        overrides["database_url"] = request.getfixturevalue("pg_schema")
    runtime = build_runtime(make_settings(tmp_path, **overrides))
    sent: list[int] = []
    runtime.dispatch = lambda job_id, delay=None: sent.append(job_id)
    runtime.sent = sent  # type: ignore[attr-defined]
    return runtime


def _job(rt: Runtime, *, succeed_on: int) -> int:
    with rt.session() as db:
        job = enqueue_job(db, FlakyPayload(succeed_on=succeed_on), max_attempts=3)
        db.commit()
        return job.id


def test_runner_claim_is_exclusive_until_lease_expires(rt: Runtime) -> None:
    job_id = _job(rt, succeed_on=1)
    assert rt.sent == [job_id], "dispatched once, after the commit"  # type: ignore[attr-defined]
    first = claim_job(rt, job_id)
    assert first is not None and first.attempt == 1
    assert claim_job(rt, job_id) is None, "a running job with a live lease cannot be claimed again"
    with rt.session() as db:
        db.get_one(Job, job_id).lease_expires_at = utcnow() - dt.timedelta(seconds=1)
        db.commit()
    assert reap_jobs(rt) == [job_id]
    second = claim_job(rt, job_id)
    assert second is not None and second.attempt == 2
    # The first attempt is fenced off: it can no longer commit results.
    with rt.session() as db, pytest.raises(LostLease):
        first.check_owner(db)
    with rt.session() as db:
        second.check_owner(db)


def test_runner_retries_transient_failures_then_succeeds(rt: Runtime) -> None:
    CALLS.clear()
    job_id = _job(rt, succeed_on=3)
    assert execute_job(rt, job_id) == "queued"
    assert execute_job(rt, job_id) == "queued"
    assert execute_job(rt, job_id) == "succeeded"
    assert CALLS == [1, 2, 3]
    with rt.session() as db:
        job = db.get_one(Job, job_id)
        assert (job.state, job.attempts, job.result) == ("succeeded", 3, {"attempt": 3})
    assert execute_job(rt, job_id) == "skipped", "a finished job is never run again"


def test_runner_gives_up_after_max_attempts(rt: Runtime) -> None:
    CALLS.clear()
    job_id = _job(rt, succeed_on=99)
    states = [execute_job(rt, job_id) for _ in range(4)]
    assert states == ["queued", "queued", "failed", "skipped"]
    with rt.session() as db:
        job = db.get_one(Job, job_id)
        assert job.state == "failed" and "failed 3 times" in (job.error or "")
    assert CALLS == [1, 2, 3]
