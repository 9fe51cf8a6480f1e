"""Benchmark (not a test): reads at the speed of the framework, on SQLite and on PostgreSQL.

Starts, one process each on the same uvicorn: ``reelbase serve`` on its embedded defaults (SQLite
in the data dir, the embedded queue, its default job workers, local storage), and a bare app
(FastAPI with one ``async`` GET returning a small JSON dict, and Starlette ``StaticFiles`` serving a
copy of a video's HLS/DASH files from disk). Seeds through the native API and the CLI: a user
and team, an API key, 60 videos, and one short generated clip uploaded and processed by the
embedded workers into a real HLS/DASH ladder. Then measures with ``wrk`` (16 connections):

  reads     native GETs (video, a page of 30, /me, /healthz) and the dialect reads (Integros
            videos.json and video detail with access_key, Pixop video detail with a JWT from
            /accounts/v1/token, SpareVideos me/file with a signed token, ilos video metadata
            POST with api_key): req/s, p50/p99, error answers, and the ratio to the bare GET;
            on SQLite, then on PostgreSQL (a fresh schema, dropped afterwards).
  streams   the HLS master and media playlists, the DASH manifest and the largest segment, through
            /api/v1/videos/{id}/stream/… (Bearer key) and through the signed /play/ URL of the
            player pages, against the same files from the bare StaticFiles: MB/s and ratio.
  viewers   simulated HLS viewers on loopback (asyncio + httpx) on the /play/ URLs: each fetches
            the master and a media playlist, then one segment per segment duration; errors and
            segment fetch times, beside the same load on the bare static server.
  idle      the video GET with REELBASE_WORKERS=0 against the default workers (idle), ratio.

Targets (from the issue): video GET >= 0.5x bare, list of 30 >= 0.3x, dialect reads >= 0.4x,
p99 < 25 ms, no errors; streams >= 0.8x the static server's MB/s; viewers without errors; idle
workers cost <= 10 % (ratio >= 0.9). Needs ``wrk`` (Debian: ``apt-get install wrk``) and, for the
PostgreSQL run, the server at REELBASE_BENCH_PG (default the test suite's
postgresql+psycopg://postgres@127.0.0.1:5432/test). Runs compete for the CPU with whatever else
runs on the machine: compare the ratios of one run, and repeat (--repeat) when they look noisy.

    .venv/bin/python bench/reads.py                      # everything (about 6 minutes)
    .venv/bin/python bench/reads.py --quick              # 2 s per wrk run, 100 viewers for 15 s
    .venv/bin/python bench/reads.py --parts reads,idle --db sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from _harness import ROOT, MiB, cleanup, free_port, wait_up, workdir

sys.path.insert(0, str(ROOT))
from tests.dialects.sparevideos_client import php_sign  # noqa: E402 - signed as the document's PHP does

PG_URL = os.environ.get("REELBASE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PARTS = ("reads", "streams", "viewers", "idle")
CONNECTIONS = 16

# The bare app: what the same server software does with no application work. One async JSON GET,
# and the files of a video's ladder from disk through Starlette's StaticFiles (FileResponse).
BARE = textwrap.dedent('''
    import os
    from fastapi import FastAPI
    from starlette.staticfiles import StaticFiles

    app = FastAPI()

    @app.get("/item")
    async def item() -> dict:
        return {"id": "0b9c2f6e-5d1a-4a53-9d5e-1f1a2b3c4d5e", "title": "bare", "state": "ready", "views": 0}

    app.mount("/static", StaticFiles(directory=os.environ["BARE_STATIC"]), name="static")
''')

# ilos's metadata read is a POST with the key in a JSON body.
POST_LUA = 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = {body}\n'


# ------------------------------------------------------------------------------------- wrk
@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx answers plus socket errors
    mb_s: float


_UNITS_S = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
_UNITS_B = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_S[unit]


def wrk(url: str, *, seconds: float, headers: dict[str, str] | None = None, script: str | None = None,
        workdir_: Path | None = None) -> Load:
    """One wrk run: 2 threads (the cores here), 16 connections, latency percentiles."""
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script is not None:
        assert workdir_ is not None
        lua = workdir_ / f"wrk-{secrets.token_hex(4)}.lua"
        lua.write_text(script)
        cmd += ["-s", str(lua)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M)[1])  # type: ignore[index]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx[1]) if non2xx else 0) + (sum(int(g) for g in sock.groups()) if sock else 0)
    number, unit = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out).groups()  # type: ignore[union-attr]
    return Load(rps, p50, p99, errors, float(number) * _UNITS_B[unit] / MiB)


def median(loads: list[Load]) -> Load:
    """The median run by req/s (of an even number, the lower middle one)."""
    return sorted(loads, key=lambda r: r.rps)[(len(loads) - 1) // 2]


# ---------------------------------------------------------------------------------- servers
class Process:
    """A server in its own process group (uvicorn may fork workers), stopped by its id."""

    def __init__(self, cmd: list[str], env: dict[str, str], log: Path, health: str, cwd: Path | None = None) -> None:
        self.log = log.open("ab")
        self.proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=cwd, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_up(health, self.proc)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"{cmd[-4:]} did not start; see {log}") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


class Bare(Process):
    def __init__(self, directory: Path) -> None:
        (directory / "bare_app.py").write_text(BARE)
        (directory / "static").mkdir(exist_ok=True)
        self.static = directory / "static"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__([sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(self.port),
                          "--log-level", "warning", "--no-access-log"],
                         {"BARE_STATIC": str(self.static)}, directory / "bare.log", self.url + "/item",
                         cwd=directory)


@dataclass
class Seed:
    """What the reads need, made through the CLI and the native API."""

    email: str
    password: str
    key: str
    public_id: str
    video_ids: list[str]
    clip_id: str  # the processed video (HLS/DASH ladder, a duration)
    clip_token: str


class Reelbase:
    """``reelbase serve`` on a data dir (and a database URL); ``workers`` None = the default."""

    def __init__(self, directory: Path, database_url: str | None) -> None:
        self.directory = directory
        self.env = {"REELBASE_DATA_DIR": str(directory / "var"),
                    "REELBASE_SECRET_KEY": "bench-" + secrets.token_hex(24)}
        if database_url:
            self.env["REELBASE_DATABASE_URL"] = database_url
        self.proc: Process | None = None
        self.url = ""

    def cli(self, *args: str) -> str:
        return subprocess.run([sys.executable, "-c", "from reelbase.cli import app; app()", *args],
                              env={**os.environ, **self.env}, capture_output=True, text=True, check=True).stdout

    def start(self, *, workers: int | None = None, processes: int = 1) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {**self.env, "REELBASE_PUBLIC_URL": self.url}
        if workers is not None:
            env["REELBASE_WORKERS"] = str(workers)
        cmd = [sys.executable, "-c", "from reelbase.cli import app; app()", "serve", "--port", str(port)]
        if processes > 1:
            cmd += ["--processes", str(processes)]
        self.proc = Process(cmd, env, self.directory / "serve.log", self.url + "/healthz")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None


def make_clip(directory: Path, seconds: float) -> Path:
    """A noisy 480p clip with a tone: noise keeps the encoder near its maxrate, so each 4 s
    segment of the 480 rung is about 1 MB, as a real one is."""
    from reelbase.media import find_tools

    path = directory / "clip.mp4"
    subprocess.run([find_tools().ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=s=854x480:r=30:d={seconds},noise=alls=30:allf=t",
                    "-f", "lavfi", "-i", f"sine=f=440:d={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
                   check=True, timeout=300)
    return path


def seed(server: Reelbase, clip: Path, *, videos: int = 60) -> Seed:
    email, password = f"bench-{secrets.token_hex(3)}@example.com", "pw-" + secrets.token_hex(10)
    server.cli("users", "create", "--email", email, "--password", password, "--team", "bench")
    issued = json.loads(server.cli("keys", "create", "--email", email, "--name", "bench", "--json"))
    server.start()  # default workers: they process the clip
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {issued['secret']}"},
                          timeout=120, trust_env=False) as c:
            ids = []
            for i in range(videos):
                r = c.post("/api/v1/videos", json={"title": f"Video {i}", "description": "seeded " * 20})
                r.raise_for_status()
                ids.append(r.json()["id"])
            v = c.post("/api/v1/videos", json={"title": "clip", "public": True,
                                               "options": {"sd_only": True}}).json()
            c.put(f"/api/v1/videos/{v['id']}/source", params={"filename": "clip.mp4"},
                  content=clip.read_bytes()).raise_for_status()
            deadline = time.monotonic() + 600
            while (got := c.get(f"/api/v1/videos/{v['id']}").json())["state"] not in ("ready", "failed"):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the clip did not become ready: {got['state']}")
                time.sleep(0.5)
            if got["state"] != "ready":
                raise RuntimeError(f"the clip failed: {got.get('state_message')}")
    finally:
        server.stop()
    return Seed(email, password, issued["secret"], issued["public_key"], ids, v["id"], got["token"])


# ------------------------------------------------------------------------------------ reads
def read_targets(server: Reelbase, s: Seed) -> list[tuple[str, str, dict[str, object], float]]:
    """(label, url, wrk keywords, target ratio) of every read."""
    bearer = {"Authorization": f"Bearer {s.key}"}
    with httpx.Client(base_url=server.url, timeout=30, trust_env=False) as c:
        basic = httpx.BasicAuth(s.email, s.password)
        r = c.get("/compat/pixop/accounts/v1/token", auth=basic, headers={"Accept": "application/json"})
        r.raise_for_status()
        jwt = r.json()["jwtToken"]
    sv_token = php_sign({"algo": "sha256", "public_key": s.public_id, "method": "file", "action": "get",
                         "expires": int(time.time()) + 24 * 3600, "file_code": s.clip_token}, s.key)
    ilos_body = json.dumps({"api_key": s.key, "randtag": s.clip_token})
    u = server.url
    return [
        ("GET /api/v1/videos/{id}", f"{u}/api/v1/videos/{s.clip_id}", {"headers": bearer}, 0.5),
        ("GET /api/v1/videos?per_page=30", f"{u}/api/v1/videos?per_page=30", {"headers": bearer}, 0.3),
        ("GET /api/v1/me", f"{u}/api/v1/me", {"headers": bearer}, 0.5),
        ("GET /healthz", f"{u}/healthz", {}, 0.5),
        ("Integros GET videos.json", f"{u}/compat/integros/v1/videos.json?access_key={s.key}", {}, 0.4),
        ("Integros GET videos/{token}.json",
         f"{u}/compat/integros/v1/videos/{s.clip_token}.json?access_key={s.key}", {}, 0.4),
        ("Pixop GET video (JWT)", f"{u}/compat/pixop/videos/v1/video/{s.clip_id}",
         {"headers": {"Authorization": f"Bearer {jwt}", "Accept": "application/json"}}, 0.4),
        ("SpareVideos GET me/file (signed)",
         f"{u}/compat/sparevideos/api/v1/me/file?" + str(httpx.QueryParams({"token": sv_token})), {}, 0.4),
        ("ilos POST video/metadata", f"{u}/compat/ilos/video/metadata",
         {"script": POST_LUA.format(body=json.dumps(ilos_body))}, 0.4),
    ]


def check_answers(targets: list[tuple[str, str, dict[str, object], float]]) -> None:
    """Each read answers 2xx once before it is timed: a benchmark of error pages measures nothing."""
    with httpx.Client(timeout=30, trust_env=False) as c:
        for label, url, kw, _ in targets:
            headers = dict(kw.get("headers", {}))  # type: ignore[call-overload]
            if "script" in kw:
                body = json.loads(re.search(r"wrk.body = (.*)\n", str(kw["script"]))[1])  # type: ignore[index]
                r = c.post(url, content=body, headers={"Content-Type": "application/json"})
            else:
                r = c.get(url, headers=headers)
            if not r.is_success:
                raise RuntimeError(f"{label}: {r.status_code} {r.text[:300]}")


def paired(base_url: str, url: str, *, seconds: float, repeat: int, **kw: object) -> tuple[Load, Load]:
    """The bare GET and then the read, back to back, ``repeat`` times: the pair with the median
    ratio. Each read is compared with a bare figure measured next to it, since the machine's
    other load moves both within a run."""
    pairs = [(wrk(base_url, seconds=seconds), wrk(url, seconds=seconds, **kw)) for _ in range(repeat)]  # type: ignore[arg-type]
    pairs.sort(key=lambda p: p[1].rps / p[0].rps)
    return pairs[(len(pairs) - 1) // 2]


def row(label: str, load: Load, base: Load | None, target: float | None) -> str:
    ratio = f"{base.rps:9.1f}  {load.rps / base.rps:5.2f}" if base else f"{'':9}  {'':5}"
    want = f" (>= {target})" if target is not None and base else ""
    flag = "  p99 over 25 ms" if load.p99_ms >= 25 else ""
    return (f"  {label:<40} {load.rps:9.1f} {load.p50_ms:7.2f} {load.p99_ms:7.2f} {load.errors:6d}  "
            f"{ratio}{want}{flag}")


HEADER = (f"  {'request':<40} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}  {'bare req/s':>9}  ratio"
          " (target)")


def run_reads(server: Reelbase, bare: Bare, s: Seed, args: argparse.Namespace, name: str) -> None:
    server.start(processes=args.processes)
    try:
        targets = read_targets(server, s)
        check_answers(targets)
        wrk(targets[0][1], seconds=1, headers=targets[0][2]["headers"])  # type: ignore[arg-type] - warm-up
        print(f"\nreads on {name} (wrk, {CONNECTIONS} connections, {args.seconds:g} s each, "
              f"reelbase serve{' --processes ' + str(args.processes) if args.processes > 1 else ''} "
              f"with its default workers; bare: an async FastAPI JSON GET; one process each)", flush=True)
        print(HEADER)
        for label, url, kw, target in targets:
            base, load = paired(bare.url + "/item", url, seconds=args.seconds, repeat=args.repeat,
                                workdir_=server.directory, **kw)
            print(row(label, load, base, target), flush=True)
    finally:
        server.stop()


# ---------------------------------------------------------------------------------- streams
@dataclass
class Ladder:
    """The URLs of one video's streaming files, by path relative to a prefix."""

    native: str  # …/api/v1/videos/{id}/stream/   (Bearer key)
    play: str  # …/play/{code}/{expires}/{sig}/    (signed, no key)
    hls_master: str  # relative, e.g. hls/master.m3u8
    hls_media: str
    dash: str | None
    segment: str
    segment_bytes: int
    files: list[str]  # every file the viewers may fetch (mirrored to the static server)


def _playlist_uris(text: str) -> list[str]:
    uris = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    uris += re.findall(r'URI="([^"]+)"', text)
    return uris


def find_ladder(server: Reelbase, s: Seed) -> Ladder:
    with httpx.Client(base_url=server.url, timeout=60, trust_env=False) as c:
        page = c.get(f"/view/{s.clip_token}").text
        found = re.search(r'data-hls="([^"]+)"', page)
        assert found, page[:2000]
        hls_url = found[1]  # /play/{code}/{expires}/{sig}/hls/…
        parts = hls_url.split("/")
        play = server.url + "/".join(parts[:5]) + "/"
        master = "/".join(parts[5:])
        files, media, sizes = [master], [], {}
        master_text = c.get(urljoin(play, master)).text
        for uri in _playlist_uris(master_text):
            rel = _relative(play, urljoin(urljoin(play, master), uri))
            files.append(rel)
            if rel.endswith(".m3u8"):
                media.append(rel)
        for playlist in media:
            text = c.get(urljoin(play, playlist)).text
            for uri in _playlist_uris(text):
                rel = _relative(play, urljoin(urljoin(play, playlist), uri))
                if rel not in files:
                    files.append(rel)
        video = c.get(f"/api/v1/videos/{s.clip_id}", headers={"Authorization": f"Bearer {s.key}"}).json()
        dash = None
        for stream in video["streams"]:
            if stream["label"] == "dash":
                dash = "dash/" + stream["url"].split("/stream/dash/", 1)[1]
        if dash:
            files.append(dash)
        for rel in files:
            if rel.endswith(".m4s") or rel.endswith(".ts"):
                sizes[rel] = int(c.head(urljoin(play, rel)).headers["content-length"])
        segment = max(sizes, key=lambda k: sizes[k])
        biggest_media = max(media, key=lambda p: sum(v for k, v in sizes.items() if k.startswith(p.rsplit("/", 1)[0])))
    native = f"{server.url}/api/v1/videos/{s.clip_id}/stream/"
    return Ladder(native, play, master, biggest_media, dash, segment, sizes[segment], files)


def _relative(play: str, url: str) -> str:
    assert url.startswith(play), (url, play)
    return url[len(play):].split("?", 1)[0]


def mirror(ladder: Ladder, static: Path) -> None:
    """Copy every file of the ladder, at the same relative paths, for the bare static server."""
    with httpx.Client(timeout=60, trust_env=False) as c:
        for rel in ladder.files:
            target = static / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(c.get(urljoin(ladder.play, rel)).raise_for_status().content)


def run_streams(server: Reelbase, bare: Bare, s: Seed, args: argparse.Namespace) -> None:
    server.start(processes=args.processes)
    try:
        ladder = find_ladder(server, s)
        mirror(ladder, bare.static)
        if "streams" in args.parts:
            measure_streams(ladder, bare, s, args)
        if "viewers" in args.parts:
            run_viewers(ladder, bare, args)
    finally:
        server.stop()


def measure_streams(ladder: Ladder, bare: Bare, s: Seed, args: argparse.Namespace) -> None:
    bearer = {"Authorization": f"Bearer {s.key}"}
    print(f"\nHLS/DASH delivery (wrk, {CONNECTIONS} connections, {args.seconds:g} s each; bare = "
          f"Starlette StaticFiles on the same uvicorn, reading the same files from disk)", flush=True)
    print(f"  {'file':<40} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'MB/s':>8} {'bare':>8}  "
          f"ratio (target)", flush=True)
    items = [("HLS master playlist", ladder.hls_master), ("HLS media playlist", ladder.hls_media)]
    if ladder.dash:
        items.append(("DASH manifest", ladder.dash))
    items.append((f"segment ({ladder.segment_bytes / MiB:.2f} MB)", ladder.segment))
    for label, rel in items:
        # the native API names a stream file below its manifest's label (hls/, dash/) as the play URL does
        for how, url, headers in (("native /stream/", ladder.native + rel, bearer),
                                  ("signed /play/", ladder.play + rel, {})):
            base, load = paired(f"{bare.url}/static/{rel}", url, seconds=args.seconds, repeat=args.repeat,
                                headers=headers)
            print(_stream_row(f"{label}: {how}", load, base, (bare.static / rel).stat().st_size), flush=True)


def _stream_row(label: str, load: Load, base: Load, size: int) -> str:
    """MB/s of the file's bytes (wrk's Transfer/sec also counts headers, which outweigh a playlist);
    the same file on both sides, so the ratio of requests is the ratio of MB/s."""
    return (f"  {label:<40} {load.rps:9.1f} {load.p50_ms:7.2f} {load.p99_ms:7.2f} {load.errors:6d} "
            f"{load.rps * size / MiB:8.2f} {base.rps * size / MiB:8.2f}  {load.rps / base.rps:5.2f} (>= 0.8)")


# ---------------------------------------------------------------------------------- viewers
@dataclass
class Watch:
    fetches: list[float]
    errors: list[str]
    bytes: int


class Player:
    """One viewer's HTTP/1.1 connection, kept alive as a player's is. A few lines of asyncio
    streams rather than httpx: its pure-Python parser, 300 times over in one process, is slower
    than either server and would measure itself (16 MB/s against the bare server here)."""

    def __init__(self, origin: str) -> None:
        parts = urlsplit(origin)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, url: str) -> tuple[int, bytes]:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        status = int(head.split(" ", 2)[1])
        length = re.search(r"^content-length:\s*(\d+)", head, re.M)
        if length:
            body = await self.reader.readexactly(int(length[1]))
        else:  # chunked
            pieces = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                pieces.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            await self.reader.readuntil(b"\r\n")
            body = b"".join(pieces)
        if re.search(r"^connection:\s*close", head, re.M):
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


async def _watch(viewers: int, seconds: float, master_url: str) -> Watch:
    """``viewers`` HLS players, started evenly over one segment duration: each fetches the master
    and one media playlist (the variants shared out in turn) and its init segment, then one
    segment per segment duration (looping over a short VOD) until ``seconds`` run out."""
    out = Watch([], [], 0)
    probe = Player(master_url)
    master = (await probe.get(master_url))[1].decode()
    variants = [urljoin(master_url, u) for u in _playlist_uris(master) if u.split("?")[0].endswith(".m3u8")]
    plans = []
    for v in variants:
        text = (await probe.get(v))[1].decode()
        durations = [float(d) for d in re.findall(r"#EXTINF:([\d.]+)", text)]
        segments = [urljoin(v, line.strip()) for line in text.splitlines() if line.strip() and not line.startswith("#")]
        init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', text)
        plans.append((v, urljoin(v, init[1]) if init else None, list(zip(segments, durations, strict=True))))
    await probe.close()
    step = max(d for _, _, segs in plans for _, d in segs)
    end = time.monotonic() + seconds

    async def get(player: Player, url: str, timed: bool) -> None:
        start = time.perf_counter()
        try:
            status, body = await asyncio.wait_for(player.get(url), 30)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as exc:
            out.errors.append(f"{type(exc).__name__} {url}")
            await player.close()
            return
        if status != 200:
            out.errors.append(f"{status} {url}")
            return
        out.bytes += len(body)
        if timed:
            out.fetches.append(time.perf_counter() - start)

    async def viewer(i: int) -> None:
        await asyncio.sleep(step * i / viewers)
        player = Player(master_url)
        playlist, init, segments = plans[i % len(plans)]
        await get(player, master_url, False)
        await get(player, playlist, False)
        if init:
            await get(player, init, False)
        due, k = time.monotonic(), 0
        while time.monotonic() < end:
            url, duration = segments[k % len(segments)]
            await get(player, url, True)
            k += 1
            due += duration
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        await player.close()

    await asyncio.gather(*(viewer(i) for i in range(viewers)))
    return out


def run_viewers(ladder: Ladder, bare: Bare, args: argparse.Namespace) -> None:
    print(f"\nviewer load test: {args.viewers} simulated HLS viewers for {args.viewer_seconds:g} s each "
          f"(asyncio streams in one process on loopback, a keep-alive connection each; one segment per segment duration)", flush=True)
    for label, url in (("bare static", f"{bare.url}/static/{ladder.hls_master}"),
                       ("signed /play/", ladder.play + ladder.hls_master)):
        w = asyncio.run(_watch(args.viewers, args.viewer_seconds, url))
        times = sorted(w.fetches)
        p = (lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1e3) if times else (lambda q: float("nan"))
        print(f"  {label:<14} segment fetches {len(times):6d}  errors {len(w.errors):4d}  "
              f"p50 {p(0.5):7.1f} ms  p99 {p(0.99):7.1f} ms  max {p(1.0):7.1f} ms  "
              f"{w.bytes / MiB / args.viewer_seconds:6.1f} MB/s", flush=True)
        for e in w.errors[:3]:
            print(f"      {e}")


# ------------------------------------------------------------------------------------- idle
def run_idle(server: Reelbase, s: Seed, args: argparse.Namespace) -> None:
    """The video GET with no workers against the default workers, alternated A B A B so both
    see the same neighbours; the median of each."""
    url, headers = f"{{}}/api/v1/videos/{s.clip_id}", {"Authorization": f"Bearer {s.key}"}
    runs: dict[str, list[Load]] = {"REELBASE_WORKERS=0": [], "default workers (idle)": []}
    for _ in range(max(3, args.repeat)):
        for label, workers in (("REELBASE_WORKERS=0", 0), ("default workers (idle)", None)):
            server.start(workers=workers, processes=args.processes)
            try:
                time.sleep(8)  # the workers back off to their idle polling
                wrk(url.format(server.url), seconds=1, headers=headers)
                runs[label].append(wrk(url.format(server.url), seconds=args.seconds, headers=headers))
            finally:
                server.stop()
    print(f"\nidle job workers (GET /api/v1/videos/{{id}}, wrk {CONNECTIONS} connections, "
          f"{args.seconds:g} s, median of {len(runs['REELBASE_WORKERS=0'])} alternated runs)")
    print(HEADER.replace("bare req/s", "0 workers"))
    none = median(runs["REELBASE_WORKERS=0"])
    for label, loads in runs.items():
        print(row(label, median(loads), none if label != "REELBASE_WORKERS=0" else None, 0.9))


# ------------------------------------------------------------------------------------- main
@contextmanager
def pg_schema() -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = "bench_" + secrets.token_hex(6)
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{name}"
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (reads run on each; "
                        "streams, viewers and idle on the first)")
    parser.add_argument("--seconds", type=float, default=5, help="length of each wrk run (default 5)")
    parser.add_argument("--repeat", type=int, default=1, help="wrk runs per figure, the median shown")
    parser.add_argument("--viewers", type=int, default=300, help="simulated HLS viewers (default 300)")
    parser.add_argument("--viewer-seconds", type=float, default=60, help="length of the viewer test (default 60)")
    parser.add_argument("--clip-seconds", type=float, default=8, help="length of the processed clip (default 8)")
    parser.add_argument("--processes", type=int, default=1, help="reelbase serve --processes N (default 1)")
    parser.add_argument("--quick", action="store_true", help="2 s wrk runs, 100 viewers for 15 s")
    args = parser.parse_args()
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if unknown := set(args.parts) - set(PARTS):
        parser.error(f"unknown parts {sorted(unknown)}")
    if args.quick:
        args.seconds, args.viewers, args.viewer_seconds = 2, min(args.viewers, 100), min(args.viewer_seconds, 15)
    if shutil.which("wrk") is None:
        sys.exit("bench/reads.py needs wrk: apt-get install wrk")
    databases = [d.strip() for d in args.db.split(",") if d.strip()]
    directory = workdir()
    bare = Bare(directory)
    try:
        clip = make_clip(directory, args.clip_seconds)
        print(f"machine: {os.cpu_count()} cores; clients (wrk, httpx) share them with the servers")
        for n, db in enumerate(databases):
            with (pg_schema() if db == "postgres" else _none()) as url:
                server = Reelbase(directory / db, url)
                s = seed(server, clip)
                if "reads" in args.parts:
                    run_reads(server, bare, s, args, {"sqlite": "SQLite (embedded default)",
                                                      "postgres": "PostgreSQL"}.get(db, db))
                if n == 0 and ("streams" in args.parts or "viewers" in args.parts):
                    run_streams(server, bare, s, args)
                if n == 0 and "idle" in args.parts:
                    run_idle(server, s, args)
                server.stop()
    finally:
        bare.stop()
        cleanup(directory)


@contextmanager
def _none() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    main()
