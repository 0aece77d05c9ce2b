// 1:1 audio and video calls over WebRTC. The offer, answer and ICE candidates travel only inside Olm-encrypted
// to-device messages (call.offer / call.answer / call.ice / call.hangup, the vocabulary of
// plugins/e2ee/client/messages.py), so the nodes route ciphertext and never see SDP or a candidate. Media goes
// peer to peer, DTLS-SRTP encrypted by the browser (a plain RTCPeerConnection); the node only hands out the
// STUN/TURN servers its operator configured. A declined, missed or ended call is itself an encrypted
// call.hangup to both sides' devices, so both conversations show the same entry.
//
// Wire format (inside the ciphertext, beside type/conversation_id/id/sender...):
//   call.offer  {call_id, sdp, video, lifetime}      lifetime: ms after sent_at the offer may still ring
//   call.answer {call_id, sdp}
//   call.ice    {call_id, candidates: [{candidate, sdpMid, sdpMLineIndex}]}   (end of candidates: [])
//   call.hangup {call_id, reason, video, duration}   reason: ended | declined | missed | busy | failed

const RING_MS = 45000; // an unanswered call gives up after this and is a missed call on both sides
const LIFETIME_MS = 60000; // an offer read later than this (the app was closed) rings no more
const ICE_BATCH_MS = 150; // candidates trickle out in small batches, not one ciphertext each

// The sounds of a call, made with WebAudio (no audio file to ship): a ring while a call comes in, and the
// ringback the caller hears while it rings on the other side. Tones as phones play them: 440+480 Hz, on for
// 1 s of every 3 (ringing) or 2 s of every 6 (ringback).
class Tone {
  start(kind) {
    this.stop();
    const AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext) return;
    const audio = this.audio = new AudioContext();
    const [on, period] = kind === "ringing" ? [1, 3] : [2, 6];
    const gain = audio.createGain();
    gain.gain.value = 0;
    gain.connect(audio.destination);
    for (const hz of [440, 480]) {
      const oscillator = audio.createOscillator();
      oscillator.frequency.value = hz;
      oscillator.connect(gain);
      oscillator.start();
    }
    const level = kind === "ringing" ? 0.12 : 0.06;
    const schedule = () => {
      const t = audio.currentTime;
      gain.gain.setValueAtTime(level, t);
      gain.gain.setValueAtTime(0, t + on);
    };
    schedule();
    this.timer = setInterval(schedule, period * 1000);
    audio.resume().catch(() => {}); // without a tap on the page yet the browser may keep it silent
    this.playing = kind;
  }

  stop() {
    clearInterval(this.timer);
    if (this.audio) this.audio.close().catch(() => {});
    this.audio = null;
    this.playing = "";
  }
}

export class Calls {
  // ctx: {root, device, el, refresh(): save + render, failed(error)}
  constructor(ctx) {
    this.ctx = ctx;
    this.device = ctx.device;
    this.call = null;
    this.iceServers = null;
    this.screen = this.build();
    this.tone = new Tone();
  }

  // ---- the call screen -----------------------------------------------------------------------------------

  build() {
    const el = this.ctx.el;
    const button = (attr, text, onclick, extra = "") =>
      el("button", { type: "button", class: `btn call-btn ${extra}`, [attr]: "", onclick }, text);
    this.remote = el("video", { class: "call-remote", autoplay: true, playsInline: true, "data-call-remote": "" });
    this.local = el("video", { class: "call-local", autoplay: true, playsInline: true, muted: true, "data-call-local": "" });
    this.title = el("strong", { class: "call-title", "data-call-title": "" });
    this.line = el("span", { class: "call-status", "data-call-status": "" });
    this.mute = button("data-call-mute", gettext("Mute"), () => this.toggle("audio"), "secondary");
    this.camera = button("data-call-camera", gettext("Camera off"), () => this.toggle("video"), "secondary");
    const screen = el("section", { class: "call-screen", "data-call": "", role: "dialog", "aria-label": gettext("Call"), hidden: true },
      this.remote, this.local,
      el("div", { class: "call-who" }, this.title, this.line),
      el("div", { class: "call-controls" },
        button("data-call-accept", "Accept", () => this.accept(), "accept"),
        button("data-call-decline", gettext("Decline"), () => this.decline(), "danger"),
        this.mute, this.camera,
        button("data-call-hangup", gettext("Hang up"), () => this.hangup(), "danger")));
    this.ctx.root.append(screen);
    // the two call buttons sit in the conversation header, shown for 1:1 conversations only
    const header = this.ctx.root.querySelector("[data-details-toggle]");
    this.startButtons = [
      el("button", { type: "button", class: "btn small secondary", "data-call-start": "audio", "aria-label": gettext("Audio call"),
                     onclick: () => this.start(this.open, false) }, gettext("Call")),
      el("button", { type: "button", class: "btn small secondary", "data-call-start": "video", "aria-label": gettext("Video call"),
                     onclick: () => this.start(this.open, true) }, gettext("Video")),
    ];
    header.before(...this.startButtons);
    return screen;
  }

  // The open conversation changed or re-rendered.
  render(c) {
    this.open = c && c.kind === "dm" && !c.left ? c : null;
    for (const b of this.startButtons) { b.hidden = !this.open; b.disabled = !!this.call; }
  }

  show(state, status) {
    const call = this.call;
    this.screen.hidden = !call;
    if (!call) return;
    call.state = state;
    this.screen.dataset.state = state;
    this.screen.dataset.video = call.video ? "1" : "0";
    this.title.textContent = call.title;
    this.line.textContent = status;
    const ringing = state === "ringing";
    const sound = ringing ? "ringing" : state === "calling" ? "ringback" : "";
    if (sound !== this.tone.playing) { if (sound) this.tone.start(sound); else this.tone.stop(); }
    this.screen.dataset.tone = this.tone.playing;
    this.screen.querySelector("[data-call-accept]").hidden = !ringing;
    this.screen.querySelector("[data-call-decline]").hidden = !ringing;
    this.screen.querySelector("[data-call-hangup]").hidden = ringing;
    this.mute.hidden = ringing;
    this.camera.hidden = ringing || !call.video;
    for (const b of this.startButtons) b.disabled = true;
  }

  toggle(kind) {
    const call = this.call;
    if (!call || !call.stream) return;
    const tracks = kind === "audio" ? call.stream.getAudioTracks() : call.stream.getVideoTracks();
    const off = tracks.some((t) => t.enabled);
    for (const t of tracks) t.enabled = !off;
    const b = kind === "audio" ? this.mute : this.camera;
    b.setAttribute("aria-pressed", String(off));
    b.textContent = kind === "audio" ? (off ? gettext("Unmute") : gettext("Mute")) : (off ? gettext("Camera on") : gettext("Camera off"));
  }

  // ---- placing, answering, ending ------------------------------------------------------------------------

  async servers() {
    if (!this.iceServers) {
      const response = await fetch("/api/v1/crypto/ice_servers", { credentials: "same-origin" });
      this.iceServers = response.ok ? (await response.json()).ice_servers || [] : [];
    }
    return this.iceServers;
  }

  async start(c, video) {
    if (!c || this.call) return;
    const call = this.call = { id: crypto.randomUUID(), peerId: c.peerId, conversation: c, title: c.title, video,
                               outgoing: true, remoteIce: [], outIce: [], signalling: false };
    this.show("calling", gettext("Calling…"));
    try {
      await this.connect(call);
      const offer = await call.pc.createOffer();
      await call.pc.setLocalDescription(offer);
      await this.send(call, "call.offer", { sdp: call.pc.localDescription.sdp, video, lifetime: LIFETIME_MS });
      call.signalling = true;
      this.flushIce(call);
      call.ringTimer = setTimeout(() => { if (this.call === call && !call.answered) this.hangup("missed"); }, RING_MS);
    } catch (error) {
      this.close(call);
      this.ctx.failed(error);
    }
  }

  // The peer connection with our camera/microphone on it; its events drive the screen.
  async connect(call) {
    call.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: call.video });
    if (this.call !== call) { for (const t of call.stream.getTracks()) t.stop(); throw new Error("the call ended"); }
    this.local.srcObject = call.video ? call.stream : null;
    const pc = call.pc = new RTCPeerConnection({ iceServers: await this.servers() });
    for (const track of call.stream.getTracks()) pc.addTrack(track, call.stream);
    pc.onicecandidate = (event) => {
      call.outIce.push(event.candidate ? event.candidate.toJSON() : null);
      this.flushIce(call);
    };
    pc.ontrack = (event) => { if (this.remote.srcObject !== event.streams[0]) this.remote.srcObject = event.streams[0]; };
    pc.onconnectionstatechange = () => {
      if (this.call !== call) return;
      if (pc.connectionState === "connected" && !call.startedAt) {
        call.startedAt = Date.now();
        this.show("connected", gettext("Connected"));
        call.statsTimer = setInterval(() => this.stats(call), 1000);
      } else if (pc.connectionState === "failed") this.hangup("failed");
    };
  }

  flushIce(call) {
    if (!call.signalling || call.iceTimer || !call.outIce.length) return;
    call.iceTimer = setTimeout(() => {
      call.iceTimer = null;
      const batch = call.outIce.splice(0);
      if (!batch.length || this.call !== call) return;
      this.send(call, "call.ice", { candidates: batch.filter(Boolean) }).catch(() => {});
    }, ICE_BATCH_MS);
  }

  // How much media has arrived: shown on the screen (and read by tests) as a sign media flows.
  async stats(call) {
    if (this.call !== call || !call.pc) return;
    let bytes = 0;
    (await call.pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp") bytes += s.bytesReceived || 0; });
    this.screen.dataset.bytesIn = String(bytes);
    this.line.textContent = gettext("Connected · {duration}", { duration: duration((Date.now() - call.startedAt) / 1000) });
  }

  async accept() {
    const call = this.call;
    if (!call || call.state !== "ringing") return;
    clearTimeout(call.ringTimer);
    this.show("connecting", gettext("Connecting…"));
    try {
      await this.connect(call);
      await call.pc.setRemoteDescription({ type: "offer", sdp: call.offerSdp });
      await this.drainIce(call);
      await call.pc.setLocalDescription(await call.pc.createAnswer());
      await this.send(call, "call.answer", { sdp: call.pc.localDescription.sdp });
      call.answered = true;
      call.signalling = true;
      this.flushIce(call);
    } catch (error) {
      await this.hangup("failed");
      this.ctx.failed(error);
    }
  }

  decline() { return this.hangup("declined"); }

  // End the call here and tell them (and our other devices) why; the hangup becomes the conversation entry.
  async hangup(reason) {
    const call = this.call;
    if (!call) return;
    reason = reason || (call.startedAt ? "ended" : call.outgoing ? "missed" : "declined");
    const seconds = call.startedAt ? Math.round((Date.now() - call.startedAt) / 1000) : 0;
    this.close(call);
    try {
      const sent = await this.send(call, "call.hangup", { reason, video: call.video, duration: seconds });
      this.entry(call.conversation, sent);
    } catch (error) {
      this.ctx.failed(error);
    }
    this.ctx.refresh();
  }

  close(call) {
    if (this.call !== call) return;
    this.call = null;
    this.tone.stop();
    this.screen.dataset.tone = "";
    clearTimeout(call.ringTimer); clearTimeout(call.iceTimer); clearInterval(call.statsTimer);
    if (call.stream) for (const t of call.stream.getTracks()) t.stop();
    if (call.pc) call.pc.close();
    this.remote.srcObject = null;
    this.local.srcObject = null;
    this.mute.textContent = gettext("Mute"); this.camera.textContent = gettext("Camera off");
    this.mute.removeAttribute("aria-pressed"); this.camera.removeAttribute("aria-pressed");
    delete this.screen.dataset.bytesIn;
    this.screen.dataset.state = "ended";
    this.screen.hidden = true;
    this.render(this.open);
  }

  send(call, kind, content) {
    return this.device.send(call.peerId, kind, { call_id: call.id, ...content });
  }

  async drainIce(call) {
    for (const candidate of call.remoteIce.splice(0)) await call.pc.addIceCandidate(candidate).catch(() => {});
  }

  // ---- signalling that arrived (already decrypted and checked by e2ee.js) ---------------------------------

  // One call.* message in conversation `c`; the caller saves and renders afterwards.
  async handle(message, c) {
    const content = message.content;
    const id = String(content.call_id || "");
    const call = this.call && this.call.id === id ? this.call : null;
    const fromHere = message.mine && message.senderDevice === this.device.deviceId;
    if (message.type === "call.hangup") {
      if (call) this.close(call);
      if (!fromHere) this.entry(c, message);
      return;
    }
    if (message.mine) {
      // another of our devices picked up or declined: stop ringing here
      if (call && !call.outgoing && message.type === "call.answer") this.close(call);
      return;
    }
    if (message.type === "call.offer") {
      const lifetime = Math.min(Number(content.lifetime) || LIFETIME_MS, 5 * 60000);
      if (!id || message.sentAt * 1000 + lifetime < Date.now()) return; // stale: its hangup records the miss
      if (this.call) {
        if (this.call.id !== id) this.device.send(message.senderAccountId, "call.hangup", { call_id: id, reason: "busy", video: !!content.video }).catch(() => {});
        return;
      }
      const ringing = this.call = { id, peerId: message.senderAccountId, conversation: c, title: c.title,
                                    video: !!content.video, outgoing: false, offerSdp: String(content.sdp || ""),
                                    remoteIce: [], outIce: [], signalling: false };
      this.show("ringing", content.video ? gettext("Incoming video call") : gettext("Incoming call"));
      ringing.ringTimer = setTimeout(() => { if (this.call === ringing && ringing.state === "ringing") this.close(ringing); }, RING_MS);
    } else if (message.type === "call.answer" && call && call.outgoing && !call.answered) {
      call.answered = true;
      clearTimeout(call.ringTimer);
      this.show("connecting", gettext("Connecting…"));
      await call.pc.setRemoteDescription({ type: "answer", sdp: String(content.sdp || "") });
      await this.drainIce(call);
    } else if (message.type === "call.ice" && call) {
      const candidates = Array.isArray(content.candidates) ? content.candidates : [];
      call.remoteIce.push(...candidates.filter((x) => x && typeof x.candidate === "string"));
      if (call.pc && call.pc.remoteDescription) await this.drainIce(call);
    }
  }

  // The conversation entry for an ended call, the same on both sides (keyed by the call, so once).
  entry(c, message) {
    const content = message.content;
    const key = `call-${content.call_id}`;
    if (!c || c.messages.some((m) => m.id === key)) return;
    const video = Boolean(content.video);
    const reason = String(content.reason || "ended");
    const length = duration(Number(content.duration) || 0);
    const text = reason === "declined" ? (video ? gettext("Declined video call") : gettext("Declined call"))
      : reason === "missed" || reason === "busy" ? (video ? gettext("Missed video call") : gettext("Missed call"))
      : reason === "failed" ? (video ? gettext("The video call could not connect") : gettext("The call could not connect"))
      : video ? gettext("Video call · {duration}", { duration: length }) : gettext("Call · {duration}", { duration: length });
    c.messages.push({ id: key, system: true, call: reason, text, sentAt: message.sentAt || Date.now() / 1000 });
    c.updatedAt = Date.now();
  }
}

function duration(seconds) {
  seconds = Math.max(0, Math.round(seconds));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
