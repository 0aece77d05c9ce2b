// The Messages page: inbox, conversation view and trust UI over the browser's E2EE device (e2ee.js).
// Every name, preview and message shown here was decrypted in this browser; the DOM is built with
// textContent only, so nothing a sender writes can become markup.
import { ApiError, Device, KeyChanged, NodeApi, Refused, dmConversation, dmParticipants } from "./e2ee.js";
import { safetyNumber } from "./safety.js";
import * as attachments from "./attachments.js";
import { Calls } from "./calls.js";
import { isOnline, loadPresence, presenceLabel, updatePresence } from "./presence.js";

const MAX_TEXT = 10000;
const MAX_GROUP = 1500; // plugins/e2ee/groups.py MAX_MEMBERS
const RANK = { sent: 0, delivered: 1, read: 2 };
const root = document.querySelector("[data-messenger]");
const $ = (selector, scope = root) => scope.querySelector(selector);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const api = new NodeApi(csrf);
const device = new Device(api);
const accts = {}; // account id -> acct, for names
let current = null; // the open conversation's id
let replyTo = null;
let typingTimer = null;
let lastTypingSent = 0;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-") || k === "title" || k === "type" || k === "aria-label") node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function status(text) { $("[data-status]").textContent = text; }
function conversations() { return (device.app.conversations = device.app.conversations || {}); }
const save = () => device.save();

async function acctOf(accountId) {
  accountId = String(accountId);
  if (!accts[accountId]) {
    try { accts[accountId] = fullAcct((await api.account(accountId)).acct); } catch { accts[accountId] = `account ${accountId}`; }
  }
  return accts[accountId];
}

function fullAcct(acct) { return acct.includes("@") ? acct : `${acct}@${location.host}`; }

// ---- conversations --------------------------------------------------------------------------------------

function conversationFor(id, fields) {
  const all = conversations();
  if (!all[id]) all[id] = { id, messages: [], unread: 0, updatedAt: Date.now(), timer: 0, ...fields };
  return all[id];
}

async function dmWith(accountId) {
  accountId = String(accountId);
  if (!device.accountUris[accountId]) await device.devicesOf([accountId]);
  const uri = device.accountUris[accountId];
  return conversationFor(dmConversation(device.myUri, uri), { kind: "dm", peerId: accountId, peerUri: uri,
                                                              title: await acctOf(accountId) });
}

function groupConversation(group) {
  const c = conversationFor(group.uri, { kind: "group", groupId: group.id, title: group.name || gettext("Group") });
  c.groupId = group.id;
  c.title = group.name || c.title;
  c.members = group.members;
  c.ownerId = group.owner_id;
  return c;
}

async function refreshGroups() {
  const groups = await api.groups();
  const present = new Set(groups.map((g) => g.uri));
  for (const g of groups) groupConversation(g);
  for (const c of Object.values(conversations())) {
    if (c.kind === "group" && !present.has(c.id)) c.left = true;
  }
}

function addSystem(c, text) {
  c.messages.push({ id: `sys-${crypto.randomUUID()}`, system: true, text, sentAt: Date.now() / 1000 });
  c.updatedAt = Date.now();
}

async function conversationOf(message) {
  if (message.groupUri) {
    const known = conversations()[message.groupUri];
    if (known) return known;
    await refreshGroups();
    return conversations()[message.groupUri] || null;
  }
  const others = [...dmParticipants(message.conversationId)].filter((u) => u !== device.myUri);
  const peerUri = others[0] || device.myUri;
  const peerId = message.mine
    ? Object.keys(device.accountUris).find((id) => device.accountUris[id] === peerUri)
    : message.senderAccountId;
  if (!peerId) return null;
  return dmWith(peerId);
}

// Apply one decrypted message to its conversation; returns the receipts it calls for.
async function apply(message) {
  const c = await conversationOf(message);
  if (!c) return;
  const find = (id) => c.messages.find((m) => m.id === id && !m.system);
  const content = message.content;
  if (!message.mine) await acctOf(message.senderAccountId);
  if (message.type === "text" || message.type === "attachment") {
    if (find(message.id)) return;
    const expiresAt = message.expiresAt || (message.mine && c.timer ? Date.now() + c.timer * 1000 : null);
    c.messages.push({ id: message.id, text: String(content.text ?? ""), sender: message.sender,
                      senderAccountId: message.senderAccountId, mine: message.mine, sentAt: message.sentAt,
                      replyTo: content.reply_to || null, status: "sent", expiresAt,
                      attachment: message.type === "attachment" ? content : null });
    c.updatedAt = Date.now();
    if (!message.mine && current !== c.id) c.unread += 1;
    if (!message.mine && c.kind === "dm") {
      const read = current === c.id && document.visibilityState === "visible";
      receipt(c, [message.id], read ? "read" : "delivered");
    }
  } else if (message.type === "edit" || message.type === "delete") {
    const target = find(String(content.target));
    if (!target || target.sender !== message.sender) return; // only its author may change a message
    if (message.type === "edit") { target.text = String(content.text ?? ""); target.edited = true; }
    else {
      if (target.attachment && message.mine) attachments.remove(csrf, target.attachment); // its keys go too
      if (target.attachment) attachments.forget(target.id, target.attachment);
      target.text = ""; target.deleted = true; target.replyTo = null; target.attachment = null;
    }
  } else if (message.type === "receipt") {
    for (const id of content.ids || []) {
      const target = find(String(id));
      if (target && target.mine && RANK[content.status] > RANK[target.status]) target.status = content.status;
    }
  } else if (message.type.startsWith("call.")) {
    if (c.kind === "dm") await calls.handle(message, c);
  } else if (message.type === "timer") {
    c.timer = Number(content.seconds) || 0;
    const who = message.mine ? gettext("You") : await acctOf(message.senderAccountId);
    addSystem(c, c.timer ? gettext("{who} turned on disappearing messages ({timer})", { who, timer: timerLabel(c.timer) }) : gettext("{who} turned off disappearing messages", { who }));
  }
}

function timerLabel(seconds) {
  const option = [...$("[data-timer]").options].find((o) => Number(o.value) === seconds);
  return option ? option.textContent.toLowerCase() : ngettext("{num} second", "{num} seconds", seconds);
}

function receipt(c, ids, kind) {
  device.send(c.peerId, "receipt", { ids, status: kind }).catch(() => {}); // best effort: never blocks reading
}

async function notices() {
  const pending = device.notices.splice(0);
  for (const n of pending) {
    const c = await dmWith(n.accountId);
    const who = c.title;
    if (n.kind === "new") addSystem(c, gettext("{who} added a new device", { who }));
    else if (n.kind === "changed") addSystem(c, gettext("The keys of {who}'s device {device} changed. Messages to {who} are held until you check and accept them.", { who, device: n.deviceId }));
    else if (n.kind === "badkey") addSystem(c, gettext("A key the server handed out for {who}'s device {device} failed its signature check; that device was skipped.", { who, device: n.deviceId }));
  }
}

async function pull() {
  const messages = await device.receive();
  for (const m of messages) await apply(m);
  await notices();
  await device.replenish().catch(() => {});
  await save();
  render();
}

// ---- rendering ------------------------------------------------------------------------------------------

function preview(c) {
  const last = [...c.messages].reverse().find((m) => !m.system) || c.messages[c.messages.length - 1];
  if (!last) return c.kind === "group" ? gettext("Group created") : gettext("No messages yet");
  if (last.deleted) return gettext("Message deleted");
  return (last.mine ? gettext("You: ") : "") + (last.text || (last.attachment ? attachments.previewOf(last.attachment) : ""));
}

function renderList() {
  const list = $("[data-conversations]");
  list.replaceChildren();
  const sorted = Object.values(conversations()).filter((c) => !c.left).sort((a, b) => b.updatedAt - a.updatedAt);
  for (const c of sorted) {
    const item = el("li", { class: "conversation-item" + (c.id === current ? " here" : "") + (c.unread ? " unread" : ""),
                            "data-conversation-id": c.id },
      el("button", { type: "button", class: "open", onclick: () => openConversation(c.id) },
        el("span", { class: "avatar" + (c.peerId && isOnline(c.peerId) ? " online" : "") }, (c.title || "?").slice(0, 1).toUpperCase()),
        el("span", { class: "names" }, el("strong", {}, c.title || ""), el("span", { class: "preview" }, preview(c)),
          c.peerId && presenceLabel(c.peerId) ? el("span", { class: "presence muted small", "data-presence": "" }, presenceLabel(c.peerId)) : null),
        c.unread ? el("span", { class: "unread-count", "aria-label": `${c.unread} unread` }, String(c.unread)) : null));
    list.append(item);
  }
  if (!sorted.length) list.append(el("li", { class: "empty muted" }, gettext("No conversations yet. Start one with New chat.")));
}

function dayLabel(seconds) {
  const day = new Date(seconds * 1000);
  const today = new Date();
  const yesterday = new Date(Date.now() - 86400000);
  if (day.toDateString() === today.toDateString()) return gettext("Today");
  if (day.toDateString() === yesterday.toDateString()) return gettext("Yesterday");
  return day.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric" });
}

function renderConversation() {
  const pane = $("[data-conversation]");
  const c = current && conversations()[current];
  pane.hidden = !c;
  root.dataset.view = c ? "conversation" : "inbox";
  if (!c) return;
  $("[data-title]").textContent = c.title;
  $("[data-subtitle]").textContent = c.kind === "group" ? `${(c.members || []).length} members`
    : [presenceLabel(c.peerId), gettext("End-to-end encrypted")].filter(Boolean).join(" · ");
  $("[data-timer]").value = String(c.timer || 0);
  const bubbles = $("[data-bubbles]");
  bubbles.replaceChildren();
  let lastDay = "";
  for (const m of c.messages) {
    const day = dayLabel(m.sentAt);
    if (day !== lastDay) { bubbles.append(el("li", { class: "day" }, day)); lastDay = day; }
    if (m.system) { bubbles.append(el("li", { class: "system" }, m.text)); continue; }
    const bubble = el("li", { class: "bubble " + (m.mine ? "mine" : "theirs") + (m.deleted ? " deleted" : ""),
                              "data-message-id": m.id });
    if (c.kind === "group" && !m.mine) bubble.append(el("span", { class: "from" }, accts[m.senderAccountId] || ""));
    if (m.replyTo && !m.deleted) bubble.append(el("blockquote", { class: "reply-to" }, String(m.replyTo.text || "").slice(0, 140)));
    if (m.attachment && !m.deleted) bubble.append(attachments.view(m.id, m.attachment));
    if (!m.attachment || m.deleted || m.text) bubble.append(el("p", { class: "text" }, m.deleted ? gettext("This message was deleted") : m.text));
    const time = new Date(m.sentAt * 1000).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    const meta = el("span", { class: "meta" }, time, m.edited && !m.deleted ? " · edited" : "",
                    m.expiresAt ? " · ⏱" : "", m.mine && c.kind === "dm" ? el("span", { class: "receipt", "data-receipt": m.status }, ` · ${m.status}`) : null);
    bubble.append(meta);
    if (!m.deleted) {
      const actions = el("span", { class: "actions" },
        el("button", { type: "button", class: "link", onclick: () => startReply(m) }, gettext("Reply")));
      if (m.mine) {
        actions.append(el("button", { type: "button", class: "link", onclick: () => edit(c, m) }, gettext("Edit")),
                       el("button", { type: "button", class: "link", onclick: () => remove(c, m) }, gettext("Delete for everyone")));
      }
      bubble.append(actions);
    }
    bubbles.append(bubble);
  }
  bubbles.scrollTop = bubbles.scrollHeight;
  renderKeyAlert(c);
}

function renderKeyAlert(c) {
  const changed = c.kind === "dm" ? device.changedDevices(c.peerId) : [];
  $("[data-key-alert]").hidden = !changed.length;
  if (changed.length) {
    $("[data-key-alert-text]").textContent = gettext("{name}'s device {device} has new keys. This happens when they reinstall, or when a server tries to read along. Compare safety numbers before you accept; until then nothing is sent.",
      { name: c.title, device: changed[0].deviceId });
  }
}

function render() {
  renderList();
  renderConversation();
  calls.render(current && conversations()[current]);
}

async function renderDetails() {
  const c = conversations()[current];
  if (!c || $("[data-details]").hidden) return;
  const ids = c.kind === "group" ? (c.members || []).map((m) => m.account_id) : [c.peerId];
  const found = await device.serial(() => device.devicesOf(ids));
  await notices();
  const list = $("[data-devices]");
  list.replaceChildren();
  for (const [accountId, devices] of Object.entries(found)) {
    for (const d of devices) {
      if (accountId === device.myId && d.deviceId === device.deviceId) continue;
      const number = await safetyNumber(device.myUri, device.fingerprintKey, d.accountUri, d.fingerprintKey);
      const id = device.key(accountId, d.deviceId);
      const verified = device.verified[id] === d.fingerprintKey;
      list.append(el("li", { class: "device", "data-device-id": d.deviceId },
        el("strong", {}, `${await acctOf(accountId)} · ${d.name || d.deviceId}`),
        el("span", { class: "safety-digits", "data-safety-digits": "" }, number.digits),
        el("span", { class: "safety-emoji", "data-safety-emoji": "" }, number.emoji),
        verified ? el("span", { class: "verified" }, gettext("Verified ✓"))
          : el("button", { type: "button", class: "btn small secondary", "data-verify": "",
                           onclick: async () => { device.verified[id] = d.fingerprintKey; await save(); renderDetails(); } },
               gettext("Mark as verified"))));
    }
  }
  // keys waiting for acceptance: their safety number, to compare before accepting
  for (const accountId of ids) {
    for (const changed of device.changedDevices(accountId)) {
      const number = await safetyNumber(device.myUri, device.fingerprintKey, device.accountUris[accountId], changed.fingerprint);
      list.append(el("li", { class: "device changed", "data-device-id": changed.deviceId },
        el("strong", {}, gettext("{acct} · {device} · new keys, not accepted yet", { acct: await acctOf(accountId), device: changed.deviceId })),
        el("span", { class: "safety-digits", "data-safety-digits": "" }, number.digits),
        el("span", { class: "safety-emoji", "data-safety-emoji": "" }, number.emoji)));
    }
  }
  $("[data-group-tools]").hidden = c.kind !== "group";
  if (c.kind === "group") {
    const members = $("[data-members]");
    members.replaceChildren();
    for (const m of c.members || []) {
      const item = el("li", {}, m.acct || await acctOf(m.account_id));
      if (String(c.ownerId) === device.myId && m.account_id !== device.myId) {
        item.append(el("button", { type: "button", class: "link", "data-remove-member": m.account_id,
                                   onclick: () => groupAction(() => api.removeMember(c.groupId, m.account_id)) }, gettext("Remove")));
      }
      members.append(item);
    }
    $("[data-leave]").hidden = String(c.ownerId) === device.myId;
  }
}

// ---- actions --------------------------------------------------------------------------------------------

const calls = new Calls({ root, device, el, refresh: () => save().then(render), failed: (error) => showError(new Error(gettext("Call failed: {error}", { error: error.message || error }))) });

function showError(error) {
  const box = $("[data-send-error]");
  box.hidden = !error;
  box.textContent = error ? (error.message || String(error)) : "";
}

async function sendTo(c, kind, content) {
  if (c.kind === "group") return device.sendGroup(c.groupId, kind, content);
  return device.send(c.peerId, kind, content);
}

async function deliver(c, kind, content) {
  showError(null);
  try {
    const sent = await sendTo(c, kind, content);
    await apply(sent);
    return true;
  } catch (error) {
    if (error instanceof KeyChanged) { await notices(); showError(new Error(gettext("Not sent: {error}. Check the safety number and accept the new keys first.", { error: error.message }))); }
    else if (error instanceof Refused || error instanceof ApiError) showError(new Error(gettext("Not sent: {error}", { error: error.message })));
    else throw error;
    return false;
  } finally {
    await notices();
    await save();
    render();
  }
}

// A file from the picker: encrypted and uploaded here (thumbnail first for images), then its keys go out in
// an ordinary message to the conversation.
async function sendFile(c, file) {
  showError(null);
  const target = c.kind === "group" ? { groupId: c.groupId } : { accountId: c.peerId };
  let content;
  const box = $("[data-uploading]"), bar = $("[data-upload-progress]");
  $("[data-uploading-name]").textContent = `${file.name}:`;
  bar.removeAttribute("value"); // indeterminate while the thumbnail is made and the file encrypted
  box.hidden = false;
  try {
    const steps = { thumbnail: gettext("making a thumbnail"), encrypting: gettext("encrypting"), uploading: gettext("uploading") };
    content = await attachments.prepare(csrf, file, target, device.timers[c.id] || 0, (step, sent) => {
      $("[data-uploading-name]").textContent = `${file.name}: ${steps[step] || step}`;
      if (sent !== undefined) bar.value = sent;
    });
  } catch (error) {
    showError(new Error(gettext("Not sent: {name}: {error}", { name: file.name, error: error.message })));
    return false;
  } finally {
    box.hidden = true;
  }
  return deliver(c, "attachment", content);
}

function startReply(m) {
  replyTo = { id: m.id, text: (m.text || (m.attachment ? attachments.previewOf(m.attachment) : "")).slice(0, 140) };
  $("[data-replying]").hidden = false;
  $("[data-replying-text]").textContent = gettext("Replying to: {text}", { text: replyTo.text });
  $("[data-composer] textarea").focus();
}

function cancelReply() { replyTo = null; $("[data-replying]").hidden = true; }

async function edit(c, m) {
  const text = prompt(gettext("Edit message"), m.text);
  if (text === null || !text.trim() || text === m.text) return;
  if (text.length > MAX_TEXT) { showError(new Error(gettext("Messages can be at most {count} characters", { count: MAX_TEXT }))); return; }
  await deliver(c, "edit", { target: m.id, text });
}

async function remove(c, m) {
  if (!confirm(gettext("Delete this message for everyone?"))) return;
  await deliver(c, "delete", { target: m.id });
}

async function openConversation(id) {
  current = id;
  if (location.hash !== `#/c/${encodeURIComponent(id)}`) history.replaceState(null, "", `#/c/${encodeURIComponent(id)}`);
  const c = conversations()[id];
  cancelReply();
  showError(null);
  if (c) {
    const unreadIds = c.messages.filter((m) => !m.mine && !m.system && !m.readSent).map((m) => m.id);
    c.unread = 0;
    for (const m of c.messages) if (!m.mine) m.readSent = true;
    if (c.kind === "dm" && unreadIds.length) receipt(c, unreadIds, "read");
    await save();
  }
  render();
  renderDetails();
  if (c && c.peerId) loadPresence(api, [c.peerId]).then(render).catch(() => {});
}

async function groupAction(action) {
  showError(null);
  try {
    const result = await action();
    if (result && result.id) groupConversation(result);
    await refreshGroups();
  } catch (error) {
    showError(error);
  }
  await save();
  render();
  renderDetails();
}

async function handles(text) {
  const ids = [];
  for (const handle of text.split(/[\s,]+/).filter(Boolean)) {
    const account = await api.lookup(handle);
    accts[String(account.id)] = fullAcct(account.acct);
    ids.push(String(account.id));
  }
  return ids;
}

function bind() {
  $("[data-new-chat]").addEventListener("click", () => { $("[data-start-chat]").hidden = !$("[data-start-chat]").hidden; $("#chat-with").focus(); });
  $("[data-new-group]").addEventListener("click", () => { $("[data-start-group]").hidden = !$("[data-start-group]").hidden; });
  let suggestTimer = null;
  $("#chat-with").addEventListener("input", (event) => {
    clearTimeout(suggestTimer);
    const text = event.target.value.trim();
    if (text.replace(/^@/, "").length < 2) return;
    suggestTimer = setTimeout(async () => {
      const found = await api.suggest(text).catch(() => []);
      $("#chat-suggestions").replaceChildren(...found.map((a) => el("option", { value: "@" + fullAcct(a.acct) })));
    }, 250);
  });
  $("[data-start-chat]").addEventListener("submit", async (event) => {
    event.preventDefault();
    const handle = event.target.handle.value.trim();
    status(gettext("Looking up {handle}…", { handle }));
    try {
      const account = await api.lookup(handle);
      accts[String(account.id)] = fullAcct(account.acct);
      const c = await dmWith(account.id);
      await notices();
      event.target.reset();
      event.target.hidden = true;
      status("");
      await openConversation(c.id);
    } catch (error) {
      status(error.message);
    }
  });
  $("[data-start-group]").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    status(gettext("Creating the group…"));
    try {
      // the plugin's cap, checked before looking anyone up (the node refuses it too, with a 422)
      if (form.members.value.split(/[\s,]+/).filter(Boolean).length + 1 > MAX_GROUP) throw new Error(gettext("a group has at most {count} members", { count: MAX_GROUP }));
      const group = await api.createGroup(form.name.value.trim(), await handles(form.members.value));
      const c = groupConversation(group);
      form.reset();
      form.hidden = true;
      status("");
      await save();
      await openConversation(c.id);
    } catch (error) {
      status(gettext("The group was not created: {error}", { error: error.message }));
    }
  });
  $("[data-composer]").addEventListener("submit", async (event) => {
    event.preventDefault();
    const c = conversations()[current];
    const box = event.target.text;
    const text = box.value;
    if (!c || !text.trim()) return;
    if (text.length > MAX_TEXT) { showError(new Error(gettext("Messages can be at most {count} characters", { count: MAX_TEXT }))); return; }
    const content = { text };
    if (replyTo) content.reply_to = replyTo;
    box.disabled = true;
    const sent = await deliver(c, "text", content);
    box.disabled = false;
    if (sent) { box.value = ""; cancelReply(); }
    box.focus();
  });
  $("[data-composer] textarea").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("[data-composer]").requestSubmit(); }
  });
  $("[data-composer] textarea").addEventListener("input", () => {
    const c = conversations()[current];
    if (!c || c.kind !== "dm" || Date.now() - lastTypingSent < 3000) return;
    lastTypingSent = Date.now();
    api.typing(c.peerId, c.id, true).catch(() => {});
  });
  $("[data-attach]").addEventListener("click", () => $("[data-attach-input]").click());
  $("[data-attach-input]").addEventListener("change", async (event) => {
    const c = conversations()[current];
    const files = [...event.target.files];
    event.target.value = "";
    for (const file of files) if (c) await sendFile(c, file);
  });
  attachments.voiceNotes($("[data-record]"), (file) => { const c = conversations()[current]; if (c) sendFile(c, file); }, showError);
  $("[data-cancel-reply]").addEventListener("click", cancelReply);
  $("[data-back]").addEventListener("click", () => { current = null; history.replaceState(null, "", "#"); render(); });
  $("[data-details-toggle]").addEventListener("click", () => { $("[data-details]").hidden = !$("[data-details]").hidden; renderDetails(); });
  $("[data-accept-keys]").addEventListener("click", async () => {
    const c = conversations()[current];
    await device.acceptChanged(c.peerId);
    addSystem(c, gettext("You accepted the new keys"));
    showError(null);
    await save();
    render();
    renderDetails();
  });
  $("[data-timer]").addEventListener("change", async (event) => {
    const c = conversations()[current];
    if (c) await deliver(c, "timer", { seconds: Number(event.target.value) });
  });
  $("[data-add-member]").addEventListener("submit", async (event) => {
    event.preventDefault();
    const c = conversations()[current];
    const form = event.target;
    await groupAction(async () => api.addMembers(c.groupId, await handles(form.handle.value)));
    form.reset();
  });
  $("[data-leave]").addEventListener("click", async () => {
    const c = conversations()[current];
    if (!confirm(gettext("Leave this group? You will not be able to read it any more."))) return;
    await groupAction(() => api.removeMember(c.groupId, device.myId));
    c.left = true;
    current = null;
    await save();
    render();
  });
  $("[data-forget]").addEventListener("click", async () => {
    if (!confirm(gettext("Sign out and wipe this browser's messages and keys? They cannot be recovered."))) return;
    await device.forget();
    const form = el("form", { method: "post", action: "/logout" }, el("input", { type: "hidden", name: "csrf_token", value: csrf }));
    document.body.append(form);
    form.submit();
  });
  document.addEventListener("visibilitychange", () => { if (current && document.visibilityState === "visible") openConversation(current); });
}

// Disappearing messages: gone from this browser at their expires_at (the node deletes its copy then too).
function expire() {
  const now = Date.now();
  let changed = false;
  for (const c of Object.values(conversations())) {
    for (const m of c.messages) if (m.attachment && m.expiresAt && m.expiresAt <= now) attachments.forget(m.id, m.attachment);
    const kept = c.messages.filter((m) => !m.expiresAt || m.expiresAt > now);
    if (kept.length !== c.messages.length) { c.messages = kept; changed = true; }
  }
  if (changed) { save(); render(); }
}

function showTyping(payload) {
  const c = current && conversations()[current];
  if (!c || c.kind !== "dm" || String(payload.account_id) !== c.peerId) return;
  const line = $("[data-typing]");
  line.hidden = !payload.typing;
  line.textContent = gettext("{name} is typing…", { name: c.title });
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => { line.hidden = true; }, 6000);
}

function connect(delay = 1000) {
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/crypto/stream`);
  socket.onopen = () => {
    delay = 1000;
    pull();
    loadPresence(api, Object.values(conversations()).map((c) => c.peerId)).then(render).catch(() => {});
  };
  socket.onmessage = (frame) => {
    const data = JSON.parse(frame.data);
    const payload = data.payload ? JSON.parse(data.payload) : {};
    if (data.event === "encrypted_message") pull();
    else if (data.event === "e2ee.typing") showTyping(payload);
    else if (data.event === "e2ee.presence") { updatePresence(payload); render(); }
    else if (data.event === "e2ee.group") refreshGroups().then(save).then(render);
    else if (data.event === "e2ee.devices") device.serial(() => device.devicesOf([payload.account_id])).then(notices).then(save).then(render);
  };
  socket.onclose = () => setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
}

async function main() {
  bind();
  try {
    await device.start();
  } catch (error) {
    root.dataset.state = "failed";
    status(gettext("Encryption could not start on this device: {error}", { error: error.message || error }));
    return;
  }
  $("[data-device]").textContent = gettext("This browser is device {device}", { device: device.deviceId });
  await refreshGroups().catch(() => {});
  for (const c of Object.values(conversations())) if (c.peerId) accts[c.peerId] = c.title;
  await save();
  status("");
  root.dataset.state = "ready";
  const wanted = location.hash.startsWith("#/c/") ? decodeURIComponent(location.hash.slice(4)) : null;
  if (wanted && conversations()[wanted]) await openConversation(wanted);
  render();
  connect();
  setInterval(expire, 1000);
}

main();
