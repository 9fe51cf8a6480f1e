"""The uploader widget, ``/v1/widgets/uploader.js``: a small plain-JavaScript file (no library, no
CDN) that mounts an upload box on the page and sends each chosen file by the ResumableJS chunk
protocol to the URL ``get_resumable_url`` hands out.

Authenticated like every endpoint (``access_key`` or the Token header). The script never carries
the key itself: in the page it reads ``access_key`` from its own ``src`` (or ``data-access-key``,
or ``IntegrosUploader.mount(el, {accessKey})``). It mounts itself into ``#integros-uploader`` (or
the element named by the script's ``data-target``) when that exists.

With ``data-mode="iframe"`` (or ``IntegrosUploader.frame(el)``) it mounts Reelbase's own uploader page
instead (``/embed/uploader/{token}``: drag and drop, several files, pause/resume, resumable over
tus), for a one-time page token asked from ``/v1/widgets/uploader_frame.json``.
"""

from __future__ import annotations

import datetime as dt
import json

from fastapi import APIRouter, Request, Response

from reelbase.core.uploads import create_upload_token
from reelbase.dialects.integros.auth import ApiKeyPrincipal
from reelbase.dialects.integros.formats import timestamp, url
from reelbase.edge.deps import get_runtime

router = APIRouter(prefix="/v1/widgets", tags=["widgets"])

CHUNK_SIZE = 1024 * 1024

SCRIPT = r"""/* Reelbase - Integros uploader widget. Plain JavaScript, no dependencies. */
(function () {
  "use strict";
  var API = __API__, CHUNK = __CHUNK__, PERMANENT = [400, 401, 403, 404, 409, 415, 500, 501];
  var script = document.currentScript;

  function scriptKey() {
    if (!script) return null;
    try { return new URL(script.src, location.href).searchParams.get("access_key"); } catch (e) { return null; }
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function getResumableUrl(key, file, id) {
    var q = new URLSearchParams();
    q.set("access_key", key);
    q.set("files[0][id]", id);
    q.set("files[0][name]", file.name);
    q.set("files[0][size]", String(file.size));
    return fetch(API + "/v1/uploads/get_resumable_url.json?" + q.toString()).then(function (r) {
      if (!r.ok) return r.json().then(function (b) { throw new Error(b.error || ("HTTP " + r.status)); });
      return r.json();
    }).then(function (body) { return body[id]; });
  }

  function sendChunk(target, file, n, total, identifier, attempt) {
    var start = (n - 1) * CHUNK, end = n === total ? file.size : Math.min(file.size, n * CHUNK);
    var form = new FormData(), fields = {
      resumableChunkNumber: n, resumableChunkSize: CHUNK, resumableCurrentChunkSize: end - start,
      resumableTotalSize: file.size, resumableType: file.type || "", resumableIdentifier: identifier,
      resumableFilename: file.name, resumableRelativePath: file.name, resumableTotalChunks: total
    };
    Object.keys(fields).forEach(function (k) { form.append(k, String(fields[k])); });
    form.append("file", file.slice(start, end), file.name);
    return fetch(target.url, { method: "POST", body: form }).then(function (r) {
      if (r.ok) return r.json();
      if (PERMANENT.indexOf(r.status) >= 0 || attempt >= 5) {
        return r.json().then(function (b) { throw new Error(b.error || ("HTTP " + r.status)); });
      }
      return new Promise(function (ok) { setTimeout(ok, 1000 * attempt); }).then(function () {
        return sendChunk(target, file, n, total, identifier, attempt + 1);
      });
    });
  }

  /* Upload one File; onProgress(0..100). Resolves with the video token. */
  function upload(file, options) {
    options = options || {};
    var key = options.accessKey || scriptKey();
    var onProgress = options.onProgress || function () {};
    var identifier = (file.size + "-" + file.name).replace(/[^A-Za-z0-9_.-]/g, "").replace(/\.\.+/g, ".") || "file";
    var total = Math.max(1, Math.floor(file.size / CHUNK));
    return getResumableUrl(key, file, identifier).then(function (target) {
      var n = 1;
      function next() {
        if (n > total) return target.token;
        return sendChunk(target, file, n, total, identifier, 1).then(function () {
          onProgress(Math.round(n * 100 / total)); n += 1; return next();
        });
      }
      return next();
    });
  }

  function mount(container, options) {
    options = options || {};
    if (typeof container === "string") container = document.querySelector(container);
    var box = el("div", { "class": "integros-uploader" });
    var input = el("input", { type: "file", accept: "video/*", multiple: "multiple" });
    var list = el("ul", { "class": "integros-uploader-files" });
    box.appendChild(input); box.appendChild(list); container.appendChild(box);
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, function (file) {
        var item = el("li", {}, file.name + " "), bar = el("progress", { max: "100", value: "0" });
        var note = el("span", {}, ""); item.appendChild(bar); item.appendChild(note); list.appendChild(item);
        upload(file, { accessKey: options.accessKey, onProgress: function (p) { bar.value = p; } })
          .then(function (token) {
            note.textContent = " uploaded (" + token + ")";
            var detail = { token: token, name: file.name };
            container.dispatchEvent(new CustomEvent("integros:uploaded", { detail: detail }));
          }, function (err) { note.textContent = " failed: " + err.message; });
      });
    });
    return box;
  }

  /* Mount Reelbase's uploader page in an iframe; resolves with the page's URL. */
  function frame(container, options) {
    options = options || {};
    if (typeof container === "string") container = document.querySelector(container);
    var q = new URLSearchParams();
    q.set("access_key", options.accessKey || scriptKey());
    return fetch(API + "/v1/widgets/uploader_frame.json?" + q.toString()).then(function (r) {
      if (!r.ok) return r.json().then(function (b) { throw new Error(b.error || ("HTTP " + r.status)); });
      return r.json();
    }).then(function (body) {
      var f = el("iframe", { src: body.url, title: "Upload videos", "class": "integros-uploader-frame",
                             style: "width:100%;min-height:480px;border:0", allow: "fullscreen" });
      container.appendChild(f);
      return body.url;
    });
  }

  window.IntegrosUploader = { mount: mount, upload: upload, frame: frame, api: API };
  function autoMount() {
    var sel = script && script.getAttribute("data-target");
    var target = document.querySelector(sel || "#integros-uploader");
    var key = (script && script.getAttribute("data-access-key")) || undefined;
    if (!target) return;
    if (script && script.getAttribute("data-mode") === "iframe") frame(target, { accessKey: key });
    else mount(target, { accessKey: key });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autoMount); else autoMount();
})();
"""


@router.get("/uploader.js", summary="The uploader widget (plain JavaScript, ResumableJS chunks)")
def uploader_js(request: Request, _principal: ApiKeyPrincipal) -> Response:
    api = url(get_runtime(request), "")
    body = SCRIPT.replace("__API__", json.dumps(api)).replace("__CHUNK__", str(CHUNK_SIZE))
    return Response(body, media_type="application/javascript", headers={"Cache-Control": "private, max-age=300"})


@router.get("/uploader_frame.json", summary="A one-time page token for the iframe uploader")
def uploader_frame(request: Request, principal: ApiKeyPrincipal) -> dict:
    runtime = get_runtime(request)
    made = create_upload_token(runtime, principal, kind="upload")
    expires = dt.datetime.fromtimestamp(made.expires, dt.UTC)
    page = f"{runtime.settings.public_url}/embed/uploader/{made.token}"
    return {"url": page, "token": made.token, "expires_at": timestamp(expires)}
