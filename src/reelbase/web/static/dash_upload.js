// The signed-in upload page: Uppy's Dashboard over tus to /api/v1/uploads/ with the session
// cookie and the CSRF header. Each upload becomes a video; tus answers carry its id in the
// ``Reelbase-Video`` header, so the list below links to it and shows its state live (dashboard.js
// polls every [data-video-id] element that is not ready yet).
import { Uppy, Dashboard, Tus } from '/static/vendor/uppy.min.mjs';

const CSRF = document.querySelector('meta[name="csrf-token"]')?.content || '';
const target = document.getElementById('uppy');
const project = document.getElementById('upload-project');
const list = document.getElementById('uploaded');

const uppy = new Uppy({
  autoProceed: false,
  restrictions: {
    allowedFileTypes: ['video/*', '.mp4', '.mov', '.mkv', '.webm', '.avi', '.mts', '.m2ts', '.ts', '.mxf', '.flv',
      '.wmv'],
    maxFileSize: Number(target.dataset.maxSize) || null,
  },
})
  .use(Dashboard, {
    inline: true,
    target,
    height: 380,
    width: '100%',
    proudlyDisplayPoweredByUppy: false,
    showProgressDetails: true,
    note: 'Video files; several at once.',
    metaFields: [{ id: 'title', name: 'Title', placeholder: 'the file name if left empty' }],
  })
  .use(Tus, {
    endpoint: target.dataset.endpoint,
    headers: { 'X-CSRF-Token': CSRF },
    withCredentials: true,
    chunkSize: 8 * 1024 * 1024,
    retryDelays: [0, 1000, 3000, 5000],
    allowedMetaFields: ['name', 'type', 'title', 'project'],
  });

// The project chosen above applies to every file added from now on.
function applyProject() {
  uppy.setMeta({ project: project.value }); // '' means none
}
project.addEventListener('change', applyProject);
applyProject();

function videoIdOf(response) {
  const xhr = response?.body?.xhr;
  try {
    return xhr?.getResponseHeader?.('Reelbase-Video') || null;
  } catch {
    return null;
  }
}

function addUploaded(file, videoId) {
  list.querySelector('.none')?.remove();
  const item = document.createElement('li');
  item.dataset.file = file.id;
  const name = document.createElement(videoId ? 'a' : 'span');
  name.textContent = file.meta.title || file.name;
  if (videoId) {
    name.href = `/videos/${encodeURIComponent(videoId)}`;
    item.dataset.videoId = videoId;
    item.dataset.state = 'uploaded';
  }
  const badge = document.createElement('span');
  badge.className = 'state uploaded';
  badge.textContent = 'uploaded';
  const live = document.createElement('div');
  live.className = 'live';
  const bar = document.createElement('progress');
  bar.max = 100;
  bar.value = 0;
  const pct = document.createElement('span');
  pct.className = 'pct';
  pct.textContent = '0%';
  live.append(bar, pct);
  const note = document.createElement('span');
  note.className = 'state-message';
  note.hidden = true;
  item.append(name, badge, live, note);
  list.prepend(item);
}

uppy.on('upload-success', (file, response) => addUploaded(file, videoIdOf(response)));
uppy.on('upload-error', (file, error) => {
  uppy.info(`${file?.name || 'A file'} could not be uploaded: ${error?.message || error}`, 'error', 8000);
});

window.reelbaseUppy = uppy; // for people debugging in the console (and the browser tests)
