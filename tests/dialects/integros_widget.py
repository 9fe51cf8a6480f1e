"""Runs the served uploader widget (plain JavaScript) in Node with a minimal page around it: the
script's ``src`` carries the access key as the document's example does, and the widget's own
``IntegrosUploader.upload`` sends a file by ResumableJS chunks over real HTTP (Node's fetch,
FormData and File are the browser's APIs)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

HARNESS = r"""
const fs = require("fs");
const src = fs.readFileSync(process.env.WIDGET, "utf8");
globalThis.window = globalThis;
globalThis.location = { href: process.env.SCRIPT_URL };
globalThis.document = {
  currentScript: { src: process.env.SCRIPT_URL, getAttribute: () => null },
  readyState: "complete", querySelector: () => null,
};
(0, eval)(src);
const file = new File([fs.readFileSync(process.env.UPLOAD)], process.env.NAME, { type: "video/mp4" });
const progress = [];
window.IntegrosUploader.upload(file, { onProgress: (p) => progress.push(p) }).then(
  (token) => console.log(JSON.stringify({ token, progress })),
  (err) => { console.error(err.message); process.exit(1); });
"""


def node() -> str | None:
    return shutil.which("node")


def run_widget(script: str, script_url: str, upload: Path, *, name: str, workdir: Path) -> dict:
    widget = workdir / "uploader.js"
    widget.write_text(script)
    env = {"WIDGET": str(widget), "SCRIPT_URL": script_url, "UPLOAD": str(upload), "NAME": name,
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([node() or "node", "-e", HARNESS], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
