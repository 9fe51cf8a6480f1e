"""Fixing up the streaming manifests ffmpeg's dash muxer writes, from the segments actually written.

ffmpeg (6.0) fills a representation's ``bandwidth`` in the MPD, and ``BANDWIDTH`` in the HLS master it
writes with ``hls_playlist=1``, from the bitrate of the *first* segment only. A quiet first scene makes a
rung look cheap and players then pick a rung they cannot sustain. So after the encode we read the MPD,
measure every segment file, and write:

* ``bandwidth`` in the MPD = the peak segment bitrate (safe with ``minBufferTime`` of one segment);
* an HLS master with ``BANDWIDTH`` (peak video + peak audio, as RFC 8216 asks), ``AVERAGE-BANDWIDTH``,
  ``RESOLUTION``, ``CODECS``, ``FRAME-RATE`` and an ``AUDIO`` group, referencing ffmpeg's per-stream
  playlists ``media_<id>.m3u8`` (which share the fMP4 ``.m4s`` segments with the MPD).

Segments shorter than half the target duration (the tail of the video) are left out of the peak: a final
0.1 s segment holding one keyframe would otherwise claim a bitrate ten times the real one.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
_NS = {"mpd": MPD_NS}
ET.register_namespace("", MPD_NS)
ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")


@dataclass
class Representation:
    id: str
    content_type: str  # "video" or "audio"
    codecs: str
    width: int | None
    height: int | None
    frame_rate: str | None
    segments: list[tuple[Path, float]] = field(default_factory=list)  # (file, duration in seconds)

    def sizes(self) -> list[int]:
        return [p.stat().st_size if p.exists() else 0 for p, _ in self.segments]

    @property
    def average_bitrate(self) -> int:
        total = sum(d for _, d in self.segments)
        return round(sum(self.sizes()) * 8 / total) if total > 0 else 0

    @property
    def peak_bitrate(self) -> int:
        durations = [d for _, d in self.segments]
        if not durations:
            return 0
        longest = max(durations)
        rates = [s * 8 / d for s, d in zip(self.sizes(), durations) if d >= longest / 2 and d > 0]
        return round(max(rates)) if rates else self.average_bitrate


def _segment_files(directory: Path, rep: ET.Element, template: ET.Element) -> list[tuple[Path, float]]:
    timescale = int(template.get("timescale", "1"))
    number = int(template.get("startNumber", "1"))
    media = template.get("media", "")
    rep_id = rep.get("id", "")
    out: list[tuple[Path, float]] = []
    timeline = template.find("mpd:SegmentTimeline", _NS)
    if timeline is None:
        return out
    for s in timeline.findall("mpd:S", _NS):
        duration = int(s.get("d", "0")) / timescale
        for _ in range(int(s.get("r", "0")) + 1):
            name = media.replace("$RepresentationID$", rep_id)
            if "$Number%05d$" in name:
                name = name.replace("$Number%05d$", f"{number:05d}")
            name = name.replace("$Number$", str(number))
            out.append((directory / name, duration))
            number += 1
    return out


def read_mpd(mpd_path: Path) -> tuple[ET.ElementTree, list[Representation]]:
    """Parse an MPD written by ffmpeg (SegmentTemplate + SegmentTimeline) and list its representations."""
    tree = ET.parse(mpd_path)
    reps: list[Representation] = []
    for aset in tree.getroot().iterfind(".//mpd:AdaptationSet", _NS):
        kind = aset.get("contentType") or ""
        for rep in aset.findall("mpd:Representation", _NS):
            template = rep.find("mpd:SegmentTemplate", _NS)
            if template is None:
                template = aset.find("mpd:SegmentTemplate", _NS)
            mime = rep.get("mimeType") or aset.get("mimeType") or ""
            reps.append(Representation(
                id=rep.get("id", ""),
                content_type=kind or mime.split("/")[0],
                codecs=rep.get("codecs") or aset.get("codecs") or "",
                width=int(rep.get("width")) if rep.get("width") else None,
                height=int(rep.get("height")) if rep.get("height") else None,
                frame_rate=rep.get("frameRate") or aset.get("frameRate"),
                segments=_segment_files(mpd_path.parent, rep, template) if template is not None else [],
            ))
    return tree, reps


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # a player polling the manifest never reads half of it


def _frame_rate(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return f"{float(Fraction(text)):.3f}"
    except (ValueError, ZeroDivisionError):
        return None


def finalize_manifests(mpd_path: Path, *, write_hls: bool, master_name: str = "master.m3u8") -> list[Representation]:
    """Rewrite the MPD's bandwidths and (if ``write_hls``) the HLS master from the segments on disk.

    Returns the representations read, with their segment lists, for the caller's report.
    """
    tree, reps = read_mpd(mpd_path)
    by_id = {r.id: r for r in reps}
    for rep_el in tree.getroot().iterfind(".//mpd:Representation", _NS):
        rep = by_id.get(rep_el.get("id", ""))
        if rep and rep.segments:
            rep_el.set("bandwidth", str(rep.peak_bitrate))
    _atomic_write(mpd_path, '<?xml version="1.0" encoding="utf-8"?>\n'
                  + ET.tostring(tree.getroot(), encoding="unicode") + "\n")
    if write_hls:
        _atomic_write(mpd_path.parent / master_name, hls_master_text(reps))
    return reps


def hls_master_text(reps: list[Representation]) -> str:
    """An HLS master playlist for ffmpeg's per-representation playlists ``media_<id>.m3u8``."""
    audio = [r for r in reps if r.content_type == "audio"]
    video = sorted((r for r in reps if r.content_type == "video"), key=lambda r: r.peak_bitrate)
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    audio_peak = max((r.peak_bitrate for r in audio), default=0)
    audio_avg = max((r.average_bitrate for r in audio), default=0)
    audio_codecs = audio[0].codecs if audio else ""
    for i, a in enumerate(audio):
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio_{i}",DEFAULT={"YES" if i == 0 else "NO"},'
            f'AUTOSELECT=YES,URI="media_{a.id}.m3u8"'
        )
    for v in video:
        codecs = ",".join(c for c in (v.codecs, audio_codecs) if c)
        attrs = [
            f"BANDWIDTH={v.peak_bitrate + audio_peak}",
            f"AVERAGE-BANDWIDTH={v.average_bitrate + audio_avg}",
            f"RESOLUTION={v.width}x{v.height}",
            f'CODECS="{codecs}"',
        ]
        rate = _frame_rate(v.frame_rate)
        if rate:
            attrs.append(f"FRAME-RATE={rate}")
        if audio:
            attrs.append('AUDIO="audio"')
        lines += ["#EXT-X-STREAM-INF:" + ",".join(attrs), f"media_{v.id}.m3u8"]
    return "\n".join(lines) + "\n"
