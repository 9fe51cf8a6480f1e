"""``reelbase upload`` and its tus client: progress, resume after Ctrl-C, --wait, bad input."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reelbase.cli import app
from reelbase.client.tus import ResumeStore, TusUploader, UploadError
from reelbase.db.models import UploadSession, Video
from tests.conftest import Account, LiveServer

MiB = 1 << 20


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "My Clip.mp4"
    path.write_bytes(os.urandom(3 * MiB + 99))
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_cli_upload_prints_video_and_urls(live: LiveServer, alice: Account, clip: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["upload", str(clip), "--server", live.url, "--chunk-mb", "1",
                                      "--title", "Cli title", "--state-file", str(tmp_path / "s.json")],
                                env={"REELBASE_API_KEY": alice.secret})
    assert result.exit_code == 0, result.output
    with live.runtime.session() as db:
        video = db.query(Video).one()
        assert video.title == "Cli title" and video.original_filename == "My Clip.mp4"
        assert video.assets[0].sha256 == _sha(clip)
    assert video.uuid in result.output and f"{live.url}/api/v1/videos/{video.uuid}/original" in result.output
    assert ResumeStore(tmp_path / "s.json")._load() == {}  # nothing left to resume


def test_cli_upload_resumes_after_ctrl_c(live: LiveServer, alice: Account, clip: Path, tmp_path: Path) -> None:
    store = ResumeStore(tmp_path / "state.json")
    uploader = TusUploader(live.url, alice.secret, chunk_size=MiB, store=store)

    def interrupt(done: int, total: int) -> None:
        if done >= 2 * MiB:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        uploader.upload(clip, on_progress=interrupt)
    assert len(store._load()) == 1
    result = CliRunner().invoke(app, ["upload", str(clip), "--server", live.url, "--key", alice.secret,
                                      "--chunk-mb", "1", "--state-file", str(store.path)])
    assert result.exit_code == 0, result.output
    assert "resumed at byte" in result.output
    with live.runtime.session() as db:
        assert db.query(UploadSession).count() == 1  # the same upload, continued
        assert db.query(Video).one().assets[0].sha256 == _sha(clip)


def test_cli_upload_ctrl_c_exits_130_and_keeps_state(live: LiveServer, alice: Account, clip: Path,
                                                     tmp_path: Path) -> None:
    from reelbase.client.console import upload_files

    class Interrupting(TusUploader):
        def _send(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise KeyboardInterrupt

    state = tmp_path / "state.json"
    uploader = Interrupting(live.url, alice.secret, store=ResumeStore(state))
    assert upload_files([clip], server=live.url, key=alice.secret, uploader=uploader) == 130
    assert len(ResumeStore(state)._load()) == 1


def test_cli_upload_wait_until_ready(live: LiveServer, alice: Account, clip: Path, tmp_path: Path) -> None:
    def make_ready() -> None:  # stands in for the ingest pipeline, which this server does not run
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with live.runtime.session() as db:
                video = db.query(Video).filter_by(state="uploaded").one_or_none()
                if video is not None:
                    video.state = "ready"
                    db.commit()
                    return
            time.sleep(0.1)

    t = threading.Thread(target=make_ready)
    t.start()
    result = CliRunner().invoke(app, ["upload", str(clip), "--server", live.url, "--key", alice.secret, "--wait",
                                      "--wait-timeout", "20", "--state-file", str(tmp_path / "s.json")])
    t.join()
    assert result.exit_code == 0, result.output
    assert "ready" in result.output


def test_cli_upload_refusals(live: LiveServer, alice: Account, clip: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    no_key = runner.invoke(app, ["upload", str(clip), "--server", live.url], env={"REELBASE_API_KEY": ""})
    assert no_key.exit_code == 2 and "API key" in no_key.output
    missing = runner.invoke(app, ["upload", str(tmp_path / "nope.mp4"), "--server", live.url, "--key", "x"])
    assert missing.exit_code == 1 and "not a file" in missing.output
    bad_key = runner.invoke(app, ["upload", str(clip), "--server", live.url, "--key", "rb_wrong",
                                  "--state-file", str(tmp_path / "s.json")])
    assert bad_key.exit_code == 1
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(UploadError):
        TusUploader(live.url, alice.secret, store=ResumeStore(tmp_path / "s.json")).upload(empty)


def test_client_changed_file_starts_a_new_upload(live: LiveServer, alice: Account, clip: Path,
                                                 tmp_path: Path) -> None:
    store = ResumeStore(tmp_path / "state.json")
    uploader = TusUploader(live.url, alice.secret, chunk_size=MiB, store=store)
    with pytest.raises(KeyboardInterrupt):
        uploader.upload(clip, on_progress=lambda done, total: (_ for _ in ()).throw(KeyboardInterrupt)
                        if done >= MiB else None)
    clip.write_bytes(os.urandom(2 * MiB))  # edited meanwhile: its fingerprint changed
    result = uploader.upload(clip)
    assert result.resumed_from == 0
    with live.runtime.session() as db:
        assert db.query(UploadSession).count() == 2
