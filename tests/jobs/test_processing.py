"""Processing requests through the API: a derived video rendered by ffmpeg and scored against
its source; invalid requests refused before any work, with the field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LiveServer, make_account
from tests.jobs.conftest import upload_file, wait_for_state

pytestmark = pytest.mark.slow


def test_processing_creates_derived_video_with_quality(pipeline: LiveServer, clips: dict[str, Path]) -> None:
    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    src = upload_file(c, clips["av480"], title="source", options={"defer_conversion": True})
    assert wait_for_state(c, src["id"], {"ready", "failed"})["state"] == "ready"
    body = {
        "mediaContainerCodec": {"container": "mov", "codec": "prores"},
        "appleProresProfile": "hq",
        "denoiser": "hqdn3d",
        "resolution": {"width": 640, "height": 360},
        "range": {"startPositionMilliseconds": 500, "endPositionMilliseconds": 1500},
    }
    r = c.post(f"/api/v1/videos/{src['id']}/processing", json=body)
    assert r.status_code == 202, r.text
    derived = r.json()["video"]
    assert derived["parent"] == src["id"] and derived["state"] == "transcoding"
    done = wait_for_state(c, derived["id"], {"ready", "failed"}, timeout=180)
    assert done["state"] == "ready", done
    v = done["media_info"]["video"]
    assert v["codec_name"] == "prores" and (v["width"], v["height"]) == (640, 360)
    assert 900 <= done["duration_ms"] <= 1100
    fr = done["quality"]["full_reference"]
    assert fr["psnr_db"] > 20 and 0.5 < fr["ssim"] <= 1.0
    assert done["original_filename"].endswith("_processed.mov")
    file = c.get(f"/api/v1/videos/{derived['id']}/original")
    assert file.status_code == 200 and file.content[4:8] in (b"ftyp", b"wide", b"moov", b"mdat")
    children = c.get("/api/v1/videos", params={"parent": src["id"]}).json()
    assert [v["id"] for v in children["items"]] == [derived["id"]]
    # Deleting the source deletes the derived video and its files.
    assert c.delete(f"/api/v1/videos/{src['id']}").status_code == 204
    assert c.get(f"/api/v1/videos/{derived['id']}").status_code == 404
    assert list(pipeline.runtime.store.list(f"videos/{derived['id']}/")) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resolution": {"width": 640, "height": 480, "aspectRatioTag": "16:9"}}, "resolution"),
        ({"mediaContainerCodec": {"container": "mp4", "codec": "prores"}}, "mediaContainerCodec"),
        ({"frameRate": {"fps": 0}}, "frameRate"),
        ({"range": {"startPositionMilliseconds": 1500, "endPositionMilliseconds": 500}}, "range"),
        ({"range": {"startPositionMilliseconds": 0, "endPositionMilliseconds": 60000}}, "range"),
        ({"noSuchOption": True}, "noSuchOption"),
    ],
)
def test_processing_refuses_bad_requests_naming_the_field(
    pipeline: LiveServer, clips: dict[str, Path], body: dict, field: str
) -> None:
    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    src = upload_file(c, clips["portrait"], options={"ingest": "light"})
    assert wait_for_state(c, src["id"], {"ready", "failed"})["state"] == "ready"
    r = c.post(f"/api/v1/videos/{src['id']}/processing", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"].startswith(field), r.json()
    assert c.get("/api/v1/videos", params={"parent": src["id"]}).json()["total"] == 0
