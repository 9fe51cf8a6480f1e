"""A storage failure in the middle of a chunk: 503 for that chunk only, the upload resumable.

Provoked honestly: the local store hits "file too large" (RLIMIT_FSIZE, what a full disk looks
like to a writer), the S3 store loses its connection (a proxy in front of the S3 server drops
every connection while the chunk streams)."""

from __future__ import annotations

import hashlib
import os
import resource
from collections.abc import Iterator
from pathlib import Path

from botocore.config import Config

from reelbase.app import create_app
from reelbase.core.runtime import build_runtime
from reelbase.storage import S3BlobStore
from reelbase.storage.s3 import _make_client
from tests.conftest import Account, LiveServer, make_account, make_settings, start_server

from .conftest import TUS, FlakyProxy, MiB, s3_settings, tus_create, tus_patch, video_of


def _finish(c, location: str, data: bytes) -> dict:  # type: ignore[no-untyped-def]
    offset = int(c.head(location, headers=TUS).headers["Upload-Offset"])
    assert tus_patch(c, location, offset, data[offset:]).status_code == 204
    return video_of(c, location)


def test_local_disk_full_mid_chunk_503_then_resume(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    data = os.urandom(6 * MiB)
    location = tus_create(c, len(data)).headers["Location"]
    assert tus_patch(c, location, 0, data[:2 * MiB]).status_code == 204
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (3 * MiB, hard))
    try:
        r = tus_patch(c, location, 2 * MiB, data[2 * MiB:])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert r.status_code == 503 and "retry" in r.json()["error"]["message"]
    offset = int(c.head(location, headers=TUS).headers["Upload-Offset"])
    assert 2 * MiB <= offset <= 3 * MiB  # what reached the disk is kept, nothing more is claimed
    video = _finish(c, location, data)
    assert video["original"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_s3_connection_lost_mid_chunk_503_then_resume(s3_proxy: FlakyProxy, tmp_path: Path) -> None:
    runtime = build_runtime(make_settings(tmp_path, **s3_settings(s3_proxy.url)))
    store = runtime.store
    assert isinstance(store, S3BlobStore)
    # One attempt per call, so that the failure shows at once instead of after botocore's retries.
    store.client = _make_client(endpoint_url=s3_proxy.url, region_name="us-east-1", aws_access_key_id="testing",
                                aws_secret_access_key="testing",
                                config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"},
                                              connect_timeout=2, read_timeout=5,
                                              request_checksum_calculation="when_required",
                                              response_checksum_validation="when_required"))
    url, server, thread = start_server(create_app(runtime))
    runtime.settings.public_url = url
    try:
        account = make_account(runtime)
        live = LiveServer(url=url, runtime=runtime)
        c = live.client(account.secret)
        data = os.urandom(20 * MiB)
        location = tus_create(c, len(data)).headers["Location"]
        assert tus_patch(c, location, 0, data[:9 * MiB]).status_code == 204

        def cut_midway() -> Iterator[bytes]:
            piece = data[9 * MiB:18 * MiB]
            yield piece[:MiB]
            s3_proxy.down = True  # the object store goes away while the chunk streams
            for i in range(MiB, len(piece), MiB):
                yield piece[i:i + MiB]

        try:
            r = c.patch(location, content=cut_midway(),
                        headers={**TUS, "Content-Type": "application/offset+octet-stream",
                                 "Upload-Offset": str(9 * MiB)})
        finally:
            s3_proxy.down = False
        assert r.status_code == 503, r.text
        video = _finish(c, location, data)
        assert video["original"]["sha256"] == hashlib.sha256(data).hexdigest()
        assert c.get(f"/api/v1/videos/{video['id']}/original").content == data
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.engine.dispose()


def test_failed_chunk_does_not_touch_another_upload(live: LiveServer, alice: Account) -> None:
    c = live.client(alice.secret)
    other = tus_create(c, 10).headers["Location"]
    tus_patch(c, other, 0, b"01234")
    data = os.urandom(4 * MiB)
    location = tus_create(c, len(data)).headers["Location"]
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (MiB, hard))
    try:
        assert tus_patch(c, location, 0, data).status_code == 503
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert tus_patch(c, other, 5, b"56789").status_code == 204
    assert video_of(c, other)["original"]["sha256"] == hashlib.sha256(b"0123456789").hexdigest()
    assert _finish(c, location, data)["original"]["size"] == len(data)

