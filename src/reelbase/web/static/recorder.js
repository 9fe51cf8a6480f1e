// The recorder page (web/recorder.py): screen, webcam or both (webcam drawn small over the screen
// on a canvas), with the microphone; MediaRecorder (WebM: VP9 or VP8 with Opus); a live preview
// and the elapsed time; after Stop, the recording goes over tus (Uppy core + its Tus plugin) into
// the token's own upload. The section's data-state says where the page is: idle, recording,
// titling, uploading, done or error.
import { Tus, Uppy } from '/static/vendor/uppy.min.mjs';

const root = document.getElementById('recorder');
const byId = (id) => document.getElementById(id);
const preview = byId('preview');
const startButton = byId('start');
const stopButton = byId('stop');
const elapsed = byId('elapsed');
const statusBox = byId('recorder-status');
const progress = byId('progress');
const progressText = byId('progress-text');
const titleForm = byId('title-form');
const options = {
  askTitle: root.dataset.askTitle === 'true',
  autoClose: root.dataset.autoClose === 'true',
  autoOpen: root.dataset.autoOpen === 'true',
  chunkSize: Number(root.dataset.chunkSize),
};
const MIME_TYPES = ['video/webm;codecs=vp9,opus', 'video/webm;codecs=vp8,opus', 'video/webm'];
const MAX_WIDTH = 1920;

let opened = []; // every MediaStream this page opened, stopped when the recording ends
let timers = [];
let recorder = null;
let recording = null; // the finished recording (a File)

function setState(state) {
  root.dataset.state = state;
}

function say(text, error = false) {
  statusBox.textContent = text;
  statusBox.classList.toggle('error', error);
  statusBox.hidden = !text;
}

function chosenMode() {
  const input = document.querySelector('input[name=mode]:checked') || document.querySelector('input[name=mode]');
  return input ? input.value : 'webcam';
}

function even(n) {
  return Math.max(2, Math.round(n / 2) * 2);
}

function playing(stream) {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  video.play().catch(() => {});
  return video;
}

// Screen and webcam on one canvas: the screen fills it, the webcam sits in the bottom-right corner.
function compose(screen, camera) {
  const screenVideo = playing(screen);
  const cameraVideo = playing(camera);
  const settings = screen.getVideoTracks()[0].getSettings();
  const scale = Math.min(1, MAX_WIDTH / (settings.width || 1280));
  const canvas = document.createElement('canvas');
  canvas.width = even((settings.width || 1280) * scale);
  canvas.height = even((settings.height || 720) * scale);
  const ctx = canvas.getContext('2d');
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 3;
  const draw = () => {
    ctx.drawImage(screenVideo, 0, 0, canvas.width, canvas.height);
    if (cameraVideo.videoWidth) {
      const w = Math.round(canvas.width / 4);
      const h = Math.round((w * cameraVideo.videoHeight) / cameraVideo.videoWidth);
      const margin = Math.round(canvas.width / 50);
      const x = canvas.width - w - margin;
      const y = canvas.height - h - margin;
      ctx.drawImage(cameraVideo, x, y, w, h);
      ctx.strokeRect(x - 1.5, y - 1.5, w + 3, h + 3); // a white frame sets the webcam apart from the screen
    }
  };
  draw();
  timers.push(setInterval(draw, 1000 / 30)); // not requestAnimationFrame: it stops in a hidden tab
  return canvas.captureStream(30).getVideoTracks()[0];
}

async function openStreams(mode, withMic) {
  const media = navigator.mediaDevices;
  const screen = mode === 'webcam' ? null : await media.getDisplayMedia({ video: { frameRate: 30 }, audio: false });
  if (screen) opened.push(screen);
  const camera = mode === 'screen' ? null
    : await media.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
  if (camera) opened.push(camera);
  const mic = withMic ? await media.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } }) : null;
  if (mic) opened.push(mic);
  let video;
  if (mode === 'both') video = compose(screen, camera);
  else video = (screen || camera).getVideoTracks()[0];
  const tracks = [video, ...(mic ? mic.getAudioTracks() : [])];
  // The person may end screen sharing from the browser's own bar: that ends the recording too.
  if (screen) screen.getVideoTracks()[0].addEventListener('ended', () => stopRecording());
  return new MediaStream(tracks);
}

function closeStreams() {
  timers.forEach((t) => clearInterval(t));
  timers = [];
  opened.forEach((s) => s.getTracks().forEach((t) => t.stop()));
  opened = [];
}

// ---- WebM duration: MediaRecorder streams its WebM and never writes the Duration element, so
// players cannot seek and probes read no duration. Before uploading, the recording's Segment Info
// gets one (the measured length). Only when Info comes first in the Segment (no SeekHead whose
// offsets would shift): then nothing else in the file refers to byte positions.
const EBML = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const TIMECODE_SCALE = 0x2ad7b1;
const DURATION = 0x4489;

function vintLength(first) {
  for (let i = 0; i < 8; i += 1) if (first & (0x80 >> i)) return i + 1;
  return 0;
}

function readId(bytes, pos) {
  const length = vintLength(bytes[pos]);
  if (!length || length > 4) throw new Error('not EBML');
  let id = 0;
  for (let i = 0; i < length; i += 1) id = id * 256 + bytes[pos + i];
  return { id, length };
}

function readSize(bytes, pos) {
  const length = vintLength(bytes[pos]);
  if (!length) throw new Error('not EBML');
  let value = bytes[pos] & (0xff >> length);
  let unknown = value === (0xff >> length);
  for (let i = 1; i < length; i += 1) {
    value = value * 256 + bytes[pos + i];
    if (bytes[pos + i] !== 0xff) unknown = false;
  }
  return { value, length, unknown };
}

function readElement(bytes, pos) {
  const id = readId(bytes, pos);
  const size = readSize(bytes, pos + id.length);
  const start = pos + id.length + size.length;
  return { id: id.id, start, end: size.unknown ? Infinity : start + size.value, unknown: size.unknown };
}

async function withDuration(file, durationMs) {
  try {
    const head = new Uint8Array(await file.slice(0, 65536).arrayBuffer());
    const ebml = readElement(head, 0);
    if (ebml.id !== EBML) return file;
    const segment = readElement(head, ebml.end);
    if (segment.id !== SEGMENT) return file;
    const info = readElement(head, segment.start);
    if (info.id !== INFO || info.end > head.length) return file;
    let scale = 1000000;
    for (let pos = info.start; pos < info.end;) {
      const child = readElement(head, pos);
      if (child.id === DURATION) return file; // already there
      if (child.id === TIMECODE_SCALE) {
        scale = 0;
        for (let i = child.start; i < child.end; i += 1) scale = scale * 256 + head[i];
      }
      pos = child.end;
    }
    const duration = new Uint8Array(11);
    duration.set([0x44, 0x89, 0x88]); // Duration, 8-byte float
    new DataView(duration.buffer).setFloat64(3, (durationMs * 1000000) / (scale || 1000000), false);
    const content = info.end - info.start + duration.length;
    const sizeField = new Uint8Array(8); // an 8-byte size: 0x01 then 7 bytes of value
    sizeField[0] = 0x01;
    for (let i = 7, v = content; i > 0; i -= 1, v = Math.floor(v / 256)) sizeField[i] = v % 256;
    const infoId = head.slice(segment.start, segment.start + 4);
    return new File([head.slice(0, segment.start), infoId, sizeField, head.slice(info.start, info.end), duration,
      file.slice(info.end)], file.name, { type: file.type });
  } catch {
    return file; // not the WebM we expected: upload it as it is
  }
}

function showElapsed(ms) {
  const s = Math.floor(ms / 1000);
  elapsed.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

async function startRecording() {
  say('');
  startButton.disabled = true;
  document.querySelectorAll('#setup input').forEach((i) => { i.disabled = true; });
  let stream;
  try {
    stream = await openStreams(chosenMode(), byId('mic').checked);
  } catch (error) {
    closeStreams();
    startButton.disabled = false;
    document.querySelectorAll('#setup input').forEach((i) => { i.disabled = false; });
    say(`Could not start recording: ${error.message || error.name}. Allow access to the screen, camera and ` +
        'microphone, then try again.', true);
    return;
  }
  const mimeType = MIME_TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || '';
  const parts = [];
  const started = performance.now();
  recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
  recorder.addEventListener('dataavailable', (event) => {
    if (event.data && event.data.size) parts.push(event.data);
  });
  recorder.addEventListener('stop', async () => {
    const length = performance.now() - started;
    closeStreams();
    preview.srcObject = null;
    const type = (recorder.mimeType || 'video/webm').split(';')[0];
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    recording = await withDuration(new File(parts, `recording-${stamp}.webm`, { type }), length);
    preview.autoplay = false; // the preview now plays the recording back
    preview.src = URL.createObjectURL(recording);
    preview.controls = true;
    afterRecording();
  });
  preview.srcObject = stream;
  preview.play().catch(() => {});
  byId('placeholder').hidden = true;
  timers.push(setInterval(() => showElapsed(performance.now() - started), 250));
  recorder.start(1000);
  stopButton.disabled = false;
  byId('rec-dot').hidden = false;
  setState('recording');
}

function stopRecording() {
  if (!recorder || recorder.state === 'inactive') return;
  stopButton.disabled = true;
  byId('rec-dot').hidden = true;
  recorder.stop();
}

function afterRecording() {
  if (options.askTitle) {
    setState('titling');
    titleForm.hidden = false;
    byId('title').focus();
    return;
  }
  upload(`Recording ${new Date().toLocaleString()}`);
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {}),
  });
  const text = await response.text();
  let data = {};
  try {
    data = JSON.parse(text);
  } catch {
    // not JSON: keep the status line below
  }
  if (!response.ok) throw new Error(data.error?.message || `the server answered ${response.status}`);
  return data;
}

async function upload(title) {
  setState('uploading');
  titleForm.hidden = true;
  byId('progress-box').hidden = false;
  let slot;
  try {
    slot = await postJson(root.dataset.slotUrl, { title });
  } catch (error) {
    failed(error.message);
    return;
  }
  const uppy = new Uppy({ id: `recorder-${root.dataset.token}`, autoProceed: false });
  uppy.use(Tus, {
    endpoint: slot.endpoint, chunkSize: options.chunkSize, retryDelays: [0, 1000, 3000, 5000],
    allowedMetaFields: ['name', 'type'], removeFingerprintOnSuccess: true,
  });
  uppy.on('upload-progress', (_file, p) => {
    if (!p.bytesTotal) return;
    const percent = Math.round((100 * p.bytesUploaded) / p.bytesTotal);
    progress.value = percent;
    progressText.textContent = `Uploading… ${percent}%`;
  });
  uppy.addFile({ name: recording.name, type: recording.type, data: recording, source: 'recorder' });
  const result = await uppy.upload();
  if (!result || result.failed.length || !result.successful.length) {
    const error = result?.failed[0]?.error;
    failed(typeof error === 'string' ? error : error?.message || 'the upload did not finish');
    return;
  }
  finished(slot);
}

function failed(text) {
  setState('error');
  say(`The recording could not be uploaded: ${text}`, true);
}

function finished(slot) {
  setState('done');
  byId('progress-box').hidden = true;
  byId('view-link').href = slot.view_url;
  byId('done').hidden = false;
  if (options.autoOpen) {
    window.location.assign(slot.view_url);
    return;
  }
  byId('another').hidden = options.autoClose;
}

async function recordAnother() {
  try {
    const next = await postJson(root.dataset.nextUrl, {});
    window.location.assign(next.recorder_url);
  } catch (error) {
    say(`Cannot record another video: ${error.message}`, true);
  }
}

if (!navigator.mediaDevices || !window.MediaRecorder) {
  startButton.disabled = true;
  say('This browser cannot record (no MediaRecorder or media devices); try a current Chrome, Edge or Firefox.', true);
  setState('error');
} else {
  setState('idle');
}
startButton.addEventListener('click', startRecording);
stopButton.addEventListener('click', stopRecording);
byId('another').addEventListener('click', recordAnother);
titleForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const title = byId('title').value.trim();
  if (title) upload(title);
});
