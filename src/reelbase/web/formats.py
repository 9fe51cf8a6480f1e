"""How the pages show numbers and times (also registered as template filters)."""

from __future__ import annotations

import datetime as dt


def fmt_duration(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = round(ms / 1000)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def fmt_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return ""  # unreachable


def fmt_rate(bits: int | None) -> str:
    if not bits:
        return ""
    return f"{bits / 1e6:.2f} Mb/s" if bits >= 1e6 else f"{bits / 1e3:.0f} kb/s"


def fmt_time(iso: str | None) -> str:
    """``2026-01-02T03:04:05Z`` → ``2026-01-02 03:04 UTC`` (the page's script shows local time)."""
    if not iso:
        return ""
    try:
        when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return when.strftime("%Y-%m-%d %H:%M UTC")


FILTERS = {"fmt_duration": fmt_duration, "fmt_size": fmt_size, "fmt_rate": fmt_rate, "fmt_time": fmt_time}
