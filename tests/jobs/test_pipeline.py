"""The whole pipeline through the API: upload → ingest → ladder → ready, on real ffmpeg."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import LiveServer, make_account
from tests.jobs.conftest import ffmpeg, upload_file, wait_for_state

pytestmark = pytest.mark.slow


def test_pipeline_upload_to_ready_with_ladder_thumbnails_quality(pipeline: LiveServer, clips: dict[str, Path]) -> None:
    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    v = upload_file(c, clips["av480"], title="pattern")
    done = wait_for_state(c, v["id"], {"ready", "failed"})
    assert done["state"] == "ready", done
    assert done["progress"] == 100
    states = [s for s, _ in done["_seen"]]
    assert states[-1] == "ready" and "failed" not in states
    progresses = [p for _, p in done["_seen"]]
    assert progresses == sorted(progresses), "progress must never go backwards"
    info = done["media_info"]
    assert info["video"]["width"] == 854 and info["video"]["height"] == 480
    assert info["video"]["chroma_subsampling"] == "4:2:0" and info["video"]["bit_depth"] == 8
    assert 1900 <= done["duration_ms"] <= 2200
    assert info["audio"] and info["audio"][0]["codec_name"] == "aac"
    # Ladder: 360 and 480 (never above the source), each a playable MP4 at the listed URL.
    labels = {r["label"]: r for r in done["renditions"]}
    assert set(labels) == {"360", "480"}
    assert labels["480"]["height"] == 480 and labels["360"]["height"] == 360
    mp4 = c.get(labels["360"]["url"])
    assert mp4.status_code == 200 and mp4.headers["content-type"] == "video/mp4"
    assert int(mp4.headers["content-length"]) == labels["360"]["size"] > 1000
    assert mp4.content[4:8] == b"ftyp"
    # HLS master lists both variants with bandwidth/resolution/codecs; every playlist and segment resolves.
    streams = {s["label"]: s for s in done["streams"]}
    assert set(streams) == {"hls", "dash"}
    master = c.get(streams["hls"]["url"])
    assert master.status_code == 200 and master.text.startswith("#EXTM3U")
    assert master.text.count("#EXT-X-STREAM-INF") == 2
    assert "BANDWIDTH=" in master.text and "RESOLUTION=854x480" in master.text and "CODECS=" in master.text
    base = streams["hls"]["url"].rsplit("/", 1)[0]
    variant = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
    playlist = c.get(f"{base}/{variant}")
    assert playlist.status_code == 200 and "#EXTINF" in playlist.text
    pl_base = f"{base}/{variant}".rsplit("/", 1)[0]
    for line in playlist.text.splitlines():
        if line and not line.startswith("#"):
            seg = c.get(f"{pl_base}/{line}")
            assert seg.status_code == 200 and len(seg.content) > 0
    mpd = c.get(streams["dash"]["url"])
    ET.fromstring(mpd.text)
    assert "<MPD" in mpd.text
    # Thumbnails: 5 indexes, heights not above the source; one default; the storyboard.
    thumbs = [t for t in done["thumbnails"] if t["kind"] == "thumbnail"]
    assert {t["height"] for t in thumbs} == {360, 480}
    assert len(thumbs) == 10 and sum(t["default"] for t in thumbs) == 2
    jpg = c.get(thumbs[0]["url"])
    assert jpg.status_code == 200 and jpg.content[:2] == b"\xff\xd8"
    assert {t["label"] for t in done["thumbnails"] if t["kind"] == "storyboard"} == {"sprite", "vtt"}
    assert done["quality"] and 0 <= done["quality"]["overall"]["score"] <= 5
    jobs = c.get(f"/api/v1/videos/{v['id']}/jobs").json()["items"]
    assert [(j["kind"], j["state"]) for j in jobs] == [("ingest", "succeeded"), ("transcode", "succeeded")]
    # Exactly one ladder and one thumbnail set in storage: no leftovers.
    keys = [i.key for i in pipeline.runtime.store.list(f"videos/{v['id']}/")]
    assert len({k.split("/")[2] for k in keys if "/ladder-" in k}) == 1
    assert len({k.split("/")[2] for k in keys if "/thumbs-" in k}) == 1


def test_pipeline_portrait_without_audio_and_deferred_conversion(pipeline: LiveServer, clips: dict[str, Path]) -> None:
    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    v = upload_file(c, clips["portrait"], options={"defer_conversion": True})
    done = wait_for_state(c, v["id"], {"ready", "failed"})
    assert done["state"] == "ready", done
    assert done["renditions"] == [] and done["streams"] == []
    assert done["media_info"]["audio"] == []
    assert done["thumbnails"], "ingest still makes thumbnails"
    r = c.post(f"/api/v1/videos/{v['id']}/conversions", json={"mp4_only": True})
    assert r.status_code == 202
    again = c.post(f"/api/v1/videos/{v['id']}/conversions", json={})
    assert again.status_code == 409
    done = wait_for_state(c, v["id"], {"ready", "failed"})
    assert done["state"] == "ready"
    # Rungs are labelled by the short side (portrait 180x320 is "180", as players label portrait
    # video); a source below 360 gets one rung at its own size. mp4_only: no HLS/DASH.
    assert [(r["label"], r["width"], r["height"]) for r in done["renditions"]] == [("180", 180, 320)]
    assert done["streams"] == []


@pytest.mark.parametrize(
    ("clip", "message"),
    [("text", "not a video"), ("truncated", "truncated")],
)
def test_pipeline_bad_input_fails_with_clear_message(
    pipeline: LiveServer, clips: dict[str, Path], clip: str, message: str
) -> None:
    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    v = upload_file(c, clips[clip])
    done = wait_for_state(c, v["id"], {"ready", "failed"})
    assert done["state"] == "failed"
    assert message in done["state_message"]
    jobs = c.get(f"/api/v1/videos/{v['id']}/jobs").json()["items"]
    assert [(j["kind"], j["state"], j["attempts"]) for j in jobs] == [("ingest", "failed", 1)]
    # The original is kept and still downloadable: nothing the user uploaded is lost.
    assert c.get(f"/api/v1/videos/{v['id']}/original").content == clips[clip].read_bytes()


def test_pipeline_light_ingest_stops_after_metadata(pipeline: LiveServer, clips: dict[str, Path]) -> None:
    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    v = upload_file(c, clips["portrait"], options={"ingest": "light"})
    done = wait_for_state(c, v["id"], {"ready", "failed"})
    assert done["state"] == "ready"
    assert done["media_info"]["video"]["height"] == 320
    assert done["thumbnails"] == [] and done["renditions"] == [] and done["quality"] is None


def test_pipeline_hls_is_playable_before_the_ladder_is_done(pipeline: LiveServer, tmp_path: Path) -> None:
    clip = tmp_path / "long.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=1280x720:r=30:d=12", "-f", "lavfi", "-i", "sine=d=12",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(clip))
    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    v = upload_file(c, clip, options={"sd_only": True})
    deadline = time.monotonic() + 120
    live = None
    while time.monotonic() < deadline:
        body = c.get(f"/api/v1/videos/{v['id']}").json()
        if body["state"] in ("ready", "failed"):
            break
        if body["state"] == "transcoding" and body["streams"]:
            live = body
            break
        time.sleep(0.1)
    assert live is not None, "the HLS stream should be listed while the ladder still encodes"
    stream = live["streams"][0]
    assert stream["label"] == "hls" and stream["live"] is True
    master = c.get(stream["url"])
    assert master.status_code == 200 and "#EXT-X-STREAM-INF" in master.text
    base = stream["url"].rsplit("/", 1)[0]
    variant = next(line for line in master.text.splitlines() if line and not line.startswith("#"))
    playlist = c.get(f"{base}/{variant}").text
    assert "#EXTINF" in playlist
    for line in playlist.splitlines():
        if line and not line.startswith("#"):
            assert c.get(f"{base}/{line}").status_code == 200, "every listed segment is already stored"
    done = wait_for_state(c, v["id"], {"ready", "failed"}, timeout=180)
    assert done["state"] == "ready"
    assert {s["label"]: s["live"] for s in done["streams"]} == {"hls": False, "dash": False}
    final_url = next(s["url"] for s in done["streams"] if s["label"] == "hls")
    final = c.get(final_url)
    variant = next(line for line in final.text.splitlines() if line and not line.startswith("#"))
    assert "#EXT-X-ENDLIST" in c.get(f"{final_url.rsplit('/', 1)[0]}/{variant}").text


def test_pipeline_conversion_asked_during_ingest_starts_when_ingest_ends(
    pipeline: LiveServer, clips: dict[str, Path]
) -> None:
    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    v = upload_file(c, clips["portrait"], options={"defer_conversion": True})
    r = c.post(f"/api/v1/videos/{v['id']}/conversions", json={"mp4_only": True})
    assert r.status_code == 202, r.text
    # Asked before ingest ended: recorded, no job yet; ingest starts the ladder itself.
    if r.json()["job"] is None:
        assert r.json()["video"]["options"]["defer_conversion"] is False
    done = wait_for_state(c, v["id"], {"ready", "failed"})
    deadline = time.monotonic() + 60
    while done["state"] == "ready" and not done["renditions"] and time.monotonic() < deadline:
        time.sleep(0.2)
        done = c.get(f"/api/v1/videos/{v['id']}").json()
    assert done["state"] == "ready" and [r["label"] for r in done["renditions"]] == ["180"]
    kinds = [j["kind"] for j in c.get(f"/api/v1/videos/{v['id']}/jobs").json()["items"]]
    assert kinds == ["ingest", "transcode"]


def test_pipeline_thumbnails_select_default_and_resize_cached(pipeline: LiveServer, clips: dict[str, Path]) -> None:
    from reelbase.media.thumbnails import jpeg_size

    acct = make_account(pipeline.runtime)
    c = pipeline.client(acct.secret)
    v = upload_file(c, clips["av480"], options={"defer_conversion": True})
    assert wait_for_state(c, v["id"], {"ready", "failed"})["state"] == "ready"
    items = c.get(f"/api/v1/videos/{v['id']}/thumbnails").json()["items"]
    assert [t["index"] for t in items] == [1, 2, 3, 4, 5]
    assert [t["default"] for t in items] == [True, False, False, False, False]
    assert all(sorted(s["height"] for s in t["sizes"]) == [360, 480] for t in items)
    times = [t["time_s"] for t in items]
    assert times == sorted(times) and times[0] < times[-1], "frames chosen across the video"
    r = c.put(f"/api/v1/videos/{v['id']}/thumbnails/default", json={"index": 3})
    assert r.status_code == 200
    assert [t["default"] for t in c.get(f"/api/v1/videos/{v['id']}/thumbnails").json()["items"]] == [
        False, False, True, False, False]
    assert c.put(f"/api/v1/videos/{v['id']}/thumbnails/default", json={"index": 9}).status_code == 404
    resized = c.get(f"/api/v1/videos/{v['id']}/thumbnails/3.jpg", params={"height": 300})
    assert resized.status_code == 200 and resized.headers["content-type"] == "image/jpeg"
    out = pipeline.runtime.scratch_dir / "resized.jpg"
    out.write_bytes(resized.content)
    assert jpeg_size(out)[1] == 300
    cached = [i.key for i in pipeline.runtime.store.list(f"videos/{v['id']}/") if "/cache/" in i.key]
    assert len(cached) == 1 and cached[0].endswith("03_300.jpg")
    again = c.get(f"/api/v1/videos/{v['id']}/thumbnails/3.jpg", params={"height": 300})
    assert again.content == resized.content and again.headers["etag"] == resized.headers["etag"]
    exact = c.get(f"/api/v1/videos/{v['id']}/thumbnails/3.jpg", params={"height": 480})
    assert exact.status_code == 200 and len([i for i in pipeline.runtime.store.list(f"videos/{v['id']}/")
                                             if "/cache/" in i.key]) == 1, "stored sizes are served as they are"
    low = c.get(f"/api/v1/videos/{v['id']}/thumbnails/3.jpg", params={"height": 200})
    assert low.status_code == 422 and low.json()["error"]["field"] == "height"


def test_pipeline_on_the_embedded_sqlite_queue(tmp_path: Path, clips: dict[str, Path]) -> None:
    """The default set-up of `reelbase serve`: SqliteHuey in the data dir, workers in the server."""
    from tests.jobs.conftest import pipeline_server

    with pipeline_server(tmp_path, queue_url="sqlite") as live:
        assert (live.runtime.settings.data_dir / "queue.db").exists()
        acct = make_account(live.runtime)
        c = live.client(acct.secret)
        v = upload_file(c, clips["portrait"], options={"mp4_only": True})
        done = wait_for_state(c, v["id"], {"ready", "failed"})
        assert done["state"] == "ready" and [r["label"] for r in done["renditions"]] == ["180"]
