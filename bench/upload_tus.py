"""Benchmark (not a test): 1 GiB over loopback with tus in 8 MiB chunks, and with 4 parallel
ResumableJS chunk streams (8 MiB chunks, multipart as resumable.js sends them).

Prints, measured in the same run: MB/s of each; the ratio to a bare streaming sink (a 15-line
ASGI app writing the body to a file, on the same uvicorn, fed by the same client stack: httpx
streaming the file in 1 MiB pieces); the ratio to ``cp`` on the same disk; each Reelbase server's
peak RSS (a fresh server per protocol). Targets: at least 0.8 of the bare sink, peak
RSS below 200 MB.

    .venv/bin/python bench/upload_tus.py [--size-mb 1024] [--chunk-mb 8] [--streams 4]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from _harness import ROOT, MiB, Reelbase, Sink, cleanup, make_file, mbps, peak_rss_mb, settle, time_cp, workdir

sys.path.insert(0, str(ROOT))
from tests.uploads import resumable_client as rj  # noqa: E402 - the same chunk arithmetic as the tests


def read_range(path: Path, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(start)
        left = length
        while left:
            block = f.read(min(MiB, left))
            left -= len(block)
            yield block


def to_sink(url: str, path: Path, size: int) -> float:
    settle()
    start = time.perf_counter()
    with httpx.Client(timeout=600, trust_env=False) as c:
        c.put(url, content=read_range(path, 0, size), headers={"Content-Length": str(size)}).raise_for_status()
    return time.perf_counter() - start


def tus(server: Reelbase, path: Path, size: int, chunk: int) -> tuple[float, dict]:
    with server.client() as c:
        settle()
        start = time.perf_counter()
        r = c.post("/api/v1/uploads/", headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(size)})
        location = r.headers["Location"]
        offset = 0
        while offset < size:
            n = min(chunk, size - offset)
            r = c.patch(location, content=read_range(path, offset, n), headers={
                "Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset), "Content-Length": str(n)})
            assert r.status_code == 204, r.text
            offset = int(r.headers["Upload-Offset"])
        elapsed = time.perf_counter() - start
        video = c.head(location, headers={"Tus-Resumable": "1.0.0"}).headers["Reelbase-Video"]
        return elapsed, c.get(f"/api/v1/videos/{video}").json()


def resumable(server: Reelbase, path: Path, size: int, chunk: int, streams: int) -> tuple[float, dict]:
    with server.client() as c:
        vid = c.post("/api/v1/videos", json={"title": "bench"}).json()["id"]
    plan = rj.plan(size, chunk)
    errors: list[str] = []

    def stream(k: int) -> None:
        with server.client() as c:
            for number, start, length in plan[k::streams]:
                p = {**rj.params(b"", chunk, number, length, identifier="bench-1", filename="source.bin"),
                     "resumableTotalSize": str(size), "resumableTotalChunks": str(len(plan)), "video": vid}
                body = b"".join(read_range(path, start, length))
                r = c.post("/api/v1/uploads/resumable", params=p, files={"file": ("blob", body)})
                if r.status_code != 200:
                    errors.append(r.text)

    settle()
    began = time.perf_counter()
    threads = [threading.Thread(target=stream, args=(k,)) for k in range(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    assert not errors, errors[:3]
    with server.client() as c:
        return elapsed, c.get(f"/api/v1/videos/{vid}").json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1024)")
    parser.add_argument("--chunk-mb", type=int, default=8, help="chunk size in MiB (default 8)")
    parser.add_argument("--streams", type=int, default=4, help="parallel ResumableJS streams (default 4)")
    args = parser.parse_args()
    size, chunk = args.size_mb * MiB, args.chunk_mb * MiB
    directory = workdir()
    try:
        src = make_file(directory, size)
        digest = hashlib.sha256(b"".join(read_range(src, 0, size))).hexdigest() if size <= 2048 * MiB else None
        cp = time_cp(src, directory)
        sink_s, durable_s = 0.0, 0.0
        for durable in (False, True):
            sink = Sink(directory, durable=durable)
            try:
                seconds = to_sink(sink.url, src, size)
            finally:
                sink.stop()
            (directory / "sink.bin").unlink(missing_ok=True)
            durable_s, sink_s = (seconds, sink_s) if durable else (durable_s, seconds)
        rows = []
        for name, run in (("tus", lambda s: tus(s, src, size, chunk)),
                          (f"resumable x{args.streams}", lambda s: resumable(s, src, size, chunk, args.streams))):
            server = Reelbase(directory / name.split()[0])
            try:
                seconds, video = run(server)
                rss = peak_rss_mb(server.proc.pid)
            finally:
                server.stop()
            assert video["state"] == "uploaded" and video["original"]["sha256"] == digest, video
            rows.append((name, seconds, rss))
            cleanup(directory / name.split()[0])
        print(f"file: {args.size_mb} MiB, {args.chunk_mb} MiB chunks, client httpx, over loopback")
        print(f"  cp:        {cp:6.2f} s  {mbps(size, cp):8.1f} MB/s")
        print(f"  bare sink: {sink_s:6.2f} s  {mbps(size, sink_s):8.1f} MB/s")
        print(f"  bare sink with fsync (reference: the bound for a durable upload): {durable_s:6.2f} s  "
              f"{mbps(size, durable_s):8.1f} MB/s")
        for name, seconds, rss in rows:
            print(f"  {name:<14} {seconds:6.2f} s  {mbps(size, seconds):8.1f} MB/s")
            print(f"      ratio to sink {sink_s / seconds:.2f} (target >= 0.8; to the fsync'd sink "
                  f"{durable_s / seconds:.2f})  ratio to cp {cp / seconds:.2f}  peak RSS {rss:.0f} MB (target < 200)")
    finally:
        cleanup(directory)


if __name__ == "__main__":
    main()
