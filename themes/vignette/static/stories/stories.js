// Stories in the browser, on the JSON API with the session cookie and the X-CSRF-Token header:
// - the full-screen viewer ([data-story-viewer]): progress bars, tap right/left for next/back, hold to
//   pause, swipe down or Esc to close, arrow keys; every story left is reported to /view (next, back or
//   exit, and whether it played to the end); stickers are answered in place and show their results;
// - the close-friends switches and the archive's "add to a highlight" form.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const HOLD_MS = 220;      // a press longer than this pauses instead of tapping
  const SWIPE_PX = 80;      // a drag down this far closes the viewer

  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { "Accept": "application/json", "X-CSRF-Token": csrf } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function ago(iso) {
    const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
    return minutes < 60 ? gettext("{minutes}m", { minutes }) : gettext("{hours}h", { hours: Math.floor(minutes / 60) });
  }

  function remaining(iso) {
    let s = Math.max(0, Math.floor((Date.parse(iso) - Date.now()) / 1000));
    if (!s) return gettext("Ended");
    const d = Math.floor(s / 86400); s %= 86400;
    const h = Math.floor(s / 3600); s %= 3600;
    const m = Math.floor(s / 60);
    return (d ? gettext("{days}d", { days: d }) + " " : "") + `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  }

  function place(node, position) {
    const p = position || {};
    node.style.left = `${(p.x ?? 0.5) * 100}%`;
    node.style.top = `${(p.y ?? 0.5) * 100}%`;
    node.style.width = `${Math.max(0.3, p.width ?? 0.6) * 100}%`;
    node.style.transform = `translate(-50%, -50%) rotate(${p.rotation || 0}deg)`;
  }

  // ---- the viewer ------------------------------------------------------------------------------------

  function viewer(root) {
    const $ = (name) => root.querySelector(`[data-${name}]`);
    const me = root.dataset.me;
    const state = { groups: [], gi: 0, si: 0, elapsed: 0, duration: 5, paused: false, held: false, last: 0,
                    video: null, shownAt: 0 };
    const closeTo = (() => {
      try {
        const from = new URL(document.referrer);
        if (from.origin === location.origin && !from.pathname.startsWith("/stories/watch") &&
            !from.pathname.startsWith("/highlights/")) return from.pathname + from.search;
      } catch (e) { /* no referrer */ }
      return "/";
    })();
    $("close").href = closeTo;

    const current = () => state.groups[state.gi]?.stories[state.si];

    function status(text) { $("status").textContent = text; }

    const pending = new Set();  // view reports still on their way: leaving waits for them (briefly)
    function report(action, completed) {
      const story = current();
      if (!story || story.account.id === me || root.dataset.source === "account-highlight") return;
      story.seen = true;
      const sent = api("POST", `/api/v1/stories/${story.id}/view`, { action, completed: Boolean(completed) })
        .catch(() => {}).finally(() => pending.delete(sent));
      pending.add(sent);
    }

    function bars() {
      const box = $("bars");
      box.replaceChildren();
      state.groups[state.gi].stories.forEach((story, i) => {
        const bar = el("span", "sv-bar");
        const fill = el("i");
        fill.style.width = i < state.si ? "100%" : "0%";
        bar.append(fill);
        box.append(bar);
      });
    }

    function fill(fraction) {
      const bar = $("bars").children[state.si];
      if (bar) bar.firstChild.style.width = `${Math.min(1, fraction) * 100}%`;
    }

    function show() {
      const group = state.groups[state.gi];
      const story = current();
      if (!story) return close();
      root.dataset.story = story.id;
      bars();
      const who = $("who");
      who.href = `/@${story.account.acct}`;
      $("avatar").src = story.account.avatar;
      $("name").textContent = group.title || story.account.username;
      $("when").textContent = ago(story.created_at);
      $("cf").hidden = story.audience !== "close_friends";
      root.classList.toggle("close-friends", story.audience === "close_friends");
      const media = $("media");
      media.replaceChildren();
      state.video = null;
      const attachment = story.media_attachment;
      if (attachment.type === "video") {
        const video = el("video");
        Object.assign(video, { src: attachment.url, muted: true, autoplay: true, playsInline: true });
        video.setAttribute("playsinline", "");
        video.addEventListener("loadedmetadata", () => { if (video.duration) state.duration = video.duration; });
        video.addEventListener("ended", () => next(true));
        media.append(video);
        state.video = video;
      } else {
        const img = el("img");
        img.src = attachment.url;
        img.alt = attachment.description || "";
        media.append(img);
      }
      state.duration = story.duration || 5;
      const layer = $("layer");
      layer.replaceChildren();
      for (const overlay of story.overlays || []) {
        const text = el("p", "sv-text", overlay.text);
        text.style.color = overlay.color;
        place(text, overlay.position);
        layer.append(text);
      }
      for (const sticker of story.stickers || []) layer.append(stickerNode(story, sticker));
      const own = story.account.id === me;
      $("owner").hidden = !own;
      $("reply").hidden = own || !story.can_reply;
      $("react").hidden = own || !story.can_react;
      if (own) {
        $("viewers").href = `/stories/${story.id}/viewers`;
        $("viewers-count").textContent = story.viewers_count ?? 0;
        $("insights").href = `/stories/${story.id}/insights`;
      }
      state.elapsed = 0;
      state.last = performance.now();
      holds.clear();
      pause(false);
      status("");
    }

    function frame(now) {
      if (!state.paused && state.groups.length) {
        state.elapsed += (now - state.last) / 1000;
        const played = state.video && state.video.duration ? state.video.currentTime / state.video.duration
          : state.elapsed / state.duration;
        fill(played);
        if (!state.video && state.elapsed >= state.duration) next(true);
      }
      state.last = now;
      requestAnimationFrame(frame);
    }

    // Paused by the person (the button, Space, holding) or while they type or slide: typing a reply does
    // not unpause a story they paused themselves.
    const holds = new Set();
    let chosenPause = false;
    function apply() {
      const on = chosenPause || holds.size > 0;
      state.paused = on;
      root.classList.toggle("paused", on);
      $("pause").setAttribute("aria-pressed", chosenPause ? "true" : "false");
      $("pause").setAttribute("aria-label", chosenPause ? gettext("Play") : gettext("Pause"));
      if (state.video) { if (on) state.video.pause(); else state.video.play()?.catch(() => {}); }
    }
    function pause(on) { chosenPause = on; apply(); }
    function hold(reason, on) { if (on) holds.add(reason); else holds.delete(reason); apply(); }

    function next(completed) {
      report("next", completed);
      const group = state.groups[state.gi];
      if (state.si + 1 < group.stories.length) state.si += 1;
      else if (state.gi + 1 < state.groups.length) { state.gi += 1; state.si = firstUnseen(state.groups[state.gi]); }
      else return leave();
      show();
    }

    function back() {
      report("back", false);
      if (state.si > 0) state.si -= 1;
      else if (state.gi > 0) { state.gi -= 1; state.si = state.groups[state.gi].stories.length - 1; }
      show();
    }

    function close() {
      report("exit", false);
      leave();
    }

    function leave() {
      state.groups = [];
      root.dataset.closed = "true";
      const waited = new Promise((done) => setTimeout(done, 1500));
      Promise.race([Promise.all([...pending]), waited]).then(() => { location.href = $("close").href; });
    }

    function firstUnseen(group) {
      const i = group.stories.findIndex((s) => !s.seen);
      return i < 0 ? 0 : i;
    }

    // stickers -------------------------------------------------------------------------------------

    async function answer(story, sticker, body, node) {
      try {
        const updated = await api("POST", `/api/v1/stories/${story.id}/stickers/${sticker.id}/answer`, body);
        Object.assign(sticker, updated);
        node.replaceWith(stickerNode(story, sticker));
        hold("sticker", false);  // the field typed or slid in is gone with the old node
      } catch (error) {
        status(gettext("That did not work: {error}", { error: error.message }));
      }
    }

    function resultBars(box, sticker) {
      const results = sticker.results;
      const total = results?.answers_count || 0;
      box.replaceChildren();
      sticker.options.forEach((title, i) => {
        const votes = results?.options?.[i]?.votes_count || 0;
        const share = total ? Math.round((votes * 100) / total) : 0;
        const row = el("div", "sv-result");
        row.style.setProperty("--share", `${share}%`);
        if (sticker.own_answer?.choice === i) row.classList.add("mine");
        if (sticker.type === "quiz" && sticker.correct_option !== undefined) {
          row.classList.add(i === sticker.correct_option ? "correct" : (sticker.own_answer?.choice === i ? "wrong" : "other"));
        }
        row.append(el("span", "", title), el("strong", "", results ? `${share}%` : ""));
        box.append(row);
      });
    }

    function stickerNode(story, sticker) {
      const node = el("div", `sv-sticker sv-${sticker.type}`);
      node.dataset.sticker = sticker.id;
      node.dataset.type = sticker.type;
      place(node, sticker.position);
      const own = story.account.id === me;
      const kind = sticker.type;
      if (kind === "poll" || kind === "quiz") {
        if (sticker.question) node.append(el("p", "sv-q", sticker.question));
        const box = el("div", "sv-options");
        node.append(box);
        if (sticker.own_answer || own) {
          resultBars(box, sticker);
          if (kind === "quiz" && sticker.own_answer) {
            node.append(el("p", "sv-verdict", sticker.own_answer.correct ? gettext("Right!") : gettext("Not quite")));
          }
        } else {
          sticker.options.forEach((title, i) => {
            const button = el("button", "sv-option", title);
            button.type = "button";
            button.addEventListener("click", () => answer(story, sticker, { choice: i }, node));
            box.append(button);
          });
        }
      } else if (kind === "question") {
        node.append(el("p", "sv-q", sticker.prompt));
        if (own) {
          const link = el("a", "sv-link", gettext("See answers"));
          link.href = `/stories/${story.id}/insights`;
          node.append(link);
        } else {
          const form = el("form", "sv-ask");
          const input = el("input");
          Object.assign(input, { name: "text", maxLength: 500, required: true, placeholder: gettext("Type something…") });
          input.setAttribute("aria-label", sticker.prompt);
          if (sticker.own_answer) input.value = sticker.own_answer.text;
          const send = el("button", "", sticker.own_answer ? gettext("Update") : gettext("Send"));
          send.type = "submit";
          form.append(input, send);
          form.addEventListener("submit", (event) => {
            event.preventDefault();
            answer(story, sticker, { text: input.value }, node);
          });
          input.addEventListener("focus", () => hold("sticker", true));
          input.addEventListener("blur", () => hold("sticker", false));
          node.append(form);
          if (sticker.own_answer) node.append(el("p", "sv-verdict", gettext("Sent to {name}", { name: story.account.username })));
        }
      } else if (kind === "countdown") {
        node.append(el("p", "sv-q", sticker.title));
        const clock = el("p", "sv-clock", remaining(sticker.ends_at));
        const timer = setInterval(() => {
          if (!node.isConnected) return clearInterval(timer);
          clock.textContent = remaining(sticker.ends_at);
        }, 1000);
        node.append(clock);
        if (!own) {
          const on = Boolean(sticker.own_answer?.subscribe);
          const button = el("button", "sv-option", on ? gettext("Reminder set ✓") : gettext("Remind me"));
          button.type = "button";
          button.setAttribute("aria-pressed", on ? "true" : "false");
          button.addEventListener("click", () => answer(story, sticker, { subscribe: !on }, node));
          node.append(button);
        }
        if (sticker.results?.subscribers_count !== undefined) {
          node.append(el("p", "sv-meta", `${sticker.results.subscribers_count} reminded`));
        }
      } else if (kind === "slider") {
        if (sticker.question) node.append(el("p", "sv-q", sticker.question));
        const range = el("input", "sv-range");
        Object.assign(range, { type: "range", min: 0, max: 100, step: 1 });
        range.setAttribute("aria-label", sticker.question || gettext("Slide {emoji}", { emoji: sticker.emoji }));
        range.value = sticker.own_answer ? Math.round(sticker.own_answer.value * 100) : 50;
        range.disabled = own;
        const emoji = el("span", "sv-emoji", sticker.emoji);
        const track = el("div", "sv-track");
        track.append(range, emoji);
        const moveEmoji = () => { emoji.style.left = `${range.value}%`; };
        moveEmoji();
        range.addEventListener("input", () => { moveEmoji(); hold("sticker", true); });
        range.addEventListener("change", () => answer(story, sticker, { value: range.value / 100 }, node));
        node.append(track);
        const average = sticker.results?.average;
        if (average !== undefined && average !== null) {
          const n = sticker.results.answers_count;
          node.append(el("p", "sv-meta", ngettext("Average {average}% · {num} answer", "Average {average}% · {num} answers", n, { average: Math.round(average * 100) })));
        }
      } else if (kind === "add_yours") {
        node.append(el("p", "sv-q", sticker.prompt));
        if (own) {
          node.append(el("p", "sv-meta", ngettext("{num} added theirs", "{num} added theirs", sticker.results?.answers_count ?? 0)));
        } else {
          const link = el("a", "sv-option", sticker.own_answer ? gettext("You added yours ✓") : gettext("Add yours"));
          link.href = `/stories/new?answers=${story.id}:${sticker.id}`;
          node.append(link);
        }
      } else if (kind === "mention") {
        const link = el("a", "sv-chip", "@…");
        api("GET", `/api/v1/accounts/${sticker.account_id}`).then((account) => {
          link.textContent = `@${account.acct}`;
          link.href = `/@${account.acct}`;
        }).catch(() => { link.textContent = "@someone"; });
        node.append(link);
      } else if (kind === "hashtag") {
        const link = el("a", "sv-chip", `#${sticker.name}`);
        link.href = `/tags/${encodeURIComponent(sticker.name)}`;
        node.append(link);
      } else if (kind === "location") {
        node.append(el("span", "sv-chip", `📍 ${sticker.name}`));
      } else if (kind === "link") {
        const link = el("a", "sv-chip", `🔗 ${sticker.text || new URL(sticker.url).host}`);
        Object.assign(link, { href: sticker.url, rel: "noopener noreferrer nofollow", target: "_blank" });
        node.append(link);
      } else if (kind === "shared_answer") {  // a question's answer the author shared: no name, as Instagram
        node.append(el("p", "sv-q", sticker.prompt), el("p", "sv-shared", sticker.text));
      }
      return node;
    }

    // input ----------------------------------------------------------------------------------------

    const stage = $("stage");
    let press = null;
    stage.addEventListener("pointerdown", (event) => {
      if (event.target.closest(".sv-sticker")) return;
      press = { x: event.clientX, y: event.clientY, timer: setTimeout(() => { press.held = true; hold("press", true); }, HOLD_MS) };
    });
    stage.addEventListener("pointerup", (event) => {
      if (!press) return;
      clearTimeout(press.timer);
      const { held, y } = press;
      press = null;
      if (event.clientY - y > SWIPE_PX) return close();
      if (held) return hold("press", false);
      const box = stage.getBoundingClientRect();
      if (event.clientX - box.left < box.width / 3) back(); else next(false);
    });
    stage.addEventListener("pointercancel", () => { if (press) { clearTimeout(press.timer); hold("press", false); press = null; } });
    stage.addEventListener("contextmenu", (event) => event.preventDefault());
    $("pause").addEventListener("click", () => pause(!chosenPause));
    $("close").addEventListener("click", (event) => { event.preventDefault(); close(); });
    document.addEventListener("keydown", (event) => {
      if (!state.groups.length || event.target.closest("input, textarea")) {
        if (event.key === "Escape" && document.activeElement) document.activeElement.blur();
        return;
      }
      if (event.key === "ArrowRight") { event.preventDefault(); next(false); }
      else if (event.key === "ArrowLeft") { event.preventDefault(); back(); }
      else if (event.key === "Escape") { event.preventDefault(); close(); }
      else if (event.key === " " && !event.target.closest("button, a")) { event.preventDefault(); pause(!chosenPause); }
    });

    const replyForm = $("reply");
    const replyInput = replyForm.querySelector("input");
    replyInput.addEventListener("focus", () => hold("reply", true));
    replyInput.addEventListener("blur", () => hold("reply", false));
    replyForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const story = current();
      try {
        await api("POST", `/api/v1/stories/${story.id}/reply`, { status: replyInput.value });
        replyInput.value = "";
        replyInput.blur();
        status(gettext("Reply sent"));
      } catch (error) { status(gettext("That did not work: {error}", { error: error.message })); }
    });
    $("react").addEventListener("click", async (event) => {
      const button = event.target.closest("[data-emoji]");
      if (!button) return;
      try {
        await api("POST", `/api/v1/stories/${current().id}/react`, { emoji: button.dataset.emoji });
        status(gettext("Sent {emoji}", { emoji: button.dataset.emoji }));
      } catch (error) { status(gettext("That did not work: {error}", { error: error.message })); }
    });
    $("delete").addEventListener("click", async () => {
      const story = current();
      if (!window.confirm(gettext("Delete this story for everyone?"))) return;
      try {
        await api("DELETE", `/api/v1/stories/${story.id}`);
        const group = state.groups[state.gi];
        group.stories.splice(state.si, 1);
        if (!group.stories.length) return leave();
        state.si = Math.min(state.si, group.stories.length - 1);
        show();
      } catch (error) { status(gettext("That did not work: {error}", { error: error.message })); }
    });

    // loading --------------------------------------------------------------------------------------

    async function load() {
      status(gettext("Loading…"));
      if (root.dataset.source === "account-highlight") {  // a remote account's, by its place in their list
        const list = await api("GET", `/api/v1/accounts/${root.dataset.account}/highlights`);
        const highlight = list[Number(root.dataset.highlight)];
        state.groups = highlight ? [{ title: highlight.title, stories: highlight.stories }] : [];
        return;
      }
      if (root.dataset.source === "highlight") {
        const highlight = await api("GET", `/api/v1/highlights/${root.dataset.highlight}`);
        state.groups = [{ title: highlight.title, stories: highlight.stories }];
        return;
      }
      const wanted = root.dataset.account;
      const tray = await api("GET", "/api/v1/stories");
      const at = tray.findIndex((entry) => entry.account.id === wanted);
      if (at >= 0) {
        state.groups = tray.slice(at).filter((entry) => entry.stories.length);
        state.si = firstUnseen(state.groups[0]);
      } else {  // not in my tray (e.g. opened from a profile): that account's stories alone
        const stories = await api("GET", `/api/v1/accounts/${wanted}/stories`);
        state.groups = stories.length ? [{ stories }] : [];
      }
    }

    load().then(() => {
      if (!state.groups.length || !state.groups[0].stories.length) {
        status(gettext("No stories to show."));
        return;
      }
      root.focus();
      show();
      root.dataset.ready = "true";
      requestAnimationFrame((now) => { state.last = now; frame(now); });
    }).catch((error) => status(gettext("Could not load stories: {error}", { error: error.message })));
  }

  // ---- close friends and highlights --------------------------------------------------------------

  function closeFriends(list) {
    list.addEventListener("click", async (event) => {
      const button = event.target.closest("[data-cf-toggle]");
      if (!button) return;
      const id = button.dataset.cfToggle;
      const on = button.getAttribute("aria-pressed") === "true";
      button.disabled = true;
      try {
        if (on) await api("DELETE", `/api/v1/close_friends/${id}`);
        else await api("POST", "/api/v1/close_friends", { account_ids: [id] });
        button.setAttribute("aria-pressed", on ? "false" : "true");
        button.textContent = on ? gettext("Add") : gettext("Close friend ✓");
        button.classList.toggle("close-on", !on);
        button.classList.toggle("secondary", on);
        const count = document.querySelector("[data-cf-count]");
        if (count) count.textContent = `${list.querySelectorAll('[aria-pressed="true"]').length} on your list`;
      } catch (error) {
        window.alert(gettext("That did not work: {error}", { error: error.message }));
      } finally {
        button.disabled = false;
      }
    });
  }

  function highlightForm(form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const ids = [...form.querySelectorAll('input[name="story_ids[]"]:checked')].map((box) => box.value);
      const error = form.querySelector("[data-error]");
      try {
        if (!ids.length) throw new Error(gettext("Pick at least one story"));
        const made = await api("POST", "/api/v1/highlights", { title: form.elements.title.value, story_ids: ids });
        location.href = `/highlights/${made.id}`;
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.querySelector("[data-story-viewer]");
    if (root) viewer(root);
    const list = document.querySelector("[data-close-friends]");
    if (list) closeFriends(list);
    const form = document.querySelector("[data-highlight-form]");
    if (form) highlightForm(form);
  });
})();
