// The Reelbase player (view and embed pages). No inline script: everything comes from data-*
// attributes on #player, set by web/player.py.
//
// ready:      HLS through hls.js (loaded on demand from /static/vendor), native HLS where hls.js
//             cannot run (Safari on iOS), else the MP4 renditions with the <video> element.
//             A quality menu (Auto + one entry per level), seek previews from the storyboard.
// processing: polls the status URL every 2 s, shows state and progress, reloads when done.
//
// State for people and tests on #player: data-engine (hls.js / native / file), data-levels
// (level heights, ascending, comma-separated), data-level ("auto" or the chosen height),
// data-level-height (height of the level playing now), data-playing ("1" / "0").

const POLL_MS = 2000;

function formatTime(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const s = Math.floor(seconds % 60), m = Math.floor(seconds / 60) % 60, h = Math.floor(seconds / 3600);
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return (h ? `${h}:` : '') + `${mm}:${String(s).padStart(2, '0')}`;
}

// ---- storyboard (WebVTT whose cues name "sprite.jpg#xywh=x,y,w,h") ----

function parseVttTime(text) {
  const parts = text.trim().split(':').map(Number);
  return parts.reduce((acc, part) => acc * 60 + part, 0);
}

export function parseStoryboard(text, baseUrl) {
  const cues = [];
  for (const block of text.replace(/\r/g, '').split(/\n\n+/)) {
    const lines = block.split('\n').map((l) => l.trim()).filter(Boolean);
    const at = lines.findIndex((l) => l.includes('-->'));
    if (at < 0 || at + 1 >= lines.length) continue;
    const [from, to] = lines[at].split('-->').map((t) => parseVttTime(t.split(' ').filter(Boolean)[0] || t));
    const [name, hash] = lines[at + 1].split('#xywh=');
    if (!hash) continue;
    const [x, y, w, h] = hash.split(',').map(Number);
    cues.push({ start: from, end: to, url: new URL(name, baseUrl).href, x, y, w, h });
  }
  return cues;
}

async function loadStoryboard(url) {
  try {
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) return [];
    return parseStoryboard(await response.text(), response.url);
  } catch {
    return [];
  }
}

function cueAt(cues, time) {
  let found = null;
  for (const cue of cues) {
    if (cue.start <= time) found = cue;
    if (cue.start <= time && time < cue.end) return cue;
  }
  return found;
}

// ---- playback engines ----

async function loadHls(url) {
  try {
    return (await import(url)).default;
  } catch (err) {
    console.warn('hls.js could not be loaded', err);
    return null;
  }
}

function setLevels(root, menu, entries, { auto }) {
  // entries: [{value, height, label}] in any order; the menu lists the tallest first.
  menu.textContent = '';
  if (auto) menu.append(new Option('Auto', 'auto'));
  for (const e of [...entries].sort((a, b) => (b.height || 0) - (a.height || 0))) {
    menu.append(new Option(e.label, String(e.value)));
  }
  root.dataset.levels = entries.map((e) => e.height).filter(Boolean).sort((a, b) => a - b).join(',');
  menu.closest('.quality').hidden = entries.length < 2 && !auto;
}

function startHlsJs(Hls, root, video, menu, url, showError) {
  const hls = new Hls({ capLevelToPlayerSize: false, enableWorker: true });
  root.dataset.engine = 'hls.js';
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    const entries = hls.levels.map((level, index) => ({
      value: index, height: level.height, label: level.height ? `${level.height}p` : `${Math.round(level.bitrate / 1000)} kb/s`,
    }));
    setLevels(root, menu, entries, { auto: true });
  });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
    const level = hls.levels[data.level];
    root.dataset.levelHeight = level && level.height ? String(level.height) : '';
  });
  let retries = 0;
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    if (retries++ >= 3) showError('The video could not be loaded. Reload the page to try again.');
    else if (data.type === Hls.ErrorTypes.NETWORK_ERROR) hls.startLoad();
    else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    else showError('The video could not be played in this browser.');
  });
  menu.addEventListener('change', () => {
    const choice = menu.value;
    if (choice === 'auto') {
      hls.currentLevel = -1; // automatic selection from here on
      root.dataset.level = 'auto';
    } else {
      hls.currentLevel = Number(choice); // switch now (drops the buffered other level)
      root.dataset.level = String(hls.levels[Number(choice)].height || choice);
    }
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return hls;
}

function startFiles(root, video, menu, files) {
  // Plain files (MP4 renditions or the original): one at a time, the menu swaps the source.
  root.dataset.engine = 'file';
  const sorted = [...files].sort((a, b) => (a.height || 0) - (b.height || 0));
  const fitting = sorted.filter((f) => !f.height || f.height <= 720);
  let current = fitting.length ? fitting[fitting.length - 1] : sorted[0];
  setLevels(root, menu, sorted.map((f, i) => ({ value: i, height: f.height, label: f.label })), { auto: false });
  const use = (file, keepTime) => {
    const at = keepTime ? video.currentTime : 0;
    const wasPlaying = keepTime && !video.paused;
    current = file;
    video.src = file.url;
    root.dataset.level = file.height ? String(file.height) : file.label;
    root.dataset.levelHeight = file.height ? String(file.height) : '';
    if (keepTime) {
      video.addEventListener('loadedmetadata', () => {
        video.currentTime = at;
        if (wasPlaying) video.play().catch(() => {});
      }, { once: true });
    }
  };
  use(current, false);
  menu.value = String(sorted.indexOf(current));
  menu.addEventListener('change', () => use(sorted[Number(menu.value)], true));
}

// ---- controls ----

function wireControls(root, video, cues) {
  const q = (sel) => root.querySelector(sel);
  const play = q('.play'), time = q('.time'), seek = q('.seek'), played = q('.played'), buffered = q('.buffered');
  const preview = q('.preview'), tile = q('.tile'), previewTime = q('.preview-time');
  const mute = q('.mute'), full = q('.fullscreen');

  const toggle = () => (video.paused || video.ended ? video.play().catch(() => {}) : video.pause());
  play.addEventListener('click', toggle);
  video.addEventListener('click', toggle);
  root.addEventListener('keydown', (e) => {
    if (e.target.closest('select')) return;
    if (e.key === ' ' || e.key === 'k') { e.preventDefault(); toggle(); }
    if (e.key === 'ArrowRight') { video.currentTime = Math.min(video.duration || 0, video.currentTime + 5); }
    if (e.key === 'ArrowLeft') { video.currentTime = Math.max(0, video.currentTime - 5); }
  });
  const paint = () => {
    const playing = !video.paused && !video.ended;
    play.setAttribute('aria-label', playing ? 'Pause' : 'Play');
    root.dataset.playing = playing ? '1' : '0';
  };
  video.addEventListener('play', paint);
  video.addEventListener('pause', paint);
  video.addEventListener('ended', paint);

  const update = () => {
    const d = video.duration;
    time.textContent = `${formatTime(video.currentTime)} / ${formatTime(d)}`;
    played.style.width = d ? `${(100 * video.currentTime) / d}%` : '0';
    seek.setAttribute('aria-valuemax', String(Math.round(d || 0)));
    seek.setAttribute('aria-valuenow', String(Math.round(video.currentTime)));
    const b = video.buffered;
    buffered.style.width = d && b.length ? `${(100 * b.end(b.length - 1)) / d}%` : '0';
  };
  for (const name of ['timeupdate', 'durationchange', 'progress', 'seeked', 'loadedmetadata']) {
    video.addEventListener(name, update);
  }

  const timeAt = (clientX) => {
    const box = seek.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (clientX - box.left) / box.width));
    return { fraction, seconds: fraction * (video.duration || 0), box };
  };
  seek.addEventListener('click', (e) => {
    if (video.duration) video.currentTime = timeAt(e.clientX).seconds;
  });
  seek.addEventListener('keydown', (e) => {
    if (e.key === 'Home') video.currentTime = 0;
    if (e.key === 'End' && video.duration) video.currentTime = video.duration - 0.1;
  });
  seek.addEventListener('pointermove', (e) => {
    if (!video.duration) return;
    const { seconds, box } = timeAt(e.clientX);
    previewTime.textContent = formatTime(seconds);
    const cue = cues.length ? cueAt(cues, seconds) : null;
    if (cue) {
      tile.hidden = false;
      Object.assign(tile.style, {
        width: `${cue.w}px`, height: `${cue.h}px`, backgroundImage: `url("${cue.url}")`,
        backgroundPosition: `-${cue.x}px -${cue.y}px`,
      });
    } else {
      tile.hidden = true;
    }
    const width = cue ? cue.w : 60;
    const left = Math.min(box.width - width, Math.max(0, e.clientX - box.left - width / 2));
    preview.style.left = `${left}px`;
    preview.dataset.time = seconds.toFixed(2);
    preview.hidden = false;
  });
  seek.addEventListener('pointerleave', () => { preview.hidden = true; });

  mute.addEventListener('click', () => { video.muted = !video.muted; });
  video.addEventListener('volumechange', () => {
    root.dataset.muted = video.muted ? '1' : '0';
    mute.setAttribute('aria-label', video.muted ? 'Unmute' : 'Mute');
  });
  full.addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (root.requestFullscreen) root.requestFullscreen().catch(() => {});
  });
  paint();
  update();
}

async function startPlayer(root) {
  const video = root.querySelector('video');
  const menu = root.querySelector('.quality-menu');
  const errorBox = root.querySelector('.player-error');
  const showError = (text) => { errorBox.textContent = text; errorBox.hidden = false; };
  const files = JSON.parse(root.dataset.files || '[]');
  const hlsUrl = root.dataset.hls;
  video.addEventListener('error', () => {
    if (video.error && root.dataset.engine !== 'hls.js') showError('This browser could not play the video.');
  });
  const cuesPromise = root.dataset.storyboard ? loadStoryboard(root.dataset.storyboard) : Promise.resolve([]);
  let started = false;
  if (hlsUrl) {
    const Hls = await loadHls(root.dataset.hlsLib);
    if (Hls && Hls.isSupported()) {
      startHlsJs(Hls, root, video, menu, hlsUrl, showError);
      started = true;
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      root.dataset.engine = 'native'; // the browser's own HLS picks levels itself
      setLevels(root, menu, [], { auto: true });
      video.addEventListener('resize', () => { root.dataset.levelHeight = String(video.videoHeight || ''); });
      video.src = hlsUrl;
      started = true;
    }
  }
  if (!started && files.length) {
    startFiles(root, video, menu, files);
    started = true;
  }
  if (!started) showError('This browser cannot play this video.');
  const cues = await cuesPromise;
  root.dataset.storyboardTiles = String(cues.length);
  wireControls(root, video, cues);
  if (new URLSearchParams(location.search).get('autoplay') === '1') video.play().catch(() => {});
}

// ---- processing ----

function pollStatus(root) {
  const label = root.querySelector('.state-label');
  const percent = root.querySelector('.percent');
  const bar = root.querySelector('progress');
  const tick = async () => {
    try {
      const response = await fetch(root.dataset.statusUrl, { cache: 'no-store', credentials: 'same-origin' });
      if (response.status === 403 || response.status === 404) { location.reload(); return; }
      if (response.ok) {
        const s = await response.json();
        root.dataset.state = s.state;
        if (s.state === 'ready' || s.state === 'failed') { location.reload(); return; }
        label.textContent = s.label;
        percent.textContent = `${s.progress}%`;
        bar.value = s.progress;
      }
    } catch {
      // a dropped connection: try again at the next tick
    }
    setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS);
}

function wireCopyButtons() {
  for (const button of document.querySelectorAll('.copy-embed')) {
    button.addEventListener('click', async () => {
      const field = document.getElementById(button.dataset.target);
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        field.select();
        document.execCommand('copy');
      }
      button.textContent = 'Copied';
      setTimeout(() => { button.textContent = 'Copy embed code'; }, 2000);
    });
  }
}

const root = document.getElementById('player');
if (root && root.dataset.state === 'ready' && root.querySelector('video')) {
  startPlayer(root);
} else if (root && root.dataset.statusUrl) {
  pollStatus(root);
}
wireCopyButtons();
