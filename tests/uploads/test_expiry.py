"""expire_upload_sessions: expired sessions lose their bytes, busy ones wait, old rows go."""

from __future__ import annotations

import datetime as dt
import os

from reelbase.core.uploads.ending import FINISHED_RETENTION, expire_upload_sessions
from reelbase.core.uploads.lock import upload_lock
from reelbase.db.models import UploadSession
from reelbase.storage import S3BlobStore
from tests.conftest import Account, LiveServer

from .conftest import TUS, MiB, staged_part_files, tus_create, tus_patch


def _age(live: LiveServer, upload_id: str, **delta: float) -> None:
    with live.runtime.session() as db:
        sess = db.query(UploadSession).filter_by(public_id=upload_id).one()
        past = dt.datetime.now(dt.UTC) - dt.timedelta(**delta)
        sess.expires_at = past
        sess.updated_at = past
        db.commit()


def _multipart_uploads(store: S3BlobStore) -> list[str]:
    resp = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix)
    return [u["Key"] for u in resp.get("Uploads", [])]


def test_expire_removes_bytes_and_gives_video_back(any_live: LiveServer, carol: Account) -> None:
    c = any_live.client(carol.secret)
    location = tus_create(c, 20 * MiB).headers["Location"]
    assert tus_patch(c, location, 0, os.urandom(6 * MiB + 5)).status_code == 204
    keep = tus_create(c, 100).headers["Location"]
    tus_patch(c, keep, 0, b"x" * 10)
    video = c.head(location, headers=TUS).headers["Reelbase-Video"]
    store = any_live.runtime.store
    if isinstance(store, S3BlobStore):
        assert len(_multipart_uploads(store)) == 2 and list(store.list("uploads/"))  # a part and a tail
    else:
        assert len(staged_part_files(any_live.runtime)) == 2
    expired_id = location.rsplit("/", 1)[1]
    _age(any_live, expired_id, minutes=1)
    assert expire_upload_sessions(any_live.runtime) == 1
    assert expire_upload_sessions(any_live.runtime) == 0
    assert c.head(location, headers=TUS).status_code == 410
    assert c.get(f"/api/v1/videos/{video}").json()["state"] == "created"
    if isinstance(store, S3BlobStore):
        assert len(_multipart_uploads(store)) == 1 and list(store.list(f"uploads/{expired_id}/")) == []
    else:
        assert len(staged_part_files(any_live.runtime)) == 1
    assert c.head(keep, headers=TUS).headers["Upload-Offset"] == "10"  # the live one is untouched


def test_expire_skips_a_session_being_written(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    location = tus_create(c, 100).headers["Location"]
    upload_id = location.rsplit("/", 1)[1]
    _age(live, upload_id, seconds=5)
    with upload_lock(live.runtime, upload_id):
        assert expire_upload_sessions(live.runtime) == 0
    assert expire_upload_sessions(live.runtime) == 1


def test_expire_forgets_finished_sessions_after_retention(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    location = tus_create(c, 3).headers["Location"]
    tus_patch(c, location, 0, b"abc")
    upload_id = location.rsplit("/", 1)[1]
    assert expire_upload_sessions(live.runtime) == 0
    assert c.head(location, headers=TUS).status_code == 200  # completed: still answers
    _age(live, upload_id, seconds=FINISHED_RETENTION.total_seconds() + 60)
    expire_upload_sessions(live.runtime)
    assert c.head(location, headers=TUS).status_code == 404
    assert c.get("/api/v1/videos").json()["items"][0]["state"] == "uploaded"  # the video stays
