"""Golden tests of the Pixop dialect against the letter of Pixop's document (seed 003): its own
process-video example sent as printed, the field table's combinations (produced by real ffmpeg where
ffmpeg can, refused with the reason where it cannot), requests made while the source is still being
ingested, ``page-size``, the account body's recorded values and ``download/processed`` by source id.

Servers here run no workers of their own: each test runs the queued jobs it needs with the real job
runner (``execute_job``), so "while the source is still ingesting" is a fact, not a race, and the
document's 30 s, 1080p example is checked up to its queued render without spending minutes on it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from reelbase.core.auth import accounts
from reelbase.core.jobs import jobs_for_video
from reelbase.db.models import Video
from reelbase.jobs.runner import execute_job
from tests.conftest import Account, LiveServer, make_account
from tests.dialects import pixop_shapes as shapes
from tests.dialects.pixop_client import (
    DOC_PROCESS_BODY,
    DOC_PROCESS_TEXT,
    failure_of,
    login,
    service,
)
from tests.jobs.conftest import ffmpeg, pipeline_server


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny generated inputs: a 1 s 320x180 clip with sound, a 31 s 64x36 one (the document's
    example asks for a 30 s range) and a text file named .mp4."""
    root = tmp_path_factory.mktemp("pixop-letter")
    out = {"clip": root / "clip.mp4", "long": root / "long.mp4", "text": root / "notes.mp4"}
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=1,scale=320:180", "-f", "lavfi", "-i",
           "sine=f=440:d=1", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-shortest", str(out["clip"]))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=128x72:r=8:d=31,scale=64:36", "-c:v", "libx264", "-preset",
           "ultrafast", "-pix_fmt", "yuv420p", str(out["long"]))
    out["text"].write_text("these are my notes, not a video\n" * 20)
    return out


@pytest.fixture
def quiet(tmp_path: Path) -> Iterator[LiveServer]:
    with pipeline_server(tmp_path, workers=0) as live:
        yield live


def run_jobs(live: LiveServer, video_id: str, kind: str) -> list[str]:
    """Run the video's queued jobs of ``kind`` as a worker would; their resulting states."""
    with live.runtime.session() as db:
        video = db.scalar(select(Video).where(Video.uuid == video_id))
        assert video is not None
        queued = [j.id for j in jobs_for_video(db, video.id) if j.kind == kind and j.state == "queued"]
    return [execute_job(live.runtime, job_id) for job_id in queued]


def upload(live: LiveServer, token: str, path: Path, *, light: bool = False) -> str:
    with service(live, token) as c:
        created = c.put("/videos/v1/video", json={"name": path.stem}).json()
    with service(live, token, media=True) as m:
        url = created["uploadLightMediaUrl" if light else "uploadMediaUrl"]
        r = m.post(url, files={"file": (path.name, path.read_bytes(), "video/mp4")})
    assert r.status_code == 200, r.text
    return created["videoId"]


def ingested(live: LiveServer, token: str, path: Path, *, light: bool = True) -> str:
    vid = upload(live, token, path, light=light)
    assert run_jobs(live, vid, "ingest") == ["succeeded"]
    return vid


def process(c: httpx.Client, source: str, body: dict) -> dict:
    r = c.post(f"/videos/v1/process-video/{source}", json=body)
    assert r.status_code == 200, r.text
    shapes.check_shape(r.json(), shapes.PROCESS)
    return r.json()


def processed(live: LiveServer, c: httpx.Client, answer: dict) -> dict:
    """Render a processed video with the real process job; its Pixop representation."""
    assert run_jobs(live, answer["processedVideoId"], "process") == ["succeeded"]
    video = c.get(f"/videos/v1/video/{answer['processedVideoId']}").json()
    shapes.check_shape(video, shapes.VIDEO)
    assert video["video"]["processing"]["processingState"]["processingStatus"] == "DONE"
    return video["video"]


def refusal(c: httpx.Client, video_id: str, body: dict) -> str:
    r = c.post(f"/videos/v1/process-video/{video_id}", json=body)
    assert r.status_code == 400, (body, r.text)
    assert failure_of(r) == "BadRequestException"
    return r.json()["errorMessage"]


# ---------------------------------------------------------------- the document's own example


@pytest.mark.slow
def test_document_example_sent_verbatim_is_accepted_and_waits_for_ingest(
    quiet: LiveServer, media: dict[str, Path]
) -> None:
    """The document's "Trigger a request to process a video" example, sent byte for byte (it lacks
    the comma after the "scanning" object). It gives the resolution tag with the frame it stands
    for: "Specifically hd_1080p implies an output frame of 1920 x 1080 pixels" ("width": 1920,
    "height": 1080, "aspectRatioTag": "16:9"); "interlaced_tff" - "Perform explicit interlacing of
    the processed video, top field first" - with "scanningType": "interlaced" and
    "interlacedFieldOrder": "top_field"; "film" - "24 FPS" - with "fps": 24.0. It names
    "appleProresProfile" ("Only if codec is prores") and "dnxhdHrProfile" ("Only if codec is dnxhd")
    with "codec": "h264": they do not apply, and the parameters say so.

    Sent while the source is still being ingested, it is recorded, and starts when the ingest ends."""
    token = login(quiet, make_account(quiet.runtime))
    source = upload(quiet, token, media["long"], light=True)
    with service(quiet, token) as c:
        r = c.post(f"/videos/v1/process-video/{source}", content=DOC_PROCESS_TEXT)
        assert r.status_code == 200, r.text
        answer = r.json()
        shapes.check_shape(answer, shapes.PROCESS)
        assert answer["sourceVideoId"] == source and answer["processingParameters"] is None
        pvid = answer["processedVideoId"]
        waiting = c.get(answer["checkProgressUrl"]).json()
        shapes.check_shape(waiting, shapes.CHECK_PROCESS)
        assert waiting["processingState"]["processingStatus"] == "QUEUED"
        assert run_jobs(quiet, pvid, "process") == []  # nothing to run before the source is ingested

        assert run_jobs(quiet, source, "ingest") == ["succeeded"]
        video = c.get(f"/videos/v1/video/{pvid}").json()
        shapes.check_shape(video, shapes.VIDEO)
        params = video["video"]["processing"]["processingParameters"]
        assert params["sourceVideo"] == {"startPositionMilliseconds": 0, "endPositionMilliseconds": 30000}
        target = params["targetVideo"]
        assert (target["container"]["name"], target["codec"]["name"]) == ("mov", "h264")
        assert target["codec"]["properties"] == {"scanningType": "interlaced", "interlacedFieldOrder": "top_field",
                                                 "frameRate": 24.0}
        assert target["pixelFormat"] == {"name": "yuv422p", "chromaSubsampling": {"yuv": "4:2:2", "bits": 8}}
        assert (target["frameWidth"], target["frameHeight"], target["bitrate"]) == (1920, 1080, 20_500_000)
        assert [f["name"] for f in target["videoFilters"]] == ["deint", "denoise", "dejit", "pabsr1", "fblend",
                                                               "filmgrain"]
        assert target["videoFilters"][3]["properties"] == {"clarityBoost": "low"}
        assert params["unusedParameters"] == [
            {"field": "appleProresProfile", "value": "standard",
             "reason": "applies only to codec prores; the codec is h264"},
            {"field": "dnxhdHrProfile", "value": "dnxhd_sq",
             "reason": "applies only to codec dnxhd; the codec is h264"},
        ]
        # Started: its render is queued (and not run here: 30 s of 1080p would take minutes).
        with quiet.runtime.session() as db:
            derived = db.scalar(select(Video).where(Video.uuid == pvid))
            assert [(j.kind, j.state) for j in jobs_for_video(db, derived.id)] == [("process", "queued")]
            assert derived.original_filename == "long_processed.mov"

        # Once the source is ingested the answer carries the parameters at once; the body as JSON
        # (the comma added) is the same request.
        again = c.post(f"/videos/v1/process-video/{source}", json=DOC_PROCESS_BODY).json()
        assert again["processingParameters"] == params


def test_explicit_values_that_contradict_their_tag_are_refused_naming_both(live: LiveServer, alice: Account) -> None:
    """"Specifically hd_1080p implies an output frame of 1920 x 1080 pixels", "uhd_4k 3840 x 2160
    pixels", "film 24 FPS", "interlaced_bff Perform explicit interlacing of the processed video,
    bottom field first": an explicit value that describes something else is a real contradiction,
    refused with both named. "It's a bad request to specify all of width, height and a aspect ratio
    tag together" is read the same way: the document's own example gives all three (and a tag), so
    three that agree are accepted and three that disagree are the bad request. (Decided before the
    source is needed: this video has no media yet.)"""
    with service(live, login(live, alice)) as c:
        vid = c.put("/videos/v1/video", json={"name": "empty"}).json()["videoId"]
        cases = [
            ({"resolution": {"tag": "hd_1080p", "width": 1280}},
             "resolution.tag: hd_1080p is 1920x1080, which contradicts resolution.width 1280"),
            ({"resolution": {"tag": "uhd_4k", "aspectRatioTag": "4:3"}},
             "resolution.aspectRatioTag: 4:3 contradicts the 3840x2160 frame of uhd_4k"),
            ({"resolution": {"width": 640, "height": 480, "aspectRatioTag": "16:9"}},
             "resolution.aspectRatioTag: 16:9 contradicts the 640x480 frame of resolution.width and "
             "resolution.height"),
            ({"scanning": {"tag": "interlaced_bff", "interlacedFieldOrder": "top_field"}},
             "scanning.tag: interlaced_bff contradicts scanning.scanningType/interlacedFieldOrder"),
            ({"scanning": {"tag": "progressive", "scanningType": "interlaced"}},
             "scanning.tag: progressive contradicts scanning.scanningType/interlacedFieldOrder (interlaced)"),
            ({"frameRate": {"tag": "film", "fps": 25}}, "frameRate.tag: film is 24.000 fps, not 25"),
        ]
        for body, message in cases:
            assert refusal(c, vid, body).startswith(message), body
        # Agreeing values are not refused; this video just has nothing to process yet.
        agreeing = {"resolution": {"tag": "uhd_4k", "width": 3840, "aspectRatioTag": "16:9"}}
        r = c.post(f"/videos/v1/process-video/{vid}", json=agreeing)
        assert r.status_code == 409 and failure_of(r) == "ConflictException"
        assert "not ingested yet (state created)" in r.json()["errorMessage"]


# ---------------------------------------------------------------- requests that wait for the ingest


@pytest.mark.slow
def test_request_made_while_ingesting_starts_when_ingest_ends_and_downloads_by_source(
    quiet: LiveServer, media: dict[str, Path]
) -> None:
    """"Trigger a request to process a video" on a video whose upload is still being ingested: the
    request is recorded and starts when the ingest ends, like a conversion asked for meanwhile; a
    request the ingested source refuses (a clip past its end, "[0-duration of video in
    milliseconds]") fails then, saying why. "Download processed media associated with a video item
    - Subpath: /v1/download/processed/[video-id]": given the source's id, the newest processed
    video of that source is served."""
    acct = make_account(quiet.runtime)
    token = login(quiet, acct)
    source = upload(quiet, token, media["clip"])  # full ingest: thumbnails, quality, then the ladder
    with service(quiet, token) as c, service(quiet, token, media=True) as m:
        good = process(c, source, {"mediaContainerCodec": {"container": "mp4", "codec": "h264"},
                                   "resolution": {"width": 160, "height": 90}})
        past_end = process(c, source, {"range": {"endPositionMilliseconds": 5000}})
        for answer in (good, past_end):
            assert answer["processingParameters"] is None
            assert c.get(answer["checkProgressUrl"]).json()["processingState"]["processingStatus"] == "QUEUED"
        none_yet = m.get(f"/media/v1/download/processed/{source}")
        assert none_yet.status_code == 404 and failure_of(none_yet) == "MediaNotFoundException"

        assert run_jobs(quiet, source, "ingest") == ["succeeded"]
        failed = c.get(past_end["checkProgressUrl"]).json()["processingState"]
        assert failed["processingStatus"] == "FAILED"
        duration = c.get(f"/videos/v1/video/{source}").json()["video"]["ingestion"]["metadata"]["durationInMillis"]
        with quiet.client(acct.secret) as native:  # the reason, as the native API shows it
            message = native.get(f"/api/v1/videos/{past_end['processedVideoId']}").json()["state_message"]
        assert message == ("the request does not fit the ingested source: range.endPositionMilliseconds: "
                           f"5000 ms is past the end of the {duration} ms video")
        started = c.get(good["checkProgressUrl"]).json()["processingState"]["processingStatus"]
        assert started == "QUEUED"
        assert c.get(f"/videos/v1/video/{good['processedVideoId']}").json()["video"]["processing"][
            "processingParameters"]["targetVideo"]["frameWidth"] == 160

        video = processed(quiet, c, good)
        md = video["ingestion"]["metadata"]
        assert (md["containerName"].split(",")[0], md["codecName"], md["frameWidth"], md["frameHeight"]) == (
            "mov", "h264", 160, 90)
        direct = m.get(good["downloadMediaUrl"])
        by_source = m.get(f"/media/v1/download/processed/{source}")
        assert direct.status_code == by_source.status_code == 200
        assert by_source.content == direct.content and by_source.content[4:8] == b"ftyp"
        assert by_source.headers["etag"] == direct.headers["etag"]
        assert "clip_processed.mp4" in by_source.headers["content-disposition"]
        ranged = m.get(f"/media/v1/download/processed/{source}", headers={"Range": "bytes=0-7"})
        assert ranged.status_code == 206 and ranged.content == direct.content[:8]

        # The newest ready one is served: a second rendering of the same source replaces the first.
        newer = process(c, source, {"mediaContainerCodec": {"container": "mov", "codec": "mpeg2"},
                                    "resolution": {"width": 160, "height": 90}})
        assert m.get(f"/media/v1/download/processed/{source}").content == direct.content  # not ready yet
        processed(quiet, c, newer)
        latest = m.get(f"/media/v1/download/processed/{source}")
        assert latest.content == m.get(newer["downloadMediaUrl"]).content != direct.content
        assert "clip_processed.mov" in latest.headers["content-disposition"]

        alone = c.put("/videos/v1/video", json={"name": "never processed"}).json()["videoId"]
        missing = m.get(f"/media/v1/download/processed/{alone}")
        assert missing.status_code == 404 and "has no processed video" in missing.json()["errorMessage"]


@pytest.mark.slow
def test_request_waiting_for_a_file_that_is_not_a_video_fails_with_it(
    quiet: LiveServer, media: dict[str, Path]
) -> None:
    """A request recorded while the source was being ingested fails when the ingest finds no
    video, instead of waiting for ever."""
    acct = make_account(quiet.runtime)
    token = login(quiet, acct)
    source = upload(quiet, token, media["text"])
    with service(quiet, token) as c:
        answer = process(c, source, {})
        assert run_jobs(quiet, source, "ingest") == ["failed"]
        assert c.get(f"/videos/v1/check-ingest-video-progress/{source}").json()["ingestionState"][
            "ingestionStatus"] == "FAILED"
        state = c.get(answer["checkProgressUrl"]).json()["processingState"]
        assert state["processingStatus"] == "FAILED"
    with quiet.client(acct.secret) as native:
        source_message = native.get(f"/api/v1/videos/{source}").json()["state_message"]
        message = native.get(f"/api/v1/videos/{answer['processedVideoId']}").json()["state_message"]
    assert source_message.startswith("not a video")
    assert message == f"the source video could not be ingested: {source_message}"


# ---------------------------------------------------------------- the table's combinations


@pytest.mark.slow
def test_combinations_ffmpeg_can_produce_are_produced(quiet: LiveServer, media: dict[str, Path]) -> None:
    """The table lets any container take any codec, any codec any chroma subsampling and bit depth
    ("If not explicitly specified the chroma subsampling of the source video will be inherited"),
    and a bitrate with any codec ("bitrate→mbps [0.01-4000.0]"). Where FFmpeg can make the file, it
    is made: ProRes in MXF, a ProRes bitrate, 4:1:1 and 16-bit without a codec named ("Any of
    container, codec, chroma subsampling and bitrate will be assumed based on source video metadata
    ... when not specified in request": a codec that can encode them), XDCAM HD422 in MP4."""
    token = login(quiet, make_account(quiet.runtime))
    source = ingested(quiet, token, media["clip"])
    with service(quiet, token) as c, service(quiet, token, media=True) as m:
        mxf = process(c, source, {"mediaContainerCodec": {"container": "mxf", "codec": "prores"},
                                  "appleProresProfile": "lt"})
        v = processed(quiet, c, mxf)["ingestion"]["metadata"]
        assert (v["containerName"], v["codecName"], v["pixelFormat"]["name"]) == ("mxf", "prores", "yuv422p10le")
        file = m.get(mxf["downloadMediaUrl"])
        assert file.content[:4] == bytes.fromhex("060e2b34")  # an MXF partition pack key
        assert mxf["processingParameters"]["targetVideo"]["codec"]["properties"]["profile"] == "lt"

        rated = process(c, source, {"mediaContainerCodec": {"codec": "prores"}, "bitrate": {"mbps": 2.4}})
        assert rated["processingParameters"]["targetVideo"]["bitrate"] == 2_400_000
        v = processed(quiet, c, rated)["ingestion"]["metadata"]
        assert (v["containerName"].split(",")[0], v["codecName"]) == ("mov", "prores")
        achieved = v["videoStreamSize"] * 8 / (v["durationInMillis"] / 1000)
        assert 0.5 * 2_400_000 < achieved < 1.15 * 2_400_000, achieved

        for body, container, pix_fmt, exact in [
            ({"chromaSubsampling": {"yuv": "4:1:1"}}, "mov", "yuv411p", False),
            ({"chromaSubsampling": {"bits": 16}}, "mov", "yuv420p16le", True),
        ]:
            answer = process(c, source, body)
            target = answer["processingParameters"]["targetVideo"]
            assert (target["container"]["name"], target["codec"]["name"], target["pixelFormat"]["name"]) == (
                container, "ffv1", pix_fmt)
            video = processed(quiet, c, answer)
            v = video["ingestion"]["metadata"]
            assert (v["codecName"], v["pixelFormat"]["name"]) == ("ffv1", pix_fmt)
            scores = {q["name"]: q["sampleMean"] for q in video["ingestion"]["qualityAssessment"]["metrics"]}
            # FFV1 is lossless: the luma is kept exactly (an infinite PSNR, shown as null); 16 bits keep
            # every sample, while 4:1:1 resamples the chroma of the 4:2:0 source.
            assert scores["psnr"] is None and (scores["ssim"] == 1.0) is exact, scores

        xdcam = process(c, source, {"mediaContainerCodec": {"container": "mp4", "codec": "xdcam"},
                                    "range": {"endPositionMilliseconds": 400}})
        v = processed(quiet, c, xdcam)["ingestion"]["metadata"]
        assert (v["codecName"], v["pixelFormat"]["chromaSubsampling"]["yuv"], v["frameWidth"]) == (
            "mpeg2video", "4:2:2", 1280)
        assert m.get(xdcam["downloadMediaUrl"]).content[4:8] == b"ftyp"

        # A ProRes bitrate outside what prores_ks can target at this size and rate says so.
        assert refusal(c, source, {"mediaContainerCodec": {"codec": "prores"}, "bitrate": {"mbps": 200}}) == (
            "bitrate.mbps: ProRes at 320x180 and 25 fps takes 0.77-49.15 Mb/s (FFmpeg's prores_ks targets "
            "128-8192 bits per macroblock)")


def test_combinations_ffmpeg_cannot_produce_are_refused_saying_why(live: LiveServer, alice: Account) -> None:
    """Combinations the table does not rule out but FFmpeg 6 cannot make are refused, and the answer
    says what stops them and what would work."""
    with service(live, login(live, alice)) as c:
        vid = c.put("/videos/v1/video", json={"name": "empty"}).json()["videoId"]
        cases = [
            ({"mediaContainerCodec": {"container": "mp4", "codec": "prores"}},
             "mediaContainerCodec.codec: prores cannot be stored in mp4: FFmpeg's MP4 muxer has no sample entry "
             "for ProRes (a QuickTime codec); mp4 takes h264, xdcam, hevc, mpeg2"),
            ({"mediaContainerCodec": {"container": "mts", "codec": "ffv1"}},
             "mediaContainerCodec.codec: ffv1 cannot be stored in mts: MPEG-TS has no stream type for FFV1"),
            ({"mediaContainerCodec": {"codec": "h264"}, "chromaSubsampling": {"yuv": "4:1:1"}},
             "chromaSubsampling.yuv: h264 cannot encode 4:1:1: FFmpeg's libx264 takes 4:2:0 at 8/10 bits, "
             "4:2:2 at 8/10 bits, 4:4:4 at 8/10 bits; ffv1 can encode 4:1:1"),
            ({"mediaContainerCodec": {"codec": "h264"}, "chromaSubsampling": {"bits": 14}},
             "chromaSubsampling.bits: h264 cannot encode 14 bits"),
            ({"mediaContainerCodec": {"container": "mp4"}, "chromaSubsampling": {"yuv": "4:1:1"}},
             "chromaSubsampling: 4:1:1 is encoded here only by ffv1, which mp4 cannot carry (FFmpeg's MP4 muxer "
             "has no sample entry for FFV1); use mov"),
            ({"chromaSubsampling": {"yuv": "4:1:1", "bits": 10}}, "chromaSubsampling.bits: no codec here encodes "
             "4:1:1 10-bit"),
            ({"mediaContainerCodec": {"container": "mxf", "codec": "prores"},
              "scanning": {"tag": "interlaced_tff"}},
             "scanning: interlaced prores in mxf is not available: FFmpeg 6's MXF muxer describes ProRes as "
             "progressive"),
            ({"mediaContainerCodec": {"codec": "hevc"}, "scanning": {"scanningType": "interlaced"}},
             "scanning: interlaced output is not available for hevc"),
        ]
        for body, message in cases:
            assert refusal(c, vid, body).startswith(message), body


@pytest.mark.slow
def test_bitrates_the_encoder_cannot_take_are_refused_saying_why(quiet: LiveServer, media: dict[str, Path]) -> None:
    """"bitrate→mbps ... A suitable value is computed automatically ... if bitrate is unspecified":
    with an explicit one, ProRes in MXF, FFV1 (chosen for 4:1:1) and DNxHR say why they cannot."""
    token = login(quiet, make_account(quiet.runtime))
    source = ingested(quiet, token, media["clip"])
    with service(quiet, token) as c:
        assert refusal(c, source, {"mediaContainerCodec": {"container": "mxf", "codec": "prores"},
                                   "bitrate": {"mbps": 5}}).startswith(
            "bitrate.mbps: a ProRes bitrate is targeted by FFmpeg's prores_ks encoder, but FFmpeg 6's MXF muxer "
            "needs the profile that only prores_aw reports")
        assert refusal(c, source, {"chromaSubsampling": {"yuv": "4:1:1"}, "bitrate": {"mbps": 5}}) == (
            "bitrate.mbps: ffv1 is lossless: its bitrate follows from the picture and FFmpeg's ffv1 encoder takes "
            "no target; leave it out (ffv1 was chosen because it is the only codec here that encodes 4:1:1)")
        assert refusal(c, source, {"mediaContainerCodec": {"codec": "dnxhd"}, "bitrate": {"mbps": 5}}).startswith(
            "bitrate.mbps: DNxHD/DNxHR rates are fixed by the profile")


@pytest.mark.slow
def test_extra_and_inapplicable_keys_are_ignored_and_listed(quiet: LiveServer, media: dict[str, Path]) -> None:
    """Pixop bodies may carry keys the document does not define; in process-video, as in every other
    Pixop body, they are ignored, and the parameters list them. "clarityBoost ... Defines the amount
    of contrast enhancement performed when Pixop Super Resolution scaler is selected": without that
    scaler it does not apply."""
    token = login(quiet, make_account(quiet.runtime))
    source = ingested(quiet, token, media["clip"])
    with service(quiet, token) as c:
        answer = process(c, source, {"mediaContainerCodec": {"container": "mp4", "codec": "h264", "tune": "film"},
                                     "resolution": {"width": 160, "height": 90}, "clarityBoost": "high",
                                     "notifyUrl": "https://example.com/done"})
        assert answer["processingParameters"]["unusedParameters"] == [
            {"field": "notifyUrl", "value": "https://example.com/done",
             "reason": "not a field of the processing request; ignored"},
            {"field": "mediaContainerCodec.tune", "value": "film",
             "reason": "not a field of the processing request; ignored"},
            {"field": "clarityBoost", "value": "high", "reason": "applies only with the pabsr1 or dvres scaler, "
             "not scale"},
        ]
        assert [f["name"] for f in answer["processingParameters"]["targetVideo"]["videoFilters"]] == ["scale"]
        v = processed(quiet, c, answer)
        assert v["processing"]["processingParameters"] == answer["processingParameters"]
        assert (v["ingestion"]["metadata"]["frameWidth"], v["ingestion"]["metadata"]["codecName"]) == (160, "h264")
        # A lone ProRes profile picks its codec (the table: "Only if codec is prores").
        prores = process(c, source, {"appleProresProfile": "proxy"})["processingParameters"]
        assert (prores["targetVideo"]["codec"]["name"], prores["targetVideo"]["codec"]["properties"]["profile"],
                prores["targetVideo"]["container"]["name"], prores["unusedParameters"]) == (
            "prores", "proxy", "mov", [])


# ---------------------------------------------------------------- pages and accounts


def test_page_size_over_the_maximum_is_capped(live: LiveServer, alice: Account) -> None:
    """"page-size - How many results to return per page": the document sets no maximum, so a size
    over ours is served at ours (and said so in "pageSize" and the links), not refused."""
    with service(live, login(live, alice)) as c:
        for i in range(3):
            c.put("/videos/v1/project", json={"name": f"p{i}"})
            c.put("/videos/v1/video", json={"name": f"v{i}"})
        for path, embedded in (("/videos/v1/projects", "projects"), ("/videos/v1/videos", "videos")):
            r = c.get(path, params={"page-size": 100_000})
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["pageSize"] == 100 and body["page"] == 1 and len(body["_embedded"][embedded]) == 3
            assert body["_links"]["self"]["href"].endswith("page=1&page-size=100")
            assert body["_links"]["last"]["href"].endswith("page=1&page-size=100")
            small = c.get(path, params={"page-size": 2}).json()
            assert small["pageSize"] == 2 and len(small["_embedded"][embedded]) == 2
            zero = c.get(path, params={"page-size": 0})
            assert zero.status_code == 400 and failure_of(zero) == "BadRequestException"


def test_account_body_carries_the_recorded_values(live: LiveServer) -> None:
    """"emailConfirmed": [boolean, true if email has been confirmed], "bannedReason", "bannedDate",
    "timeLastUpdated": "YYYY-MM-DD hh:mm:ss" - from what is recorded: an address vouched for when the
    user was made, the time the user (and team) last changed, and a ban's reason and start, which a
    banned user's client reads in the UserBannedException ("The User account referenced by this JWT
    Token has been suspended and may not use the API")."""
    rt = live.runtime
    confirmed = Account(f"vouched-{secrets.token_hex(4)}@example.com", "pw-vouched-for", "", "", 0)
    with rt.session() as db:  # an operator's `reelbase users create --email-confirmed`
        accounts.create_user(db, email=confirmed.email, password=confirmed.password, email_confirmed=True)
        db.commit()
    with service(live, login(live, confirmed)) as c:
        assert c.get("/accounts/v1/account").json()["user"]["emailConfirmed"] is True
    unconfirmed = make_account(rt)
    with service(live, login(live, unconfirmed)) as c:
        first = c.get("/accounts/v1/account").json()
        shapes.check_shape(first, shapes.ACCOUNT)
        user, team = first["user"], first["team"]
        assert user["emailConfirmed"] is False
        assert user["timeLastUpdated"] >= user["dateCreated"] and team["timeLastUpdated"] >= team["dateCreated"]
        assert (user["banned"], user["bannedReason"], user["bannedDate"]) == (False, None, None)
        time.sleep(1.1)  # the document's dates have whole seconds
        c.post("/accounts/v1/update-password", json={"newPassword": "a longer new password"})
        later = c.get("/accounts/v1/account").json()["user"]
        assert later["timeLastUpdated"] > user["timeLastUpdated"] and later["dateCreated"] == user["dateCreated"]

    token = login(live, confirmed)
    with rt.session() as db:
        accounts.set_banned(db, email=confirmed.email, banned=True, reason="uploads of material we may not host")
        db.commit()
        banned = accounts.get_user_by_email(db, confirmed.email)
        since = banned.banned_at.strftime("%Y-%m-%d %H:%M:%S")
    with service(live, token) as c:
        refused = c.get("/accounts/v1/account")
        assert refused.status_code == 403 and failure_of(refused) == "UserBannedException"
        assert refused.json()["errorMessage"] == (
            f"this user is banned since {since} UTC: uploads of material we may not host")
    with rt.session() as db:
        accounts.set_banned(db, email=confirmed.email, banned=False)
        db.commit()
    with service(live, login(live, confirmed)) as c:
        user = c.get("/accounts/v1/account").json()["user"]
        assert (user["banned"], user["bannedReason"], user["bannedDate"], user["emailConfirmed"]) == (
            False, None, None, True)
