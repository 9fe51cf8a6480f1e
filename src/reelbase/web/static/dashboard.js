// The signed-in pages' behaviour (plain ES module, no framework). Everything talks to the native
// API (/api/v1) with the session cookie and the page's CSRF token:
//  - live state: elements with [data-video-id][data-state] that are not final are refreshed every
//    2.5 s (one list request for all in-progress videos, one GET for each that just finished);
//  - forms with [data-api-url] are sent as JSON (dotted names nest: "frameRate.fps");
//  - buttons with [data-api-delete] send DELETE (after [data-confirm]);
//  - [data-refresh] re-renders a region of the page from the server after a change.

const CSRF = document.querySelector('meta[name="csrf-token"]')?.content || '';
const FINAL = new Set(['ready', 'failed']);
const IN_PROGRESS = 'created,uploading,uploaded,ingesting,transcoding';
const POLL_MS = 2500;

export async function api(method, url, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = CSRF;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  if (res.status !== 204) {
    try { data = await res.json(); } catch { data = null; }
  }
  return { ok: res.ok, status: res.status, data };
}

function errorText(result) {
  if (result.status === 401) return 'Your session has ended: sign in again.';
  return result.data?.error?.message || `The server answered ${result.status}.`;
}

// --- formatting ---------------------------------------------------------------------------------

export function fmtDuration(ms) {
  if (ms == null) return '';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  const pad = (n) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

function localTimes(root = document) {
  for (const el of root.querySelectorAll('time[datetime]')) {
    const iso = el.getAttribute('datetime');
    if (!iso || el.dataset.local) continue;
    const when = new Date(iso);
    if (Number.isNaN(when.getTime())) continue;
    el.title = iso;
    el.textContent = when.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
    el.dataset.local = '1';
  }
}

function thumbnailPath(video, height = 260) {
  const thumb = (video.thumbnails || []).find((a) => a.kind === 'thumbnail' && a.default);
  const index = thumb ? Number(thumb.label.split('_').pop()) : NaN;
  return Number.isInteger(index) ? `/api/v1/videos/${video.id}/thumbnails/${index}.jpg?height=${height}` : null;
}

// --- live state of videos -----------------------------------------------------------------------

/** Show ``video`` (the API's JSON) in ``el``: state badge, progress, duration, thumbnail, message. */
export function applyVideo(el, video) {
  const before = el.dataset.state;
  el.dataset.state = video.state;
  const badge = el.querySelector('.state');
  if (badge) {
    badge.textContent = video.state;
    badge.className = `state ${video.state}`;
  }
  const live = el.querySelector('.live');
  if (live) {
    live.hidden = FINAL.has(video.state);
    const bar = live.querySelector('progress');
    if (bar) bar.value = video.progress || 0;
    const pct = live.querySelector('.pct');
    if (pct) pct.textContent = `${video.progress || 0}%`;
  }
  const duration = el.querySelector('.duration');
  if (duration) duration.textContent = fmtDuration(video.duration_ms);
  const thumb = el.querySelector('.thumb');
  const src = thumbnailPath(video);
  if (thumb && src && !thumb.querySelector('img')) {
    const img = document.createElement('img');
    img.src = src;
    img.alt = '';
    thumb.querySelector('.nothumb')?.remove();
    thumb.prepend(img);
  } else if (thumb && !src) {
    const label = thumb.querySelector('.nothumb');
    if (label) label.textContent = video.state === 'ready' ? 'no thumbnail' : video.state;
  }
  const note = el.querySelector('.state-message');
  if (note) {
    note.textContent = video.state_message || '';
    note.hidden = !video.state_message;
  }
  if (before !== video.state && FINAL.has(video.state) && 'reloadWhenFinal' in el.dataset) {
    window.location.reload(); // metadata, files and quality are now known: show them
  }
}

let polling = false;

async function pollVideos() {
  if (polling || document.hidden) return;
  const waiting = [...document.querySelectorAll('[data-video-id][data-state]')]
    .filter((el) => !FINAL.has(el.dataset.state));
  if (!waiting.length) return;
  polling = true;
  try {
    const listed = await api('GET', `/api/v1/videos?state=${IN_PROGRESS}&per_page=100`);
    if (!listed.ok) return;
    const current = new Map(listed.data.items.map((v) => [v.id, v]));
    for (const el of waiting) {
      let video = current.get(el.dataset.videoId);
      if (!video) { // no longer in progress: read its final state
        const one = await api('GET', `/api/v1/videos/${encodeURIComponent(el.dataset.videoId)}`);
        if (!one.ok) continue;
        video = one.data;
      }
      for (const same of document.querySelectorAll(`[data-video-id="${CSS.escape(video.id)}"]`)) {
        applyVideo(same, video);
      }
    }
  } catch (err) {
    console.warn('could not refresh the videos', err);
  } finally {
    polling = false;
  }
}

// --- forms and buttons --------------------------------------------------------------------------

function setPath(target, path, value) {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys.at(-1)] = value;
}

/** The form's filled-in fields as JSON: empty ones left out, numbers as numbers, checkbox groups as lists. */
export function formJSON(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.type === 'submit' || el.type === 'button') continue;
    if (el.type === 'checkbox') {
      const list = out[el.name] ??= [];
      if (el.checked) list.push(el.value);
      continue;
    }
    const raw = el.value.trim();
    if (raw === '') continue;
    setPath(out, el.name, el.type === 'number' || el.dataset.type === 'number' ? Number(raw) : raw);
  }
  return out;
}

async function refreshRegion(selector) {
  const res = await fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
  if (!res.ok) return;
  const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
  const fresh = doc.querySelector(selector);
  const old = document.querySelector(selector);
  if (fresh && old) {
    old.replaceWith(fresh);
    localTimes(fresh);
  }
}

function showError(form, text, field) {
  const box = form.querySelector('.form-error');
  for (const bad of form.querySelectorAll('.invalid')) bad.classList.remove('invalid');
  if (field) {
    const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
    if (input) {
      input.classList.add('invalid');
      input.closest('details')?.setAttribute('open', '');
    }
  }
  if (box) {
    box.textContent = text;
    box.hidden = !text;
  } else if (text) {
    window.alert(text);
  }
}

const AFTER = {
  // A processing request: show the new derived video (its state then updates live).
  async processing(form, data) {
    form.reset();
    const box = form.querySelector('.form-error');
    const done = document.createElement('p');
    done.className = 'msg form-ok';
    done.setAttribute('role', 'status');
    done.append('Processing started: ');
    const link = document.createElement('a');
    link.href = `/videos/${data.video.id}`;
    link.textContent = data.video.title || 'the new version';
    done.append(link, '. It appears under “Processed versions”.');
    form.querySelector('.form-ok')?.remove();
    (box || form.lastElementChild).before(done);
    await refreshRegion('#derived');
  },
  // A new API key: its secret is shown once, here.
  async 'key-created'(form, data) {
    form.reset();
    const box = document.getElementById('new-secret');
    document.getElementById('new-secret-value').textContent = data.secret;
    box.hidden = false;
    await refreshRegion('#keys');
  },
};

async function submitApiForm(form) {
  const button = form.querySelector('[type=submit]');
  if (button) button.disabled = true;
  showError(form, '');
  try {
    const result = await api(form.dataset.apiMethod || 'POST', form.dataset.apiUrl, formJSON(form));
    if (!result.ok) {
      showError(form, errorText(result), result.data?.error?.field);
      return;
    }
    const after = AFTER[form.dataset.onSuccess];
    if (after) await after(form, result.data);
    if (form.dataset.refresh) {
      form.reset();
      await refreshRegion(form.dataset.refresh);
    }
  } catch (err) {
    showError(form, `Could not reach the server: ${err.message}`);
  } finally {
    if (button) button.disabled = false;
  }
}

async function deleteFrom(button) {
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  button.disabled = true;
  try {
    const result = await api('DELETE', button.dataset.apiDelete);
    if (!result.ok && result.status !== 404) {
      window.alert(errorText(result));
      return;
    }
    if (button.dataset.refresh) await refreshRegion(button.dataset.refresh);
  } finally {
    button.disabled = false;
  }
}

document.addEventListener('submit', (event) => {
  const form = event.target.closest('form[data-api-url]');
  if (!form) return;
  event.preventDefault();
  submitApiForm(form);
});

document.addEventListener('click', (event) => {
  const remove = event.target.closest('[data-api-delete]');
  if (remove) {
    event.preventDefault();
    deleteFrom(remove);
    return;
  }
  const copy = event.target.closest('[data-copy]');
  if (copy) {
    const text = document.querySelector(copy.dataset.copy)?.textContent || '';
    navigator.clipboard?.writeText(text).then(() => { copy.textContent = 'Copied'; }, () => {});
  }
});

// Filters apply as soon as a choice changes.
for (const form of document.querySelectorAll('form[data-autosubmit]')) {
  for (const select of form.querySelectorAll('select')) {
    select.addEventListener('change', () => form.requestSubmit());
  }
}

localTimes();
setInterval(pollVideos, POLL_MS);
document.addEventListener('visibilitychange', pollVideos);
pollVideos();
