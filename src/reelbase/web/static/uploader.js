// The uploader page (web/uploader.py): Uppy's Dashboard with its tus plugin.
//
// Each file is written over tus to its own "slot": a signed tus creation URL that the page asks
// for (POST <slots-url>) just before the file's upload starts. The first file gets the token's
// own upload, each further one a sibling upload of the same series.
//
// Resuming after a reload: tus-js-client finds an upload it started by a fingerprint that
// includes the endpoint, so the page remembers, per file (Uppy's file id: name, type, size,
// last-modified), which slot endpoint it was given, in localStorage, and hands the same
// endpoint back when the same file is added again.
import { Dashboard, Tus, Uppy } from '/static/vendor/uppy.min.mjs';

const root = document.getElementById('uploader');
const statusBox = document.getElementById('uploader-status');
const doneList = document.getElementById('uploaded');
const slotsUrl = root.dataset.slotsUrl;
const storeKey = `reelbase-uploader:${root.dataset.token}`;

// ---- what this page remembers across reloads: file id -> {endpoint, viewUrl, name, done}
function readStore() {
  try {
    return JSON.parse(localStorage.getItem(storeKey) || '{}') || {};
  } catch {
    return {};
  }
}

function writeStore(store) {
  try {
    localStorage.setItem(storeKey, JSON.stringify(store));
  } catch {
    // private mode or full storage: uploads still work, only resuming after a reload does not
  }
}

function remember(fileId, patch) {
  const store = readStore();
  store[fileId] = { ...(store[fileId] || {}), ...patch };
  writeStore(store);
}

function forget(fileId) {
  const store = readStore();
  delete store[fileId];
  writeStore(store);
}

function showError(text) {
  statusBox.textContent = text;
  statusBox.hidden = !text;
}

function showUploaded(name, viewUrl, note) {
  const item = document.createElement('li');
  const title = document.createElement('span');
  title.className = 'name';
  title.textContent = name;
  const state = document.createElement('span');
  state.className = 'done';
  state.textContent = note;
  const link = document.createElement('a');
  link.href = viewUrl;
  link.target = '_blank';
  link.rel = 'noopener';
  link.textContent = 'Open video';
  item.append(title, state, link);
  doneList.append(item);
}

function serverMessage(text, fallback) {
  try {
    return JSON.parse(text).error.message || fallback;
  } catch {
    return fallback;
  }
}

async function requestSlot(name) {
  const response = await fetch(slotsUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(serverMessage(text, `The server refused the upload (${response.status}).`));
  }
  return JSON.parse(text);
}

const uppy = new Uppy({
  id: 'reelbase',
  autoProceed: false,
  restrictions: {
    maxNumberOfFiles: Number(root.dataset.maxFiles),
    maxFileSize: Number(root.dataset.maxSize),
    allowedFileTypes: ['video/*', 'audio/*', '.mkv', '.mov', '.mp4', '.m4v', '.webm', '.avi', '.mpg', '.mpeg',
      '.ts', '.flv', '.wmv', '.ogv'],
  },
});

uppy.use(Dashboard, {
  inline: true,
  target: root,
  width: '100%',
  height: 360,
  proudlyDisplayPoweredByUppy: false,
  showProgressDetails: true,
  note: 'Video or audio files; several at once.',
});

uppy.use(Tus, {
  endpoint: '',
  chunkSize: Number(root.dataset.chunkSize),
  retryDelays: [0, 1000, 3000, 5000],
  limit: 2,
  removeFingerprintOnSuccess: false,
  allowedMetaFields: ['name', 'type'],
});

// Before a file's upload starts: its slot, the remembered one when the file was seen before.
uppy.addPreProcessor(async (fileIds) => {
  for (const id of fileIds) {
    const file = uppy.getFile(id);
    if (!file || file.tus?.endpoint) continue;
    let slot = readStore()[id];
    if (!slot?.endpoint) {
      try {
        const made = await requestSlot(file.name);
        slot = { endpoint: made.endpoint, viewUrl: made.view_url, name: file.name };
      } catch (error) {
        showError(error.message);
        throw error;
      }
      remember(id, slot);
    }
    uppy.setFileState(id, { tus: { ...(file.tus || {}), endpoint: slot.endpoint } });
  }
});

// A file uploaded earlier on this page (before a reload) is not sent again.
uppy.on('file-added', (file) => {
  const seen = readStore()[file.id];
  if (seen?.done) {
    setTimeout(() => uppy.removeFile(file.id), 0);
    uppy.info(`${file.name} was already uploaded.`, 'info', 4000);
  }
});

uppy.on('file-removed', (file) => {
  const seen = readStore()[file.id];
  if (seen && !seen.done) forget(file.id); // its upload was given up (Uppy terminates it)
});

uppy.on('upload-success', (file) => {
  const seen = readStore()[file.id] || {};
  remember(file.id, { done: true });
  showError('');
  showUploaded(file.name, seen.viewUrl, 'Uploaded — processing');
});

uppy.on('upload-error', (file, error, response) => {
  const xhr = response?.body?.xhr;
  const fallback = `${file?.name || 'A file'} could not be uploaded: ${error?.message || 'network error'}`;
  showError(xhr ? serverMessage(xhr.responseText, fallback) : fallback);
});

// What finished before a reload is listed again.
for (const entry of Object.values(readStore())) {
  if (entry.done && entry.viewUrl) showUploaded(entry.name, entry.viewUrl, 'Uploaded — processing');
}
