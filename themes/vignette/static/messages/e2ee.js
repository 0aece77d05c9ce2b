// The browser's E2EE device: a port of plugins/e2ee/client/client.py onto libolm's WebAssembly build
// (@towns-protocol/olm, vendored by scripts/vendor-olm). It registers this browser's device (one per browser,
// bound to the web session), keeps one-time and fallback keys uploaded, checks every key the node hands it
// (strict key and signature checks, TOFU pinning), keeps Olm sessions and Megolm group sessions, and turns
// ciphertext into messages. The node sees public keys and ciphertext only.
//
// State (the Olm account, sessions, pins, history) lives in IndexedDB encrypted with a non-extractable
// WebCrypto key (vault.js); libolm's own pickle key is random and kept inside that encrypted state.
import Olm from "../vendor/olm/olm.web.mjs";
import { ALGORITHMS, KeyRefused, canonicalJson, checkCurve25519, checkSignature, deviceObject,
         oneTimeKeyObject, verify } from "./keys.js";
import { Vault } from "./vault.js";

export const ONE_TIME_KEYS = 20;
const PAGE = 80;
const MAX_DELIVERY = 2000;
// The node reads JSON bodies of up to 1 MiB: each delivery request stays under it (ciphertext plus ~200
// bytes of JSON per envelope), so a key share with many devices goes out in several requests.
const DELIVERY_BYTES = 900 * 1024;
const NOTIFYING = ["text", "attachment"]; // the kinds a recipient is notified of (as plugins/e2ee/client/client.py)

let olmReady = null;
export function loadOlm() {
  olmReady = olmReady || Olm.initAsync().then(() => Olm);
  return olmReady;
}

export class ApiError extends Error {
  constructor(status, error) {
    super(error || `HTTP ${status}`);
    this.status = status;
  }
}

// The node's API as the page calls it: the session cookie, and the CSRF header on writes.
export class NodeApi {
  constructor(csrf) { this.csrf = csrf; }

  async call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = this.csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { method, headers, credentials: "same-origin",
                                         body: body === undefined ? undefined : JSON.stringify(body) });
    let data = null;
    try { data = await response.json(); } catch { data = { error: response.statusText }; }
    if (!response.ok) throw new ApiError(response.status, data && data.error);
    return data;
  }

  me() { return this.call("GET", "/api/v1/accounts/verify_credentials"); }
  account(id) { return this.call("GET", `/api/v1/accounts/${encodeURIComponent(id)}`); }
  async lookup(handle) {
    const q = new URLSearchParams({ q: handle.replace(/^@/, ""), resolve: "true", type: "accounts", limit: "1" });
    const found = await this.call("GET", `/api/v2/search?${q}`);
    if (!found.accounts || !found.accounts.length) throw new ApiError(404, gettext("{handle} was not found", { handle }));
    return found.accounts[0];
  }
  suggest(text) {
    const q = new URLSearchParams({ q: text.replace(/^@/, ""), type: "accounts", limit: "6" });
    return this.call("GET", `/api/v2/search?${q}`).then((r) => r.accounts || []);
  }
  uploadKeys(body) { return this.call("POST", "/api/v1/crypto/keys/upload", body); }
  queryKeys(ids) { return this.call("POST", "/api/v1/crypto/keys/query", { id: ids }); }
  claimKeys(devices) { return this.call("POST", "/api/v1/crypto/keys/claim", { device: devices }); }
  keyCount() { return this.call("GET", "/api/v1/crypto/keys/count"); }
  deliver(items, expiresIn) {
    const body = { device: items };
    if (expiresIn) body.expires_in = expiresIn;
    return this.call("POST", "/api/v1/crypto/deliveries", body);
  }
  messages(minId) { return this.call("GET", `/api/v1/crypto/encrypted_messages?min_id=${minId}&limit=${PAGE}`); }
  clear(upTo) { return this.call("POST", "/api/v1/crypto/encrypted_messages/clear", { up_to_id: String(upTo) }); }
  removeDevice() { return this.call("DELETE", "/api/v1/crypto/devices/current"); }
  createGroup(name, ids) { return this.call("POST", "/api/v1/crypto/groups", { name, account_ids: ids }); }
  groups() { return this.call("GET", "/api/v1/crypto/groups"); }
  group(id) { return this.call("GET", `/api/v1/crypto/groups/${id}`); }
  addMembers(id, ids) { return this.call("POST", `/api/v1/crypto/groups/${id}/members`, { account_ids: ids }); }
  removeMember(id, accountId) { return this.call("DELETE", `/api/v1/crypto/groups/${id}/members/${accountId}`); }
  groupMessage(id, body) { return this.call("POST", `/api/v1/crypto/groups/${id}/messages`, body); }
  typing(accountId, conversationId, typing) {
    return this.call("POST", "/api/v1/crypto/typing", { account_id: accountId, conversation_id: conversationId, typing });
  }
}

export class Refused extends Error {}

// A device whose keys changed since we pinned them: sending to its owner waits until the person accepts.
export class KeyChanged extends Refused {
  constructor(accountId, deviceId) {
    super(`the keys of device ${deviceId} changed since you first saw it`);
    this.accountId = accountId;
    this.deviceId = deviceId;
  }
}

export function dmConversation(a, b) { return "dm:" + [...new Set([a, b])].sort().join("|"); }
export function dmParticipants(id) { return id.startsWith("dm:") ? new Set(id.slice(3).split("|")) : new Set(); }

const uuid = () => crypto.randomUUID().replace(/-/g, "");
const randomText = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");

export class Device {
  constructor(api) {
    this.api = api;
    this.olm = null;
    this.vault = null;
    this.account = null;
    this.me = null;
    this.myUri = "";
    this.deviceId = "";
    this.pickleKey = "";
    this.sessions = {}; // "account|device" -> [Olm.Session], newest used first
    this.pinned = {}; // "account|device" -> [identity, fingerprint] first seen (or accepted)
    this.changed = {}; // "account|device" -> {identity, fingerprint, accountId, deviceId}: awaits acceptance
    this.known = {}; // account -> [device ids] seen, to announce new devices
    this.verified = {}; // "account|device" -> fingerprint the person compared
    this.accountUris = {};
    // Device objects whose key and signature checks passed, by everything the signature covers and the
    // signature itself: the same bytes pass the same checks, and devicesOf runs on every send and every
    // message received, so a big group's thousands of unchanged devices are not verified again each time.
    // Pinning is still compared on every call; kept in memory only.
    this.checkedDevices = new Set();
    this.outbound = {}; // group uri -> {session, epoch, created, sent, shared: [keys]}
    this.inbound = {}; // session id -> {session, groupUri, senderAccountId, senderDevice, senderKey}
    this.seenIds = new Set();
    this.seenMegolm = new Set();
    this.pending = [];
    this.timers = {};
    this.refused = [];
    this.notices = []; // {conversation accountId, text}: new or changed devices, for the UI
    this.cursor = 0;
    this.seq = 0;
    this.app = {}; // the UI's own state (conversations, history), saved with the device
    this.lock = Promise.resolve();
  }

  // One operation at a time: Olm sessions are stateful, and the stream may ask to receive at any moment.
  serial(fn) {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  key(accountId, deviceId) { return `${accountId}|${deviceId}`; }
  get myId() { return String(this.me.id); }
  get identityKey() { return JSON.parse(this.account.identity_keys()).curve25519; }
  get fingerprintKey() { return JSON.parse(this.account.identity_keys()).ed25519; }

  // ---- set-up and persistence --------------------------------------------------------------------------

  async start() {
    this.olm = await loadOlm();
    this.me = await this.api.me();
    this.vault = new Vault(`${location.host}|${this.me.id}`);
    const saved = await this.vault.load();
    if (saved) {
      this.restore(saved);
      await this.bind();
    } else {
      await this.register();
    }
    await this.replenish();
  }

  async register() {
    const mine = await this.api.queryKeys([this.myId]);
    this.myUri = mine[0].account_uri;
    this.deviceId = "web" + randomText(8);
    this.pickleKey = randomText(32);
    this.account = new this.olm.Account();
    this.account.create();
    const device = deviceObject(this.myUri, this.deviceId, this.identityKey, this.fingerprintKey, ALGORITHMS);
    this.account.generate_fallback_key();
    const [fallbackId, fallback] = Object.entries(JSON.parse(this.account.unpublished_fallback_key()).curve25519)[0];
    await this.api.uploadKeys({
      device: { device_id: this.deviceId, name: `Web browser (${navigator.platform || "browser"})`,
                identity_key: this.identityKey, fingerprint_key: this.fingerprintKey, algorithms: ALGORITHMS,
                signature: this.account.sign(canonicalJson(device)) },
      one_time_keys: this.signedKeys(ONE_TIME_KEYS),
      fallback_key: { key_id: keyId(fallbackId), key: fallback,
                      signature: this.account.sign(canonicalJson(oneTimeKeyObject(fallback, true))) },
    });
    this.account.mark_keys_as_published();
    await this.save();
  }

  // A new web session (signed out and in again) binds the device this browser already has to it.
  async bind() {
    try {
      await this.api.keyCount();
    } catch (error) {
      if (error.status !== 404) throw error;
      const device = deviceObject(this.myUri, this.deviceId, this.identityKey, this.fingerprintKey, ALGORITHMS);
      await this.api.uploadKeys({ device: { device_id: this.deviceId, identity_key: this.identityKey,
                                            fingerprint_key: this.fingerprintKey, algorithms: ALGORITHMS,
                                            signature: this.account.sign(canonicalJson(device)) } });
    }
  }

  signedKeys(count) {
    this.account.generate_one_time_keys(count);
    const keys = JSON.parse(this.account.one_time_keys()).curve25519;
    return Object.entries(keys).map(([id, key]) => ({
      key_id: keyId(id), key, signature: this.account.sign(canonicalJson(oneTimeKeyObject(key))) }));
  }

  async replenish(low = ONE_TIME_KEYS / 2) {
    const left = (await this.api.keyCount()).one_time_keys;
    if (left >= low) return 0;
    const keys = this.signedKeys(ONE_TIME_KEYS - left);
    await this.api.uploadKeys({ device: {}, one_time_keys: keys });
    this.account.mark_keys_as_published();
    await this.save();
    return keys.length;
  }

  snapshot() {
    const k = this.pickleKey;
    return {
      v: 1, deviceId: this.deviceId, myUri: this.myUri, pickleKey: k, account: this.account.pickle(k),
      sessions: Object.fromEntries(Object.entries(this.sessions).map(([id, list]) => [id, list.map((s) => s.pickle(k))])),
      pinned: this.pinned, changed: this.changed, known: this.known, verified: this.verified,
      accountUris: this.accountUris, cursor: this.cursor, seq: this.seq, timers: this.timers,
      outbound: Object.fromEntries(Object.entries(this.outbound).map(([uri, o]) => [uri, { ...o, session: o.session.pickle(k) }])),
      inbound: Object.fromEntries(Object.entries(this.inbound).map(([id, i]) => [id, { ...i, session: i.session.pickle(k) }])),
      seenIds: [...this.seenIds].slice(-5000), seenMegolm: [...this.seenMegolm].slice(-5000),
      pending: this.pending, app: this.app,
    };
  }

  restore(s) {
    const k = this.pickleKey = s.pickleKey;
    const load = (Kind, pickle) => { const x = new Kind(); x.unpickle(k, pickle); return x; };
    this.deviceId = s.deviceId;
    this.myUri = s.myUri;
    this.account = load(this.olm.Account, s.account);
    this.sessions = Object.fromEntries(Object.entries(s.sessions).map(([id, list]) => [id, list.map((p) => load(this.olm.Session, p))]));
    Object.assign(this, { pinned: s.pinned, changed: s.changed, known: s.known, verified: s.verified,
                          accountUris: s.accountUris, cursor: s.cursor, seq: s.seq, timers: s.timers,
                          pending: s.pending, app: s.app || {} });
    this.outbound = Object.fromEntries(Object.entries(s.outbound).map(([uri, o]) => [uri, { ...o, session: load(this.olm.OutboundGroupSession, o.session) }]));
    this.inbound = Object.fromEntries(Object.entries(s.inbound).map(([id, i]) => [id, { ...i, session: load(this.olm.InboundGroupSession, i.session) }]));
    this.seenIds = new Set(s.seenIds);
    this.seenMegolm = new Set(s.seenMegolm);
  }

  save() { return this.vault.save(this.snapshot()); }

  async forget() {
    try { await this.api.removeDevice(); } catch (error) { if (error.status !== 404) throw error; }
    await this.vault.wipe();
  }

  // ---- devices we trust --------------------------------------------------------------------------------

  refuse(reason) { this.refused.push(reason); }

  checkDevice(accountId, accountUri, d) {
    const label = `device ${d.device_id} of account ${accountId}`;
    const signed = deviceObject(accountUri, d.device_id, d.identity_key, d.fingerprint_key, d.algorithms || []);
    const proof = canonicalJson([signed, d.signature]);
    if (!this.checkedDevices.has(proof)) {
      try {
        checkCurve25519(d.identity_key);
        verify(this.olm, d.fingerprint_key, signed, d.signature);
      } catch (error) {
        if (!(error instanceof KeyRefused)) throw error;
        this.refuse(`${label}: ${error.message}`);
        return null;
      }
      this.checkedDevices.add(proof);
    }
    const id = this.key(accountId, d.device_id);
    const keys = [d.identity_key, d.fingerprint_key];
    const known = this.known[accountId] = this.known[accountId] || [];
    if (!this.pinned[id]) {
      if (known.length && accountId !== this.myId) this.notices.push({ accountId, kind: "new", deviceId: d.device_id });
      this.pinned[id] = keys;
      known.push(d.device_id);
    }
    if (this.pinned[id][0] !== keys[0] || this.pinned[id][1] !== keys[1]) {
      if (!this.changed[id]) this.notices.push({ accountId, kind: "changed", deviceId: d.device_id });
      this.changed[id] = { accountId, deviceId: d.device_id, identity: keys[0], fingerprint: keys[1] };
      this.refuse(`${label}: its keys changed since we first saw it`);
      return null;
    }
    delete this.changed[id];
    return { accountId, accountUri, deviceId: d.device_id, identityKey: keys[0], fingerprintKey: keys[1], name: d.name };
  }

  async devicesOf(accountIds) {
    const found = Object.fromEntries(accountIds.map((a) => [String(a), []]));
    for (let start = 0; start < accountIds.length; start += 500) {
      for (const result of await this.api.queryKeys(accountIds.slice(start, start + 500).map(String))) {
        const accountId = String(result.account_id);
        const uri = this.accountUris[accountId] = this.accountUris[accountId] || result.account_uri;
        if (uri !== result.account_uri) { this.refuse(`account ${accountId} changed its actor URI`); continue; }
        for (const d of result.devices) {
          const trusted = this.checkDevice(accountId, uri, d);
          if (trusted) found[accountId].push(trusted);
        }
      }
    }
    return found;
  }

  changedDevices(accountId) {
    return Object.values(this.changed).filter((c) => c.accountId === String(accountId));
  }

  // The person compared and accepts the new keys: they are pinned from now on (and no longer verified).
  acceptChanged(accountId) {
    for (const c of this.changedDevices(accountId)) {
      const id = this.key(c.accountId, c.deviceId);
      this.pinned[id] = [c.identity, c.fingerprint];
      delete this.changed[id];
      delete this.verified[id];
      delete this.sessions[id];
    }
    return this.save();
  }

  // ---- Olm sessions ------------------------------------------------------------------------------------

  // `timing` (optional) gathers the milliseconds spent waiting on claims and making sessions (see readyOutbound).
  async sessionsFor(devices, timing = {}) {
    const ready = {};
    const missing = {};
    for (const d of devices) {
      const id = this.key(d.accountId, d.deviceId);
      if (this.sessions[id] && this.sessions[id].length) ready[id] = this.sessions[id][0];
      else missing[id] = d;
    }
    const wanted = Object.values(missing).map((d) => ({ account_id: d.accountId, device_id: d.deviceId }));
    timing.claim = timing.sessions = 0;
    for (let start = 0; start < wanted.length; start += MAX_DELIVERY) {
      const asked = performance.now();
      const answer = await this.api.claimKeys(wanted.slice(start, start + MAX_DELIVERY));
      const claimedAt = performance.now();
      timing.claim += claimedAt - asked;
      for (const claimed of answer) {
        const id = this.key(String(claimed.account_id), claimed.device_id);
        const device = missing[id];
        if (!device || ready[id]) continue;
        try {
          checkCurve25519(claimed.key);
          checkSignature(claimed.signature);
          verify(this.olm, device.fingerprintKey, oneTimeKeyObject(claimed.key, !!claimed.fallback), claimed.signature);
        } catch (error) {
          if (!(error instanceof KeyRefused)) throw error;
          this.refuse(`one-time key of device ${claimed.device_id} of account ${claimed.account_id}: ${error.message}`);
          this.notices.push({ accountId: String(claimed.account_id), kind: "badkey", deviceId: claimed.device_id });
          continue;
        }
        const session = new this.olm.Session();
        session.create_outbound(this.account, device.identityKey, claimed.key);
        (this.sessions[id] = this.sessions[id] || []).unshift(session);
        ready[id] = session;
      }
      timing.sessions += performance.now() - claimedAt;
    }
    timing.claimed = wanted.length;
    return ready;
  }

  inner(kind, conversationId, content) {
    this.seq += 1;
    return { type: kind, conversation_id: conversationId, id: uuid(), sender: this.myUri,
             sender_device: this.deviceId, sender_key: this.fingerprintKey, sent_at: Date.now() / 1000,
             seq: this.seq, ...content };
  }

  async toDevices(devices, inner, expiresIn, timing = {}) {
    const sessions = await this.sessionsFor(devices, timing);
    let mark = performance.now();
    const items = [];
    for (const d of devices) {
      const session = sessions[this.key(d.accountId, d.deviceId)];
      if (!session) continue;
      const plaintext = { ...inner, recipient: { account: d.accountUri, device_id: d.deviceId, key: d.fingerprintKey } };
      const message = session.encrypt(canonicalJson(plaintext));
      const item = { account_id: d.accountId, device_id: d.deviceId, type: message.type, body: message.body,
                     message_id: `${inner.id.slice(0, 40)}-${items.length}` };
      // "New message from ..." for them: the node cannot tell a message from a receipt, so the sender says
      if (NOTIFYING.includes(inner.type) && d.accountId !== this.myId) item.notify = true;
      if (inner.type === "call.offer" && d.accountId !== this.myId) item.ring = true; // "alice is calling you", never the SDP
      items.push(item);
    }
    timing.encrypt = performance.now() - mark;
    mark = performance.now();
    let batch = [], size = 0;
    for (const item of items) {
      const weight = item.body.length + 200;
      if (batch.length && (batch.length === MAX_DELIVERY || size + weight > DELIVERY_BYTES)) {
        await this.api.deliver(batch, expiresIn);
        batch = []; size = 0;
      }
      batch.push(item); size += weight;
    }
    if (batch.length) await this.api.deliver(batch, expiresIn);
    timing.upload = performance.now() - mark;
    return new Set(items.map((i) => this.key(i.account_id, i.device_id)));
  }

  // One message to every device of `accountId` and our own other devices; refuses while a device of theirs
  // has changed keys the person has not accepted.
  send(accountId, kind, content = {}) {
    return this.serial(async () => {
      accountId = String(accountId);
      const found = await this.devicesOf([accountId, this.myId]);
      if (this.changedDevices(accountId).length) {
        const c = this.changedDevices(accountId)[0];
        throw new KeyChanged(accountId, c.deviceId);
      }
      const theirs = found[accountId];
      if (!theirs.length) throw new Refused(gettext("they have no device that can receive encrypted messages yet"));
      const mine = found[this.myId].filter((d) => d.deviceId !== this.deviceId);
      const conversation = dmConversation(this.myUri, this.accountUris[accountId]);
      if (kind === "timer") this.timers[conversation] = Number(content.seconds) || 0;
      const inner = this.inner(kind, conversation, content);
      const reached = await this.toDevices([...theirs, ...mine], inner, this.timers[conversation] || undefined);
      await this.save();
      if (!theirs.some((d) => reached.has(this.key(d.accountId, d.deviceId)))) {
        throw new Refused(gettext("none of their devices could be reached safely"));
      }
      return this.message(inner, { account_id: this.myId, device_id: this.deviceId, id: "" }, null, true);
    });
  }

  // ---- receiving -----------------------------------------------------------------------------------------

  receive() {
    return this.serial(async () => {
      const out = [];
      for (;;) {
        const page = (await this.api.messages(this.cursor)).sort((a, b) => Number(a.id) - Number(b.id));
        if (!page.length) break;
        for (const envelope of page) {
          const message = await this.open(envelope);
          if (message) out.push(message);
        }
        this.cursor = Number(page[page.length - 1].id);
        await this.save(); // sessions advanced: keep them before the node forgets the ciphertext
        await this.api.clear(this.cursor);
        if (page.length < PAGE) break;
      }
      const waiting = this.pending;
      this.pending = [];
      for (const envelope of waiting) {
        const message = await this.open(envelope);
        if (message) out.push(message);
      }
      await this.save();
      out.sort((a, b) => a.sentAt - b.sentAt || (a.content.seq || 0) - (b.content.seq || 0));
      return out.filter((m) => m.type !== "room_key");
    });
  }

  async open(envelope) {
    try {
      return Number(envelope.type) === 2 ? await this.openGroup(envelope) : await this.openOlm(envelope);
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      this.refuse(`message ${envelope.id}: ${error.message}`);
      return null;
    }
  }

  async trustedDevice(accountId, deviceId) {
    const found = await this.devicesOf([accountId]);
    return found[accountId].find((d) => d.deviceId === deviceId) || null;
  }

  async openOlm(envelope) {
    const senderId = String(envelope.account_id);
    const deviceId = envelope.device_id;
    const device = await this.trustedDevice(senderId, deviceId);
    if (!device) throw new Refused("from a device we cannot trust");
    const kind = Number(envelope.type);
    const id = this.key(senderId, deviceId);
    const sessions = this.sessions[id] = this.sessions[id] || [];
    let plaintext = null;
    for (const session of [...sessions]) {
      if (kind === 0 && !session.matches_inbound_from(device.identityKey, envelope.body)) continue;
      try {
        plaintext = session.decrypt(kind, envelope.body);
        sessions.splice(sessions.indexOf(session), 1);
        sessions.unshift(session); // the session they last used is the one we answer on
        break;
      } catch { /* another session, or none */ }
    }
    if (plaintext === null) {
      if (kind !== 0) throw new Refused("no session decrypts it (a replay, or not for this device)");
      const session = new this.olm.Session();
      try {
        session.create_inbound_from(this.account, device.identityKey, envelope.body);
        plaintext = session.decrypt(0, envelope.body);
        this.account.remove_one_time_keys(session);
      } catch (error) {
        session.free();
        throw new Refused(`cannot start a session: ${error.message || error}`);
      }
      sessions.unshift(session);
    }
    const inner = parse(plaintext);
    const recipient = inner.recipient || {};
    if (recipient.key !== this.fingerprintKey || recipient.device_id !== this.deviceId) throw new Refused("it was encrypted for another device");
    if (inner.sender_key !== device.fingerprintKey || inner.sender !== device.accountUri) throw new Refused("its sender is not the device that sent it");
    if (this.seenIds.has(inner.id)) return null;
    if (inner.type === "room_key") {
      await this.acceptRoomKey(inner, device);
      this.seenIds.add(inner.id);
      return null;
    }
    const participants = dmParticipants(inner.conversation_id);
    if (!participants.has(this.myUri) || !participants.has(device.accountUri)) throw new Refused("it belongs to another conversation");
    this.seenIds.add(inner.id);
    if (inner.type === "timer") this.timers[inner.conversation_id] = Number(inner.seconds) || 0;
    return this.message(inner, envelope, null, senderId === this.myId);
  }

  message(inner, envelope, groupUri, mine) {
    const reserved = new Set(["type", "conversation_id", "id", "sender", "sender_device", "sender_key", "sent_at", "recipient"]);
    return { type: inner.type, conversationId: inner.conversation_id, id: inner.id, sender: inner.sender,
             senderAccountId: String(envelope.account_id), senderDevice: envelope.device_id,
             sentAt: Number(inner.sent_at) || 0, mine: !!mine, groupUri,
             expiresAt: envelope.expires_at ? Date.parse(envelope.expires_at) : null,
             content: Object.fromEntries(Object.entries(inner).filter(([k]) => !reserved.has(k))) };
  }

  // ---- groups ------------------------------------------------------------------------------------------

  async acceptRoomKey(inner, device) {
    const groupUri = inner.conversation_id;
    const group = (await this.api.groups()).find((g) => g.uri === groupUri);
    if (!group) throw new Refused("a group key for a group we are not in");
    const member = group.members.some((m) => m.account_id === device.accountId);
    if (!member && Number(inner.epoch ?? group.epoch) >= group.epoch) throw new Refused("a group key from someone outside the group");
    const session = new this.olm.InboundGroupSession();
    try {
      session.create(inner.session_key);
    } catch (error) {
      session.free();
      throw new Refused(`a bad group key: ${error.message || error}`);
    }
    if (session.session_id() !== inner.session_id) throw new Refused("a group key whose session id does not match");
    this.inbound[session.session_id()] = { session, groupUri, senderAccountId: device.accountId,
                                           senderDevice: device.deviceId, senderKey: device.fingerprintKey };
  }

  async openGroup(envelope) {
    const senderId = String(envelope.account_id);
    for (const inbound of Object.values(this.inbound)) {
      if (inbound.senderAccountId !== senderId || inbound.senderDevice !== envelope.device_id) continue;
      let result;
      try { result = inbound.session.decrypt(envelope.body); } catch { continue; }
      if (inbound.groupUri !== envelope.group_uri) throw new Refused("a group message delivered as another group's");
      const seen = `${inbound.session.session_id()}|${result.message_index}`;
      if (this.seenMegolm.has(seen)) return null;
      const inner = parse(result.plaintext);
      if (inner.conversation_id !== inbound.groupUri || inner.sender_key !== inbound.senderKey) throw new Refused("it belongs to another conversation");
      this.seenMegolm.add(seen);
      if (inner.type === "timer") this.timers[inbound.groupUri] = Number(inner.seconds) || 0;
      return this.message(inner, envelope, inbound.groupUri, senderId === this.myId);
    }
    // The key may still be on its way (it travels separately): try again on the next receive.
    envelope._tries = (envelope._tries || 0) + 1;
    if (envelope._tries <= 5) this.pending.push(envelope);
    else this.refuse(`message ${envelope.id}: no group key decrypts it`);
    return null;
  }

  // Encrypt once with our Megolm session (rotated when the group's epoch moved, or after its message count or
  // age), share the key with member devices that lack it, and send; a 409 means the epoch moved meanwhile.
  sendGroup(groupId, kind, content = {}) {
    return this.serial(async () => {
      const started = performance.now();
      for (let attempt = 0; attempt < 2; attempt++) {
        const group = await this.api.group(String(groupId));
        const outbound = await this.readyOutbound(group, attempt > 0);
        if (kind === "timer") this.timers[group.uri] = Number(content.seconds) || 0;
        const inner = this.inner(kind, group.uri, content);
        const body = outbound.session.encrypt(canonicalJson(inner));
        const request = { body, epoch: outbound.epoch, message_id: inner.id, notify: NOTIFYING.includes(kind) };
        if (this.timers[group.uri]) request.expires_in = this.timers[group.uri];
        try {
          await this.api.groupMessage(String(groupId), request);
        } catch (error) {
          if (error.status === 409 && attempt === 0) continue;
          throw error;
        }
        outbound.sent += 1;
        await this.save();
        performance.measure("e2ee.sendGroup", { start: started }); // the whole send, the share and the save included
        return this.message(inner, { account_id: this.myId, device_id: this.deviceId, id: "" }, group.uri, true);
      }
      throw new Error("unreachable");
    });
  }

  async readyOutbound(group, force) {
    const uri = group.uri;
    let current = this.outbound[uri];
    const rotate = force || !current || current.epoch !== group.epoch || current.sent >= group.rotation.messages
      || Date.now() / 1000 - current.created >= group.rotation.seconds;
    if (rotate) {
      const session = new this.olm.OutboundGroupSession();
      session.create();
      current = this.outbound[uri] = { session, epoch: group.epoch, created: Date.now() / 1000, sent: 0, shared: [] };
      const own = new this.olm.InboundGroupSession();
      own.create(session.session_key());
      this.inbound[own.session_id()] = { session: own, groupUri: uri, senderAccountId: this.myId,
                                         senderDevice: this.deviceId, senderKey: this.fingerprintKey };
    }
    const started = performance.now();
    const found = await this.devicesOf(group.members.map((m) => m.account_id));
    const timing = { query: performance.now() - started };
    const shared = new Set(current.shared);
    const devices = Object.values(found).flat().filter((d) => !(d.accountId === this.myId && d.deviceId === this.deviceId)
                                                               && !shared.has(this.key(d.accountId, d.deviceId)));
    if (devices.length) {
      const key = { session_id: current.session.session_id(), session_key: current.session.session_key(), epoch: current.epoch };
      const reached = await this.toDevices(devices, this.inner("room_key", uri, key), undefined, timing);
      current.shared = [...shared, ...reached];
      // A User Timing entry per key share, with its phases: it shows in a DevTools performance profile, and
      // scripts/benchmarks/e2ee_browser.py reads it.
      performance.measure("e2ee.share", { start: started, detail: { ...timing, devices: devices.length,
                                                                      reached: reached.size, rotated: rotate } });
    }
    return current;
  }
}

// libolm's key ids are base64 and may hold + or /; the node takes letters, digits, - and _ (the id is only a
// label: the pre-key message itself names the public key it used).
function keyId(id) { return id.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""); }

function parse(plaintext) {
  let inner;
  try { inner = JSON.parse(plaintext); } catch { throw new Refused("its plaintext is not JSON"); }
  if (!inner || typeof inner !== "object" || !["type", "conversation_id", "id", "sender"].every((k) => typeof inner[k] === "string")) {
    throw new Refused("its plaintext lacks type, conversation_id, id or sender");
  }
  return inner;
}
