// Encrypted attachments in the browser, as plugins/e2ee/client/attachments.py makes them (Matrix's "v2"
// encrypted file): each file, and its thumbnail, gets a fresh AES-256-CTR key and IV from WebCrypto; only the
// ciphertext is uploaded, and the message carries {url, key (a JWK), iv, hashes.sha256} inside its own Olm or
// Megolm ciphertext. A recipient downloads the ciphertext (from its own node, which relays blobs of other
// nodes without keeping them), checks the SHA-256, decrypts, and shows the file as a blob: URL.
import { b64decode, b64encode } from "./keys.js";

export const THUMBNAIL_EDGE = 320; // px: the longer side of an image's thumbnail
const AUTOLOAD_BYTES = 25 * 1024 * 1024; // video and audio below this play inline at once; larger ones on a tap

export class AttachmentRefused extends Error {}

const shown = new Map(); // file url -> Promise of a blob: URL (each blob is fetched and decrypted once a page)
const views = new Map(); // message id -> its element (kept across re-renders so nothing loads twice)

function b64url(bytes) { return b64encode(bytes).replace(/\+/g, "-").replace(/\//g, "_"); }
function unb64url(text) { return b64decode(String(text).replace(/-/g, "+").replace(/_/g, "/")); }
async function sha256(bytes) { return b64encode(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))); }

export async function encrypt(plaintext) {
  const key = await crypto.subtle.generateKey({ name: "AES-CTR", length: 256 }, true, ["encrypt", "decrypt"]);
  const iv = new Uint8Array(16);
  crypto.getRandomValues(iv.subarray(0, 8)); // the low 64 bits are the block counter (`length: 64`)
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CTR", counter: iv, length: 64 }, key, plaintext));
  const jwk = await crypto.subtle.exportKey("jwk", key);
  return { ciphertext, file: { v: "v2", iv: b64encode(iv), hashes: { sha256: await sha256(ciphertext) },
                               key: { kty: "oct", alg: "A256CTR", ext: true, key_ops: ["encrypt", "decrypt"], k: jwk.k } } };
}

export async function decrypt(ciphertext, file) {
  let key, iv;
  try {
    if (file.v !== "v2" || file.key.alg !== "A256CTR") throw new Error("not an A256CTR v2 file");
    iv = b64decode(file.iv);
    const raw = unb64url(file.key.k);
    if (raw.length !== 32 || iv.length !== 16) throw new Error("wrong key or IV length");
    key = await crypto.subtle.importKey("raw", raw, "AES-CTR", false, ["decrypt"]);
  } catch (error) {
    throw new AttachmentRefused(`a malformed encrypted file: ${error.message}`);
  }
  if (await sha256(ciphertext) !== String(file.hashes && file.hashes.sha256).replace(/=+$/, "")) {
    throw new AttachmentRefused("the file was changed on the way or on a server (its hash does not match), so it was not opened");
  }
  return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CTR", counter: iv, length: 64 }, key, ciphertext));
}

async function errorOf(response) {
  try { return (await response.json()).error || response.statusText; } catch { return response.statusText; }
}

// XMLHttpRequest rather than fetch: it is what reports upload progress (a 100 MB video takes a while).
function upload(csrf, ciphertext, sha, target, expiresIn, onSent = () => {}) {
  const query = new URLSearchParams({ sha256: sha });
  if (target.groupId) query.set("group_id", target.groupId); else query.set("account_id", target.accountId);
  if (expiresIn) query.set("expires_in", String(expiresIn));
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/api/v1/crypto/attachments?${query}`);
    request.withCredentials = true;
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.setRequestHeader("X-CSRF-Token", csrf);
    request.setRequestHeader("Accept", "application/json");
    request.responseType = "json";
    request.upload.onprogress = (event) => { if (event.lengthComputable) onSent(event.loaded / event.total); };
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) resolve(request.response);
      else reject(new Error((request.response && request.response.error) || request.statusText || `HTTP ${request.status}`));
    };
    request.onerror = () => reject(new Error("the upload did not reach the server"));
    request.send(ciphertext);
  });
}

// The ciphertext of a blob: this node's own, or relayed by this node from the node that stores it.
export async function fetchCiphertext(url) {
  const prefix = `${location.origin}/e2ee/blobs/`;
  const path = url.startsWith(prefix) ? `/api/v1/crypto/attachments/${encodeURIComponent(url.slice(prefix.length))}`
    : `/api/v1/crypto/attachments/remote?${new URLSearchParams({ url })}`;
  const response = await fetch(path, { credentials: "same-origin" });
  if (!response.ok) throw new Error(await errorOf(response));
  return new Uint8Array(await response.arrayBuffer());
}

function open(file, mimetype) {
  if (!shown.has(file.url)) {
    const loading = fetchCiphertext(file.url).then((c) => decrypt(c, file))
      .then((plain) => URL.createObjectURL(new Blob([plain], { type: safeType(mimetype) })));
    loading.catch(() => shown.delete(file.url)); // a failed load may be tried again
    shown.set(file.url, loading);
  }
  return shown.get(file.url);
}

// Inline types only for what <img>, <video> and <audio> render; anything else is an opaque download.
function safeType(mimetype) {
  const base = String(mimetype).split(";")[0].trim().toLowerCase(); // "audio/webm;codecs=opus" is audio/webm
  return /^(image\/(png|jpeg|gif|webp|avif)|video\/(mp4|webm|ogg)|audio\/(mpeg|mp4|ogg|webm|wav|x-wav|aac|flac))$/.test(base)
    ? String(mimetype) : "application/octet-stream";
}

export function mediaOf(mimetype) {
  const major = String(mimetype).split("/")[0];
  return safeType(mimetype) !== "application/octet-stream" && ["image", "video", "audio"].includes(major) ? major : "file";
}

export function humanSize(bytes) {
  const units = ["bytes", "KB", "MB", "GB"];
  let n = Number(bytes) || 0, i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return i ? `${n.toFixed(1)} ${units[i]}` : `${n} bytes`;
}

function drawThumbnail(source, width, height) {
  const scale = Math.min(1, THUMBNAIL_EDGE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve({
    w: width, h: height, thumb: blob, tw: canvas.width, th: canvas.height }) : reject(new TypeError("no thumbnail"))),
  "image/jpeg", 0.8));
}

// An image's size and a small JPEG of it, drawn on a canvas here (the node never sees either).
async function imageThumbnail(file) {
  const bitmap = await createImageBitmap(file);
  try { return await drawThumbnail(bitmap, bitmap.width, bitmap.height); } finally { bitmap.close(); }
}

// A video's size, length and a small JPEG of a frame a little way in (the first is often black).
function videoThumbnail(file) {
  const url = URL.createObjectURL(file);
  const video = document.createElement("video");
  video.muted = true;
  video.preload = "auto";
  return new Promise((resolve, reject) => {
    const fail = () => reject(new TypeError("this browser cannot decode the video"));
    const timer = setTimeout(fail, 10000);
    video.onerror = fail;
    video.onloadedmetadata = () => { video.currentTime = Math.min(1, (video.duration || 0) / 3); };
    video.onseeked = () => {
      drawThumbnail(video, video.videoWidth, video.videoHeight)
        .then((t) => resolve({ ...t, duration: Number.isFinite(video.duration) ? video.duration : undefined }), fail);
    };
    video.src = url;
  }).finally(() => { URL.revokeObjectURL(url); video.removeAttribute("src"); });
}

// Encrypt and upload `file` (and an image's thumbnail) for a conversation; returns the message content that
// carries the keys. `target` is {accountId} or {groupId}; `expiresIn` the conversation's disappearing time.
// Encrypt and upload `file` (and a thumbnail of an image or a video) for a conversation; returns the message
// content that carries the keys. `target` is {accountId} or {groupId}; `expiresIn` the conversation's
// disappearing time; `onProgress(step, fraction)` hears each step and how much of the upload has gone.
export async function prepare(csrf, file, target, expiresIn, onProgress = () => {}) {
  const mimetype = file.type || "application/octet-stream";
  const content = { name: file.name || "file", mimetype, size: file.size, media: mediaOf(mimetype) };
  if (content.media === "image" || content.media === "video") {
    try {
      const t = content.media === "image" ? await imageThumbnail(file) : await videoThumbnail(file);
      onProgress("thumbnail");
      const sealed = await encrypt(new Uint8Array(await t.thumb.arrayBuffer()));
      const stored = await upload(csrf, sealed.ciphertext, sealed.file.hashes.sha256, target, expiresIn);
      Object.assign(content, { w: t.w, h: t.h, thumbnail: { file: { ...sealed.file, url: stored.url }, mimetype: "image/jpeg",
                                                              size: t.thumb.size, w: t.tw, h: t.th } });
      if (t.duration) content.duration = Math.round(t.duration * 1000); // ms, as Matrix's info.duration
    } catch (error) {
      if (!(error instanceof DOMException || error instanceof TypeError)) throw error;
      if (content.media === "image") content.media = "file"; // not decodable here; a video still plays elsewhere
    }
  }
  onProgress("encrypting");
  const sealed = await encrypt(new Uint8Array(await file.arrayBuffer()));
  onProgress("uploading", 0);
  let stored;
  try {
    stored = await upload(csrf, sealed.ciphertext, sealed.file.hashes.sha256, target, expiresIn,
                          (fraction) => onProgress("uploading", fraction));
  } catch (error) {
    if (content.thumbnail) await remove(csrf, { file: content.thumbnail.file }); // no orphan left in the quota
    throw error;
  }
  content.file = { ...sealed.file, url: stored.url };
  // what we sent shows from the file itself, not from a download of what we just uploaded
  shown.set(content.file.url, Promise.resolve(URL.createObjectURL(new Blob([file], { type: safeType(mimetype) }))));
  return content;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.includes("-") || k === "type" || k === "class") node.setAttribute(k, v);
    else node[k] = v;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function failed(box, error) {
  box.replaceChildren(el("span", { class: "attachment-error", "data-attachment-error": "" }, gettext("Could not open {name}: {error}", { name: box.dataset.name, error: error.message })));
}

function saveAs(url, name) {
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

// The element that shows an attachment message: an image (thumbnail first, then the full picture), a player
// for video and audio, or a chip that downloads, checks and decrypts the file when tapped.
export function view(messageId, a) {
  if (views.has(messageId)) return views.get(messageId);
  const name = String(a.name || "file");
  const box = el("div", { class: `attachment ${a.media || "file"}`, "data-attachment": a.media || "file" });
  box.dataset.name = name;
  views.set(messageId, box);
  const file = a.file && typeof a.file.url === "string" ? a.file : null;
  if (!file) { failed(box, new Error("the message carries no file")); return box; }
  const chip = () => el("button", { type: "button", class: "attachment-chip", "data-attachment-chip": "",
                                    onclick: async () => {
                                      chipButton.disabled = true;
                                      try { saveAs(await open(file, a.mimetype), name); chipButton.disabled = false; } catch (error) { failed(box, error); }
                                    } },
                         el("span", { class: "attachment-icon", "aria-hidden": "true" }, "📄"),
                         el("span", { class: "attachment-name" }, name),
                         el("span", { class: "attachment-size" }, humanSize(a.size)));
  const chipButton = chip();
  if (a.media === "image") {
    const img = el("img", { alt: name, "data-attachment-image": "" });
    if (a.thumbnail && a.thumbnail.w) { img.width = a.thumbnail.w; img.height = a.thumbnail.h; }
    box.append(img);
    const thumb = a.thumbnail && a.thumbnail.file && typeof a.thumbnail.file.url === "string" ? a.thumbnail.file : null;
    (thumb ? open(thumb, "image/jpeg").then((url) => { if (!img.dataset.full) { img.src = url; img.dataset.thumbnail = "shown"; } }) : Promise.resolve())
      .catch(() => {}) // the full image may still arrive
      .then(() => open(file, a.mimetype))
      .then((url) => { img.src = url; img.dataset.full = "shown"; img.removeAttribute("width"); img.removeAttribute("height"); })
      .catch((error) => failed(box, error));
  } else if (a.media === "video" || a.media === "audio") {
    // a video's thumbnail is its poster, shown before the video itself is fetched and decrypted
    const thumb = a.media === "video" && a.thumbnail && a.thumbnail.file && typeof a.thumbnail.file.url === "string"
      ? a.thumbnail.file : null;
    const poster = thumb ? open(thumb, "image/jpeg").catch(() => "") : Promise.resolve("");
    const play = () => {
      box.replaceChildren(el("span", { class: "muted small" }, gettext("Decrypting…")));
      Promise.all([open(file, a.mimetype), poster]).then(([url, posterUrl]) => {
        const player = el(a.media, { controls: true, src: url, preload: "metadata", "data-attachment-player": "" });
        if (posterUrl) { player.poster = posterUrl; player.dataset.poster = "shown"; }
        player.setAttribute("aria-label", name);
        box.replaceChildren(player, el("span", { class: "attachment-size muted small" }, `${name} · ${humanSize(a.size)}`));
      }).catch((error) => failed(box, error));
    };
    if (Number(a.size) <= AUTOLOAD_BYTES) play();
    else {
      const button = el("button", { type: "button", class: "attachment-chip", onclick: play }, `▶ ${name} · ${humanSize(a.size)}`);
      box.append(button);
      poster.then((url) => {
        if (!url || !button.isConnected) return;
        const img = el("img", { src: url, alt: "", "data-attachment-poster": "" });
        if (a.thumbnail.w) { img.width = a.thumbnail.w; img.height = a.thumbnail.h; }
        button.prepend(img);
      });
    }
  } else {
    box.append(chipButton);
  }
  return box;
}

// A message that disappeared or was deleted: its decrypted bytes leave this page's memory too.
export function forget(messageId, a) {
  for (const f of [a.file, a.thumbnail && a.thumbnail.file]) {
    if (!f || !shown.has(f.url)) continue;
    shown.get(f.url).then((url) => URL.revokeObjectURL(url)).catch(() => {});
    shown.delete(f.url);
  }
  const box = views.get(messageId);
  if (box) box.replaceChildren();
  views.delete(messageId);
}

// "Delete for everyone" of our own attachment: its blobs go from our node now, not at their expiry.
export async function remove(csrf, a) {
  const prefix = `${location.origin}/e2ee/blobs/`;
  for (const f of [a.file, a.thumbnail && a.thumbnail.file]) {
    if (!f || typeof f.url !== "string" || !f.url.startsWith(prefix)) continue;
    await fetch(`/api/v1/crypto/attachments/${encodeURIComponent(f.url.slice(prefix.length))}`, {
      method: "DELETE", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } }).catch(() => {});
  }
}

// Voice notes: the microphone through MediaRecorder while `button` is pressed; a second press stops, and the
// recording is handed to `send` as an audio file (sent like any other attachment). Hidden where the browser
// cannot record.
export function voiceNotes(button, send, onError) {
  if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  button.hidden = false;
  let recorder = null;
  button.addEventListener("click", async () => {
    if (recorder) { recorder.stop(); return; }
    let stream;
    try { stream = await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (error) { onError(error); return; }
    const chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (event) => { if (event.data.size) chunks.push(event.data); };
    recorder.onstop = () => {
      stream.getTracks().forEach((track) => track.stop());
      const type = (recorder.mimeType || "audio/webm").split(";")[0];
      recorder = null;
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-label", gettext("Record a voice note"));
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
      if (chunks.length) send(new File(chunks, `voice-note-${stamp}.${type.split("/")[1] || "webm"}`, { type }));
    };
    recorder.start();
    button.setAttribute("aria-pressed", "true");
    button.setAttribute("aria-label", gettext("Stop and send the voice note"));
  });
}

// The list preview line of an attachment message.
export function previewOf(a) {
  const icon = { image: "📷", video: "🎬", audio: "🎤" }[a.media] || "📄";
  return `${icon} ${a.name || "file"}`;
}
