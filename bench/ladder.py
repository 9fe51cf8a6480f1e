"""Benchmark: Reelbase's one-decode ladder against the hand-written limit and one process per rendition.

Generates a noisy test source (lavfi testsrc2 + temporal noise + a sine tone), then measures in the same run:

  ingest   the media steps of ingest (probe, decode check, idet, thumbnails, storyboard, quality);
  ours     ``transcode_ladder`` with 360/480/720/1080 MP4 + HLS + DASH (tee muxer, one decode), plus the
           time until the first rendition is playable: the HLS master and one media playlist listing a
           segment that exists (polled every 0.1 s in a thread);
  limit    one hand-written ffmpeg command: split into the same MP4 renditions, one decode, no HLS/DASH;
  each     one ffmpeg run per rendition, one after another (each decodes the source; MediaCMS/PeerTube style).

  app      the same source through Reelbase itself (``--app``): a live server with its embedded queue,
           SQLite and local storage; from the end of the upload to ``ready`` (ingest + ladder + storing
           every file), and until the API lists an HLS stream whose first segment can be fetched.

    python bench/ladder.py                       # 20 s 1080p30, the full-size figures (several minutes)
    python bench/ladder.py --seconds 4 --height 360   # a quick smoke run
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path

from reelbase.media import (
    Limits,
    assess_quality,
    decode_check,
    detect_interlace,
    extract_thumbnails,
    find_tools,
    make_storyboard,
    plan_ladder,
    probe,
    run_ffmpeg,
    transcode_ladder,
)
from reelbase.media.ladder import limit_ladder_args, per_rung_args


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class FirstPlayable(threading.Thread):
    """Polls an HLS output directory until the master and one media playlist with a real segment exist."""

    def __init__(self, directory: Path, started: float) -> None:
        super().__init__(daemon=True)
        self.directory, self.started = directory, started
        self.first_segment_s: float | None = None
        self.playable_s: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and self.playable_s is None:
            if self.directory.is_dir():
                now = time.monotonic() - self.started
                if self.first_segment_s is None and any(self.directory.glob("chunk-*.m4s")):
                    self.first_segment_s = now
                if (self.directory / "master.m3u8").exists():
                    for playlist in self.directory.glob("media_*.m3u8"):
                        segments = re.findall(r"^(\S+\.m4s)$", playlist.read_text(errors="replace"), re.M)
                        if segments and (self.directory / segments[0]).exists():
                            self.playable_s = now
                            break
            time.sleep(0.1)


CPU: dict[str, float] = {}  # label -> CPU seconds of the ffmpeg children (steadier than wall time on a shared box)


def _timed(label: str, fn) -> float:
    cpu, wall = _children_cpu(), time.monotonic()
    fn()
    wall, cpu = time.monotonic() - wall, _children_cpu() - cpu
    CPU[label] = cpu
    print(f"  {label:<34} {wall:7.1f} s wall {cpu:8.1f} s CPU", flush=True)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--height", type=int, default=1080, help="source height (width is 16:9)")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary directory")
    parser.add_argument("--skip-each", action="store_true", help="skip the one-run-per-rendition baseline")
    parser.add_argument("--app", action="store_true", help="also measure the whole app path (upload -> ready)")
    args = parser.parse_args()

    tools = find_tools()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="reelbase-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    height = args.height - args.height % 2
    width = (height * 16 // 9 + 1) // 2 * 2
    src = work / "source.mp4"
    print(f"source: {width}x{height} {args.fps} fps, {args.seconds:g} s, testsrc2 + noise, in {work}", flush=True)
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s={width}x{height}:r={args.fps}:d={args.seconds},"
                "noise=alls=12:allf=t", "-f", "lavfi", "-i", f"sine=f=440:sample_rate=48000:d={args.seconds}",
                # A camera-like GOP (1 s) and bitrate cap, so seeks in ingest cost what they cost on uploads.
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-maxrate", "30M", "-bufsize", "60M",
                "-g", str(args.fps), "-c:a", "aac", "-shortest", str(src)],
               tools=tools, timeout_s=3600)

    limits = Limits()
    info = probe(src, tools=tools, limits=limits)
    rungs = plan_ladder(info.video.display_width, info.video.display_height)
    fps = info.video.avg_frame_rate
    print(f"rungs: {', '.join(f'{r.label} ({r.width}x{r.height})' for r in rungs)}", flush=True)

    def ingest() -> None:
        probe(src, tools=tools, limits=limits)
        decode_check(src, tools=tools, limits=limits, seconds=min(info.duration_s, 30.0))
        detect_interlace(src, tools=tools, limits=limits)
        extract_thumbnails(src, work / "thumbs", tools=tools, code="bench", duration_s=info.duration_s,
                           source_height=info.video.display_height)
        make_storyboard(src, work / "thumbs", tools=tools, duration_s=info.duration_s)
        assess_quality(src, tools=tools, duration_s=info.duration_s)

    print("measuring (same machine, same run):", flush=True)
    ingest_s = _timed("ingest (media steps)", ingest)

    ours_dir = work / "ours"
    shutil.rmtree(ours_dir, ignore_errors=True)
    watcher = FirstPlayable(ours_dir / "dash", time.monotonic())
    watcher.start()
    ours_s = _timed("ours: ladder MP4+HLS+DASH, 1 run", lambda: transcode_ladder(
        src, ours_dir, tools=tools, rungs=rungs, fps=fps, duration_s=info.duration_s, has_audio=info.has_audio,
        timeout_s=7200, limits=limits))
    watcher.stop.set()
    watcher.join()

    limit_dir = work / "limit"
    limit_dir.mkdir(exist_ok=True)
    limit_s = _timed("(a) hand-written limit, 1 run", lambda: run_ffmpeg(
        limit_ladder_args(src, limit_dir, rungs, fps=fps, has_audio=info.has_audio), tools=tools,
        timeout_s=7200))

    each_s = None
    if not args.skip_each:
        each_dir = work / "each"
        each_dir.mkdir(exist_ok=True)

        def each() -> None:
            for command in per_rung_args(src, each_dir, rungs, fps=fps, has_audio=info.has_audio):
                run_ffmpeg(command, tools=tools, timeout_s=7200)

        each_s = _timed(f"(b) one run per rendition, {len(rungs)} runs", each)

    app = app_path(src, work / "app") if args.app else None

    cpu = list(CPU.values())  # ingest, ours, limit[, each]
    print("results (wall; CPU in brackets):")
    print(f"  ours / (a) limit          = {ours_s / limit_s:5.2f}x [{cpu[1] / cpu[2]:.2f}x]   (target <= 1.15)")
    if each_s:
        print(f"  ours / (b) per rendition  = {ours_s / each_s:5.2f}x [{cpu[1] / cpu[3]:.2f}x]   (target <= 0.70)")
    total = ingest_s + ours_s
    print(f"  upload->ready, media only = {total:.1f} s (ingest {ingest_s:.1f} s + ladder {ours_s:.1f} s)")
    if each_s:
        print(f"  same with (b) per rendition = {ingest_s + each_s:.1f} s -> ratio {total / (ingest_s + each_s):.2f}x")
    if watcher.first_segment_s is not None:
        print(f"  first segment written     = {watcher.first_segment_s:.1f} s into the ladder")
    if watcher.playable_s is not None:
        print(f"  first playable (HLS)      = {watcher.playable_s:.1f} s into the ladder = "
              f"{watcher.playable_s / ours_s:.2f}x of it (target <= 0.30); "
              f"{(ingest_s + watcher.playable_s) / total:.2f}x of upload->ready")
    else:
        print("  first playable (HLS)      = not observed before the end of the ladder")
    if app is not None:
        ready_s, playable_s = app
        print(f"  app: upload->ready        = {ready_s:.1f} s; vs ingest+(a) = {ready_s / (ingest_s + limit_s):.2f}x"
              + (f", vs ingest+(b) = {ready_s / (ingest_s + each_s):.2f}x" if each_s else ""))
        if playable_s is not None:
            print(f"  app: first playable (API) = {playable_s:.1f} s after upload = {playable_s / ready_s:.2f}x "
                  "of upload->ready")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


def app_path(src: Path, data_dir: Path) -> tuple[float, float | None]:
    """Upload ``src`` to a live Reelbase (embedded queue, SQLite, local storage) and time it."""
    import httpx
    import uvicorn

    from reelbase.app import create_app
    from reelbase.core.auth import accounts
    from reelbase.core.runtime import build_runtime
    from reelbase.settings import Settings

    runtime = build_runtime(Settings(data_dir=data_dir, workers=1, queue_url="memory",
                                     secret_key="bench-" + "k" * 40))
    with runtime.session() as db:
        user = accounts.create_user(db, email="bench@example.com", password="bench-password")
        secret = accounts.create_api_key(db, user=user, server_secret=runtime.secret_key).secret
        db.commit()
    server = uvicorn.Server(uvicorn.Config(create_app(runtime), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    runtime.settings.public_url = base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=600)
    try:
        video = client.post("/api/v1/videos", json={"title": "bench"}).json()
        with src.open("rb") as fh:
            client.put(f"/api/v1/videos/{video['id']}/source", content=fh).raise_for_status()
        started = time.monotonic()
        playable = None
        while True:
            body = client.get(f"/api/v1/videos/{video['id']}").json()
            if playable is None and body["streams"]:
                url = body["streams"][0]["url"]
                master = client.get(url).text
                variant = next((ln for ln in master.splitlines() if ln and not ln.startswith("#")), None)
                if variant:
                    listing = client.get(f"{url.rsplit('/', 1)[0]}/{variant}").text
                    seg = next((ln for ln in listing.splitlines() if ln and not ln.startswith("#")), None)
                    if seg and client.get(f"{url.rsplit('/', 1)[0]}/{seg}").status_code == 200:
                        playable = time.monotonic() - started
            if body["state"] in ("ready", "failed"):
                if body["state"] == "failed":
                    raise SystemExit(f"app path failed: {body['state_message']}")
                return time.monotonic() - started, playable
            time.sleep(0.2)
    finally:
        client.close()
        server.should_exit = True
        thread.join(timeout=30)


if __name__ == "__main__":
    main()
