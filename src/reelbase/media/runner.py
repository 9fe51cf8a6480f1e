"""Running ffmpeg and ffprobe as subprocesses: safe input flags, progress, timeouts, errors.

Every call into ffmpeg goes through ``run_ffmpeg`` (or ``run_ffmpeg_detailed``) so that the same rules hold
everywhere: no stdin, a wall-clock timeout that kills the whole process group, progress parsed from
``-progress pipe:1``, and a non-zero exit turned into ``FFmpegError`` with the tail of stderr. Nothing here
returns an error value.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reelbase.media.errors import FFmpegError, MediaRejected
from reelbase.media.tools import Limits, Tools, subprocess_env

# Demuxers Reelbase accepts for uploads, by their ffmpeg 6 names. A name matches any alias of a demuxer
# ("mov" covers mov,mp4,m4a,3gp,3g2,mj2; "matroska" covers matroska,webm). Deliberately absent: hls, dash,
# concat, image2 and friends, which open further files or URLs named inside the input, and audio-only or
# still-image formats, which are not videos.
ACCEPTED_FORMATS = (
    "mov,matroska,webm,avi,mpegts,flv,asf,ogg,mpeg,mxf,dv,h264,hevc,m4v,mpegvideo"
)

ERROR_TAIL_BYTES = 2048  # carried by FFmpegError: enough for the failing lines, small enough for a DB row
RESULT_TAIL_BYTES = 64 * 1024  # returned to callers that parse filter summaries printed at the end

ProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class RunResult:
    """What a finished ffmpeg run left behind."""

    stderr_tail: str
    elapsed_s: float
    max_rss_kb: int  # peak resident memory of the ffmpeg process itself (from wait4)


def safe_input_args(path: str | os.PathLike[str], *, limits: Limits | None = None) -> list[str]:
    """Input options for an untrusted local file: local files only, accepted containers only.

    ``-protocol_whitelist file`` stops any network or pipe protocol; ``-format_whitelist`` refuses an HLS
    playlist or ffconcat list disguised as ``.mp4`` (both would otherwise open the files they name); the
    ``file:`` prefix stops a name such as ``subfile:...`` or ``http:...`` from being read as a protocol.
    With ``limits``, ``-max_pixels`` makes the decoder refuse frames larger than the limit before
    allocating them.
    """
    args = ["-protocol_whitelist", "file", "-format_whitelist", ACCEPTED_FORMATS]
    if limits is not None:
        args += ["-max_pixels", str(limits.max_pixels)]
    return args + ["-i", "file:" + str(Path(path).resolve())]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _parse_out_time_s(block: dict[str, str]) -> float | None:
    """Seconds of output written, from one progress block; None when ffmpeg does not know yet."""
    for key in ("out_time_us", "out_time_ms"):  # both are microseconds (a historical misnomer)
        raw = block.get(key, "").strip()
        if raw and raw.lstrip("-").isdigit():
            value = int(raw)
            if value >= 0:
                return value / 1_000_000
    return None


class _ProgressReporter:
    """Turns progress blocks into throttled fractions (at most one call a second, plus the final 1.0)."""

    def __init__(self, callback: ProgressCallback | None, duration_s: float | None) -> None:
        self.callback = callback
        self.duration_s = duration_s if duration_s and duration_s > 0 else None
        self.last_call = float("-inf")
        self.last_fraction = 0.0

    def block(self, block: dict[str, str]) -> None:
        if self.callback is None:
            return
        if block.get("progress") == "end":
            self.callback(1.0)
            return
        if self.duration_s is None:
            return
        out_s = _parse_out_time_s(block)
        now = time.monotonic()
        if out_s is None or now - self.last_call < 1.0:
            return
        # Never go backwards: a later block may lag when several outputs report different times.
        fraction = max(self.last_fraction, min(1.0, out_s / self.duration_s))
        self.last_call, self.last_fraction = now, fraction
        self.callback(fraction)


def run_ffmpeg_detailed(
    args: Sequence[str],
    *,
    tools: Tools,
    timeout_s: float,
    duration_s: float | None = None,
    on_progress: ProgressCallback | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> RunResult:
    """Run ``ffmpeg <common flags> <args>``; see ``run_ffmpeg``. Also reports wall time and peak RSS."""
    cmd = [
        tools.ffmpeg, "-nostdin", "-hide_banner", "-y",
        "-progress", "pipe:1", "-stats_period", "1", *args,
    ]
    started = time.monotonic()
    # A new session makes ffmpeg the leader of its own process group, so a timeout kills it and anything
    # it spawned, and a Ctrl-C aimed at the worker does not hit ffmpeg half-way through a write.
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=cwd, start_new_session=True, env=subprocess_env(tools.ffmpeg),
    )
    tail: collections.deque[bytes] = collections.deque()
    tail_size = [0]

    def drain_stderr() -> None:
        assert proc.stderr is not None
        for chunk in iter(lambda: proc.stderr.read1(8192), b""):  # type: ignore[union-attr]
            tail.append(chunk)
            tail_size[0] += len(chunk)
            while tail_size[0] - len(tail[0]) >= RESULT_TAIL_BYTES:
                tail_size[0] -= len(tail.popleft())

    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        _kill_group(proc)

    stderr_thread = threading.Thread(target=drain_stderr, daemon=True)
    stderr_thread.start()
    timer = threading.Timer(timeout_s, on_timeout)
    timer.daemon = True
    timer.start()
    reporter = _ProgressReporter(on_progress, duration_s)
    try:
        block: dict[str, str] = {}
        assert proc.stdout is not None
        for raw in proc.stdout:
            key, sep, value = raw.decode("utf-8", "replace").strip().partition("=")
            if not sep:
                continue
            block[key] = value.strip()
            if key == "progress":
                reporter.block(block)
                block = {}
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    except BaseException:
        # Includes an exception raised by on_progress: that is how a caller cancels a running job.
        _kill_group(proc)
        proc.wait()
        raise
    finally:
        timer.cancel()
        stderr_thread.join(timeout=10)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    stderr_text = b"".join(tail).decode("utf-8", "replace")
    if timed_out.is_set():
        raise MediaRejected(
            "timeout", f"processing took longer than the {timeout_s:g} s allowed for one step"
        )
    if proc.returncode != 0:
        raise FFmpegError(cmd, proc.returncode, stderr_text[-ERROR_TAIL_BYTES:])
    return RunResult(stderr_tail=stderr_text, elapsed_s=time.monotonic() - started,
                     max_rss_kb=usage.ru_maxrss)


def run_ffmpeg(
    args: Sequence[str],
    *,
    tools: Tools,
    timeout_s: float,
    duration_s: float | None = None,
    on_progress: ProgressCallback | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> str:
    """Run ffmpeg with ``-nostdin -hide_banner -y -progress pipe:1 -stats_period 1`` before ``args``.

    ``on_progress(fraction)`` gets 0..1 (output time over ``duration_s``) at most once a second and 1.0 when
    ffmpeg reports the end; an exception raised from it kills ffmpeg and propagates (cancellation).
    Returns the last 64 KB of stderr (filters such as idet print their summary there).
    Raises ``MediaRejected("timeout")`` after ``timeout_s`` of wall time (the process group is killed) and
    ``FFmpegError`` (with the last 2 KB of stderr) on a non-zero exit.
    """
    return run_ffmpeg_detailed(
        args, tools=tools, timeout_s=timeout_s, duration_s=duration_s,
        on_progress=on_progress, cwd=cwd,
    ).stderr_tail


def run_ffprobe(args: Sequence[str], *, tools: Tools, timeout_s: float) -> dict:
    """Run ``ffprobe -v error -of json <args>`` and return the parsed JSON.

    Raises ``FFmpegError`` on a non-zero exit or output that is not JSON, ``MediaRejected("timeout")`` when
    it runs longer than ``timeout_s``.
    """
    cmd = [tools.ffprobe, "-hide_banner", "-v", "error", "-of", "json", *args]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True, env=subprocess_env(tools.ffprobe),
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise MediaRejected(
            "timeout", f"reading the file took longer than the {timeout_s:g} s allowed"
        ) from None
    stderr_tail = err.decode("utf-8", "replace")[-ERROR_TAIL_BYTES:]
    if proc.returncode != 0:
        raise FFmpegError(cmd, proc.returncode, stderr_tail)
    try:
        data = json.loads(out.decode("utf-8", "replace") or "{}")
    except json.JSONDecodeError:
        raise FFmpegError(cmd, proc.returncode, "ffprobe printed invalid JSON\n" + stderr_tail) from None
    if not isinstance(data, dict):
        raise FFmpegError(cmd, proc.returncode, "ffprobe printed a JSON value that is not an object")
    # ffprobe may exit 0 yet report per-stream errors on stderr; callers that care look at this key.
    data["_stderr"] = stderr_tail
    return data
