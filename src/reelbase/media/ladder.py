"""The adaptive streaming ladder: H.264/AAC renditions as faststart MP4, DASH and HLS, from ONE decode.

One ffmpeg process decodes the source once; a ``split`` filter feeds one libx264 encode per rung (veryfast,
CRF capped by maxrate, closed GOPs of exactly 2 s with no scene-cut keyframes, so keyframes line up across
rungs and every segment of every rung starts on one). The ``tee`` muxer writes each encode twice without
re-encoding: as ``{label}.mp4`` (faststart, for download and progressive play) and into the DASH muxer,
whose ``hls_playlist=1`` also writes HLS playlists over the same fMP4 ``.m4s`` segments. Audio is encoded
once (AAC) and shared by every rung. While the encode runs the per-stream playlists grow segment by
segment, so a player can start before the ladder is done. Afterwards ``manifests.finalize_manifests``
rewrites the bandwidth figures from the segments actually written.

Optional VP9 WebM: one more branch of the same split, encoded with libvpx-vp9 (+ Opus) into ``{label}.webm``
at the highest rung not above 720 lines (VP9 is several times slower than x264 veryfast; capping it keeps
it from dominating the run). Still one decode.

``limit_ladder_args`` and ``per_rung_args`` build the two reference commands of ``bench/ladder.py``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reelbase.media.manifests import finalize_manifests
from reelbase.media.runner import run_ffmpeg_detailed, run_ffprobe, safe_input_args
from reelbase.media.tools import Limits, Tools

# label -> (nominal video bitrate, maxrate) in bit/s for up to 30 fps; bufsize is 2 x maxrate.
BITRATES = {
    360: (800_000, 1_200_000),
    480: (1_400_000, 2_100_000),
    720: (2_800_000, 4_200_000),
    1080: (5_000_000, 7_500_000),
    1440: (9_000_000, 13_500_000),
    2160: (16_000_000, 24_000_000),
}
SD_MAX = 480
WEBM_MAX = 720
GOP_SECONDS = 2.0


@dataclass(frozen=True)
class Rung:
    label: int  # lines on the short side: 360, 480, 720, 1080 (or the source's own if below 360)
    width: int  # even
    height: int  # even
    video_bitrate: int  # nominal average, bit/s (CRF decides the actual rate below maxrate)
    maxrate: int
    bufsize: int
    audio_bitrate: int  # the same for every rung: one AAC encode is shared


@dataclass(frozen=True)
class Rendition:
    label: int
    width: int
    height: int
    bitrate: int  # measured: whole MP4 (video + audio) bits / duration; from segments without MP4
    size_bytes: int  # MP4 file size (sum of this rung's segments when no MP4 is written)
    mp4_path: Path | None
    hls_playlist: Path | None  # the per-stream playlist of this rung
    codecs: str | None  # RFC 6381 codec string of the video, e.g. "avc1.64001f"


@dataclass(frozen=True)
class LadderResult:
    rungs: list[Rendition]
    hls_master: Path | None
    dash_manifest: Path | None
    webm_path: Path | None
    webm_label: int | None
    elapsed_s: float
    max_rss_kb: int


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def plan_ladder(
    source_width: int,
    source_height: int,
    *,
    sd_only: bool = False,
    labels: tuple[int, ...] = (360, 480, 720, 1080),
    fps: float | None = None,
) -> list[Rung]:
    """Rungs for a source of the given *displayed* size, smallest first.

    A label is the number of lines on the short side (the height of a landscape video, the width of a
    portrait one, as YouTube counts: a 1080x1920 phone video gets a "1080" rung, not a 608x1080 one). Labels
    above the source are dropped, and ``sd_only`` drops those above 480; if none is left the source's own
    short side is the single rung. The other side keeps the display aspect ratio, rounded to even.
    Bitrates above 30 fps are 1.5x the table.
    """
    if source_width <= 0 or source_height <= 0:
        raise ValueError("source dimensions must be positive")
    portrait = source_height > source_width
    short, long_ = (source_width, source_height) if portrait else (source_height, source_width)
    chosen = [lb for lb in sorted(set(labels)) if lb <= short and (not sd_only or lb <= SD_MAX)]
    if not chosen:
        chosen = [_even(short) if short >= 2 else 2]
    factor = 1.5 if fps and fps > 31 else 1.0
    audio = 128_000 if max(chosen) >= 720 else 96_000
    rungs = []
    for label in chosen:
        short_px = _even(label)
        long_px = _even(long_ * label / short)
        if label in BITRATES:
            nominal, maxrate = BITRATES[label]
        else:  # e.g. a 240-line source: scale the 360 figures by pixel count
            ratio = (short_px * long_px) / (360 * 640)
            nominal, maxrate = (round(b * ratio, -3) for b in BITRATES[360])
        nominal, maxrate = int(nominal * factor), int(maxrate * factor)
        width, height = (short_px, long_px) if portrait else (long_px, short_px)
        rungs.append(Rung(label, width, height, nominal, maxrate, 2 * maxrate, audio))
    return rungs


def _webm_rung(rungs: list[Rung]) -> Rung:
    fitting = [r for r in rungs if r.label <= WEBM_MAX]
    return fitting[-1] if fitting else rungs[0]


def _filter_graph(rungs: list[Rung], *, deinterlace: bool | None, extra: int = 0) -> str:
    pre = {None: "bwdif=mode=send_frame:deint=interlaced,", True: "bwdif=mode=send_frame:deint=all,",
           False: ""}[deinterlace]
    n = len(rungs) + extra
    graph = f"[0:v:0]{pre}split={n}" + "".join(f"[s{i}]" for i in range(n))
    for i, rung in enumerate(rungs):
        # scale keeps the display aspect ratio by adjusting SAR, so every rung has exactly the source's
        # DAR: the DASH muxer refuses an adaptation set whose rungs disagree on it.
        graph += f";[s{i}]scale={rung.width}:{rung.height}:flags=bicubic,format=yuv420p[v{i}]"
    return graph


def _x264_args(rungs: list[Rung], *, fps: float, crf: int, preset: str, first_stream: int = 0) -> list[str]:
    gop = str(max(1, round(GOP_SECONDS * (fps or 30.0))))
    args = ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high",
            "-g", gop, "-keyint_min", gop, "-sc_threshold", "0"]
    for i, rung in enumerate(rungs, start=first_stream):
        args += [f"-maxrate:v:{i}", str(rung.maxrate), f"-bufsize:v:{i}", str(rung.bufsize)]
    return args


def _audio_args(rung: Rung) -> list[str]:
    # mono stays mono, anything with more than two channels is downmixed to stereo for the web
    return ["-c:a", "aac", "-b:a", str(rung.audio_bitrate), "-af", "aformat=channel_layouts=mono|stereo"]


def _tee_spec(rungs: list[Rung], *, has_audio: bool, mp4: bool, dash_out: bool, hls: bool,
              segment_s: float) -> str:
    slaves = []
    if mp4:
        for i, rung in enumerate(rungs):
            # The quotes are escaped because tee unquotes twice (slave list, then slave options).
            select = f"\\'v:{i},a\\'" if has_audio else f"\\'v:{i}\\'"
            slaves.append(f"[select={select}:f=mp4:movflags=+faststart]{rung.label}.mp4")
    if dash_out:
        sets = "id=0,streams=v id=1,streams=a" if has_audio else "id=0,streams=v"
        slaves.append(
            f"[f=dash:seg_duration={segment_s:g}:use_template=1:use_timeline=1:"
            f"hls_playlist={1 if hls else 0}:adaptation_sets='{sets}']dash/manifest.mpd"
        )
    return "|".join(slaves)


def transcode_ladder(
    src: str | Path,
    out_dir: str | Path,
    *,
    tools: Tools,
    rungs: list[Rung],
    fps: float,
    duration_s: float,
    has_audio: bool,
    mp4: bool = True,
    hls: bool = True,
    dash: bool = True,
    webm: bool = False,
    on_progress: Callable[[float], None] | None = None,
    timeout_s: float,
    limits: Limits | None = None,
    deinterlace: bool | None = None,
    segment_s: float = 4.0,
    crf: int = 23,
    preset: str = "veryfast",
) -> LadderResult:
    """Encode ``rungs`` from ``src`` in one ffmpeg run into ``out_dir``.

    Writes ``{label}.mp4`` per rung (``mp4``), ``dash/manifest.mpd`` (``dash``), ``dash/master.m3u8`` plus
    ``dash/media_<n>.m3u8`` (``hls``), all over the shared ``dash/*.m4s`` segments, and ``{label}.webm``
    (``webm``). ``deinterlace``: None deinterlaces only frames flagged interlaced (bwdif), True all frames,
    False none. ``on_progress`` gets 0..1. Raises ``FFmpegError`` / ``MediaRejected("timeout")``; on failure
    the partial outputs are left in ``out_dir`` for the caller's scratch clean-up.
    """
    if not rungs:
        raise ValueError("no rungs to encode")
    if not (mp4 or hls or dash or webm):
        raise ValueError("nothing to write: enable at least one of mp4, hls, dash, webm")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    segmented = hls or dash
    if segmented:
        (out / "dash").mkdir(exist_ok=True)
    webm_rung = _webm_rung(rungs) if webm else None
    x264_rungs = rungs if (mp4 or segmented) else []
    graph = _filter_graph(x264_rungs, deinterlace=deinterlace, extra=1 if webm else 0)
    if webm_rung is not None:
        graph += f";[s{len(x264_rungs)}]scale={webm_rung.width}:{webm_rung.height}:flags=bicubic,format=yuv420p[vw]"
    args = [*safe_input_args(src, limits=limits), "-max_muxing_queue_size", "4096", "-filter_complex", graph]
    if x264_rungs:
        for i in range(len(rungs)):
            args += ["-map", f"[v{i}]"]
        if has_audio:
            args += ["-map", "0:a:0"]
        args += _x264_args(rungs, fps=fps, crf=crf, preset=preset)
        if has_audio:
            args += _audio_args(rungs[-1])
        args += ["-flags", "+global_header", "-f", "tee",
                 _tee_spec(rungs, has_audio=has_audio, mp4=mp4, dash_out=segmented, hls=hls, segment_s=segment_s)]
    if webm_rung is not None:
        args += ["-map", "[vw]", *(["-map", "0:a:0"] if has_audio else []),
                 "-c:v", "libvpx-vp9", "-deadline", "good", "-cpu-used", "5", "-row-mt", "1",
                 "-crf", "33", "-b:v", str(webm_rung.maxrate),
                 "-g", str(max(1, round(GOP_SECONDS * (fps or 30.0)))),
                 *(["-c:a", "libopus", "-b:a", "96000"] if has_audio else []),
                 f"{webm_rung.label}.webm"]
    started = time.monotonic()
    run = run_ffmpeg_detailed(args, tools=tools, timeout_s=timeout_s, duration_s=duration_s,
                              on_progress=on_progress, cwd=out)
    reps = finalize_manifests(out / "dash" / "manifest.mpd", write_hls=hls) if segmented else []
    if segmented and not dash:
        (out / "dash" / "manifest.mpd").unlink()
    if segmented and not hls:
        for stale in (out / "dash").glob("*.m3u8"):
            stale.unlink()
    video_reps = [r for r in reps if r.content_type == "video"]
    audio_reps = [r for r in reps if r.content_type == "audio"]
    renditions = []
    for i, rung in enumerate(x264_rungs):
        rep = video_reps[i] if i < len(video_reps) else None
        mp4_path = out / f"{rung.label}.mp4" if mp4 else None
        if mp4_path is not None:
            fmt = run_ffprobe(["-show_format", *safe_input_args(mp4_path)], tools=tools, timeout_s=60)["format"]
            size = mp4_path.stat().st_size
            bitrate = int(fmt.get("bit_rate") or round(size * 8 / max(duration_s, 0.001)))
        else:
            assert rep is not None
            size = sum(rep.sizes()) + sum(sum(a.sizes()) for a in audio_reps)
            bitrate = rep.average_bitrate + sum(a.average_bitrate for a in audio_reps)
        playlist = out / "dash" / f"media_{rep.id}.m3u8" if hls and rep is not None else None
        renditions.append(Rendition(rung.label, rung.width, rung.height, bitrate, size, mp4_path, playlist,
                                    rep.codecs if rep is not None else None))
    return LadderResult(
        rungs=renditions,
        hls_master=out / "dash" / "master.m3u8" if hls else None,
        dash_manifest=out / "dash" / "manifest.mpd" if dash else None,
        webm_path=out / f"{webm_rung.label}.webm" if webm_rung is not None else None,
        webm_label=webm_rung.label if webm_rung is not None else None,
        elapsed_s=time.monotonic() - started,
        max_rss_kb=run.max_rss_kb,
    )


# --- reference commands for bench/ladder.py ------------------------------------------------------------


def limit_ladder_args(src: str | Path, out_dir: str | Path, rungs: list[Rung], *, fps: float, has_audio: bool,
                      crf: int = 23, preset: str = "veryfast") -> list[str]:
    """The hand-written one-decode command: split into per-rung faststart MP4s, no DASH/HLS, no tee.

    The same encoder settings as ``transcode_ladder``; arguments for ``run_ffmpeg``.
    """
    out = Path(out_dir)
    args = [*safe_input_args(src), "-filter_complex", _filter_graph(rungs, deinterlace=False)]
    for i, rung in enumerate(rungs):
        args += ["-map", f"[v{i}]", *(["-map", "0:a:0"] if has_audio else []),
                 *_x264_args([rung], fps=fps, crf=crf, preset=preset),
                 *(_audio_args(rung) if has_audio else []),
                 "-movflags", "+faststart", str(out / f"{rung.label}.mp4")]
    return args


def per_rung_args(src: str | Path, out_dir: str | Path, rungs: list[Rung], *, fps: float, has_audio: bool,
                  crf: int = 23, preset: str = "veryfast") -> list[list[str]]:
    """One complete ffmpeg command per rung (each decodes the whole source), as MediaCMS and PeerTube do."""
    out = Path(out_dir)
    commands = []
    for rung in rungs:
        commands.append([
            *safe_input_args(src), "-vf", f"scale={rung.width}:{rung.height}:flags=bicubic,format=yuv420p",
            *_x264_args([rung], fps=fps, crf=crf, preset=preset),
            *(_audio_args(rung) if has_audio else ["-an"]),
            "-movflags", "+faststart", str(out / f"{rung.label}.mp4"),
        ])
    return commands


def clear_outputs(out_dir: str | Path) -> None:
    """Remove what ``transcode_ladder`` writes in ``out_dir`` (for a retry in the same directory)."""
    out = Path(out_dir)
    shutil.rmtree(out / "dash", ignore_errors=True)
    for pattern in ("*.mp4", "*.webm"):
        for path in out.glob(pattern):
            path.unlink()
