"""The video state table on a real database: which steps each state allows, what a step does to
progress and the state message, which webhook events it queues, and that no other module of
``src/`` assigns ``Video.state``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from reelbase.edge.errors import domain_error_response
from reelbase.core.auth import accounts
from reelbase.core.context import Principal
from reelbase.core.errors import Conflict, InvalidTransition
from reelbase.core.runtime import Runtime
from reelbase.core.videos.state import (
    INGEST_SHARE,
    REUPLOADABLE,
    TRANSITIONS,
    Step,
    advance_progress,
    can_move,
    move_video,
    release_upload,
)
from reelbase.core.videos.catalog import add_video
from reelbase.core.webhooks import create_subscription
from reelbase.db.models import Job, Video, VideoState, WebhookDelivery
from tests.conftest import make_account

URL = "http://testserver.invalid"
S = VideoState
SRC = Path(__file__).resolve().parents[2] / "src" / "reelbase"


def _principal(db: Session, runtime: Runtime) -> Principal:
    acct = make_account(runtime)
    return accounts.authenticate_secret(db, acct.secret)


def _video(db: Session, runtime: Runtime, principal: Principal, state: VideoState = S.created, *, progress: int = 0,
           message: str | None = None) -> Video:
    video = add_video(db, principal, settings=runtime.settings, title="t")
    video.state, video.progress, video.state_message = state.value, progress, message  # test set-up
    db.flush()
    return video


def _events(db: Session, video: Video) -> list[str]:
    rows = db.scalars(select(WebhookDelivery).where(WebhookDelivery.video_id == video.id).order_by(WebhookDelivery.id))
    return [d.event for d in rows]


def test_video_state_each_step_moves_only_from_its_sources(runtime: Runtime) -> None:
    with runtime.session() as db:
        principal = _principal(db, runtime)
        for step, row in TRANSITIONS.items():
            for state in VideoState:
                video = _video(db, runtime, principal, state, progress=7, message="before")
                if state in row.sources:
                    move_video(db, video, step, public_url=URL, message="why")
                    assert video.state == row.target.value, (step, state)
                else:
                    with pytest.raises(InvalidTransition) as refused:
                        move_video(db, video, step, public_url=URL, message="why")
                    assert refused.value.code == "invalid_state"
                    assert (video.state, video.progress, video.state_message) == (state.value, 7, "before"), \
                        "a refused step changes nothing"
                    assert _events(db, video) == []
        db.rollback()


def test_video_state_table_matches_what_the_code_does(runtime: Runtime) -> None:
    # Requests are guarded: a video with a file takes no new upload, a video still being
    # ingested takes no conversion, a derived video is made only from nothing.
    assert REUPLOADABLE == {"created", "uploading", "failed"}
    for state in (S.uploaded, S.ingesting, S.transcoding, S.ready):
        assert state not in TRANSITIONS[Step.upload_started].sources
        assert state not in TRANSITIONS[Step.source_attached].sources
    assert TRANSITIONS[Step.conversion_requested].sources == {S.ready, S.transcoding}
    assert TRANSITIONS[Step.processing_requested].sources == {S.created}
    # Only an upload that is going on can be released.
    for step in (Step.upload_released, Step.upload_restored, Step.upload_failed):
        assert TRANSITIONS[step].sources == {S.uploading}
    # Job ends come from the state the job itself set; job starts and failures from any state
    # (at-least-once re-runs).
    assert TRANSITIONS[Step.ladder_finished].sources == {S.transcoding}
    assert TRANSITIONS[Step.ingest_finished].sources == {S.ingesting}
    assert TRANSITIONS[Step.ladder_queued].sources == {S.ingesting}
    for step in (Step.ingest_started, Step.transcode_started, Step.job_failed):
        assert TRANSITIONS[step].sources == set(VideoState)
    with runtime.session() as db:
        principal = _principal(db, runtime)
        assert not can_move(_video(db, runtime, principal, S.ready), Step.upload_started)
        assert can_move(_video(db, runtime, principal, S.failed), Step.upload_started)
        db.rollback()


def test_video_state_refusal_is_a_409_conflict(runtime: Runtime) -> None:
    with runtime.session() as db:
        principal = _principal(db, runtime)
        video = _video(db, runtime, principal, S.ready)
        with pytest.raises(Conflict) as refused:
            move_video(db, video, Step.upload_started)
        assert isinstance(refused.value, InvalidTransition)
        response = domain_error_response(refused.value)
        assert response.status_code == 409
        assert b'"code":"invalid_state"' in response.body
        db.rollback()


def test_video_state_pipeline_emits_events_and_sets_progress(runtime: Runtime) -> None:
    with runtime.session() as db:
        principal = _principal(db, runtime)
        create_subscription(db, principal, url="https://hooks.example.com/x", events=["*"])
        video = _video(db, runtime, principal, message="an old failure")
        move_video(db, video, Step.upload_started)
        assert (video.state, video.state_message) == ("uploading", "an old failure")
        move_video(db, video, Step.source_attached, public_url=URL)
        assert (video.state, video.progress, video.state_message) == ("uploaded", 0, None)
        move_video(db, video, Step.ingest_started)
        assert (video.state, video.progress) == ("ingesting", 1)
        advance_progress(video, 50, span=(0, INGEST_SHARE))
        assert video.progress == 10
        advance_progress(video, 10, span=(0, INGEST_SHARE))
        assert video.progress == 10, "progress never goes backwards"
        move_video(db, video, Step.ladder_queued)
        advance_progress(video, 50, span=(INGEST_SHARE, 99))
        assert (video.state, video.progress) == ("transcoding", 59)
        move_video(db, video, Step.ladder_finished, public_url=URL)
        assert (video.state, video.progress, video.state_message) == ("ready", 100, None)
        move_video(db, video, Step.conversion_requested)
        assert (video.state, video.progress) == ("transcoding", INGEST_SHARE), "a new ladder starts after ingest"
        move_video(db, video, Step.job_failed, public_url=URL, message="ffmpeg exited with 1")
        assert (video.state, video.progress, video.state_message) == ("failed", INGEST_SHARE, "ffmpeg exited with 1")
        db.flush()
        assert _events(db, video) == ["upload.completed", "video.ready", "video.failed"]
        deliveries = list(db.scalars(select(WebhookDelivery).where(WebhookDelivery.video_id == video.id)))
        assert [d.payload["data"]["state"] for d in deliveries] == ["uploaded", "ready", "failed"]
        assert db.scalar(select(Job.id).where(Job.kind == "webhook")) is not None, "deliveries are queued as jobs"
        db.rollback()


def test_video_state_event_steps_need_the_public_url(runtime: Runtime) -> None:
    with runtime.session() as db:
        video = _video(db, runtime, _principal(db, runtime), S.transcoding)
        with pytest.raises(ValueError):
            move_video(db, video, Step.ladder_finished)
        assert video.state == "transcoding"
        db.rollback()


def test_video_state_release_puts_the_video_back_without_an_event(runtime: Runtime) -> None:
    with runtime.session() as db:
        principal = _principal(db, runtime)
        create_subscription(db, principal, url="https://hooks.example.com/x", events=["*"])
        dropped, kept, failed = (_video(db, runtime, principal, S.uploading, progress=3) for _ in range(3))
        release_upload(db, dropped, back_to=None)
        release_upload(db, kept, back_to="uploading", message="ignored")
        release_upload(db, failed, back_to="failed", message="could not fetch the URL")
        assert (dropped.state, dropped.state_message) == ("created", None)
        assert (kept.state, kept.state_message) == ("uploading", None)
        assert (failed.state, failed.state_message, failed.progress) == ("failed", "could not fetch the URL", 3)
        db.flush()
        assert _events(db, failed) == [], "a failed upload is reported on its session, not as video.failed"
        with pytest.raises(InvalidTransition):
            release_upload(db, _video(db, runtime, principal, S.uploading), back_to="ready")
        with pytest.raises(InvalidTransition):
            release_upload(db, _video(db, runtime, principal, S.ready), back_to=None)
        db.rollback()


# -- one owner ---------------------------------------------------------------------------------

# Receivers that name other rows with a ``state`` column (UploadSession, Job, WebhookDelivery).
OTHER_ROWS = {"sess", "row", "job", "delivery"}


def _mentions_video_state(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "VideoState" for n in ast.walk(node))


def state_assignments(source: str) -> list[int]:
    """Lines that assign a video's state: ``x.state = …`` (also in a tuple or augmented),
    ``setattr(x, "state", …)``, or ``state=VideoState…`` passed to a call (``values()``, ``Video()``)."""
    found: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            leaves = [leaf for t in targets for leaf in (t.elts if isinstance(t, ast.Tuple) else [t])]
            for leaf in leaves:
                if not (isinstance(leaf, ast.Attribute) and leaf.attr == "state"):
                    continue
                receiver = leaf.value.id if isinstance(leaf.value, ast.Name) else None
                if receiver not in OTHER_ROWS or (node.value is not None and _mentions_video_state(node.value)):
                    found.append(node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) > 1:
                name = node.args[1]
                if isinstance(name, ast.Constant) and name.value == "state":
                    found.append(node.lineno)
            for kw in node.keywords:
                if kw.arg == "state" and _mentions_video_state(kw.value):
                    found.append(node.lineno)
    return found


def test_video_state_checker_finds_each_form() -> None:
    sample = (
        "video.state = VideoState.ready.value\n"
        "derived.state, derived.progress = 'ready', 100\n"
        "setattr(v, 'state', 'failed')\n"
        "db.execute(update(Video).values(state=VideoState.failed.value))\n"
        "sess.state = VideoState.failed.value\n"
        "sess.state = UploadState.failed.value\n"
        "job.state = state\n"
    )
    assert sorted(state_assignments(sample)) == [1, 2, 3, 4, 5]


def test_video_state_has_one_owner() -> None:
    owners = {
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if state_assignments(path.read_text())
    }
    assert owners == {"core/videos/state.py"}
