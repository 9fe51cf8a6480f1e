"""The maintenance loop of every worker process removes expired upload sessions by itself."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from reelbase.db.models import UploadSession
from tests.conftest import make_account
from tests.jobs.conftest import pipeline_server
from tests.uploads.conftest import TUS, tus_create, tus_patch


def test_maintenance_loop_expires_abandoned_uploads(tmp_path: Path) -> None:
    with pipeline_server(tmp_path, reaper_interval_seconds=0.2, upload_expiry_interval_seconds=0.2) as live:
        c = live.client(make_account(live.runtime).secret)
        location = tus_create(c, 1000).headers["Location"]
        assert tus_patch(c, location, 0, b"x" * 400).status_code == 204
        upload_id = location.rstrip("/").rsplit("/", 1)[1]
        with live.runtime.session() as db:
            sess = db.query(UploadSession).filter_by(public_id=upload_id).one()
            sess.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
            db.commit()
        deadline = time.monotonic() + 15
        state = "active"
        while time.monotonic() < deadline and state == "active":
            time.sleep(0.1)
            with live.runtime.session() as db:
                state = db.query(UploadSession).filter_by(public_id=upload_id).one().state
        assert state == "expired"
        assert c.head(location, headers=TUS).status_code in (404, 410)
