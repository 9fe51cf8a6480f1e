"""Benchmark (not a test): one 1 GiB file through ``PUT /api/v1/videos/{id}/source`` over loopback.

Prints, measured in the same run: MB/s; the ratio to a bare streaming sink (a 15-line ASGI app
that writes the body to a file, on the same uvicorn, fed by the same client: ``curl -T``); the
ratio to ``cp`` of the file on the same disk; and the Reelbase server's peak RSS.
Targets: at least 0.8 of the bare sink, peak RSS below 200 MB.

    .venv/bin/python bench/upload_single.py [--size-mb 1024]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import time
from pathlib import Path

from _harness import MiB, Reelbase, Sink, cleanup, make_file, mbps, peak_rss_mb, settle, time_cp, workdir


def curl_put(url: str, path: Path, headers: dict[str, str]) -> float:
    args = ["curl", "-sS", "-f", "-o", "/dev/null", "-T", str(path), "-X", "PUT", "-H", "Expect:"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    settle()
    start = time.perf_counter()
    subprocess.run([*args, url], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (default 1024)")
    args = parser.parse_args()
    size = args.size_mb * MiB
    directory = workdir()
    try:
        src = make_file(directory, size)
        cp = time_cp(src, directory)
        results = {}
        for durable in (False, True):
            sink = Sink(directory, durable=durable)
            try:
                results[durable] = (curl_put(sink.url, src, {"Content-Type": "application/octet-stream"}),
                                    peak_rss_mb(sink.proc.pid))
            finally:
                sink.stop()
            (directory / "sink.bin").unlink(missing_ok=True)
        (sink_s, sink_rss), (durable_s, _) = results[False], results[True]
        server = Reelbase(directory)
        try:
            with server.client() as c:
                video = c.post("/api/v1/videos", json={"title": "bench"}).json()["id"]
            rb_s = curl_put(f"{server.url}/api/v1/videos/{video}/source?filename=source.bin", src,
                            {"Authorization": f"Bearer {server.key}", "Content-Type": "application/octet-stream"})
            rss = peak_rss_mb(server.proc.pid)
            with server.client() as c:
                body = c.get(f"/api/v1/videos/{video}").json()
        finally:
            server.stop()
        digest = hashlib.sha256()
        with open(src, "rb") as f:
            while block := f.read(16 * MiB):
                digest.update(block)
        assert body["state"] == "uploaded" and body["original"]["sha256"] == digest.hexdigest(), body
        print(f"file: {args.size_mb} MiB, single upload (PUT raw body, curl -T) over loopback")
        print(f"  cp:            {cp:6.2f} s  {mbps(size, cp):8.1f} MB/s")
        print(f"  bare sink:     {sink_s:6.2f} s  {mbps(size, sink_s):8.1f} MB/s  (peak RSS {sink_rss:.0f} MB)")
        print(f"  sink + fsync:  {durable_s:6.2f} s  {mbps(size, durable_s):8.1f} MB/s  (reference: a durable write)")
        print(f"  reelbase:      {rb_s:6.2f} s  {mbps(size, rb_s):8.1f} MB/s  (peak RSS {rss:.0f} MB)")
        print(f"  ratio to sink: {sink_s / rb_s:.2f}   (target >= 0.8; to the fsync'd sink {durable_s / rb_s:.2f})")
        print(f"  ratio to cp:   {cp / rb_s:.2f}")
        print(f"  server peak RSS: {rss:.0f} MB   (target < 200 MB)")
    finally:
        cleanup(directory)


if __name__ == "__main__":
    main()
