// The story composer: preview the picked photo or video in a 9:16 stage, add stickers and text as chips
// that are dragged into place (positions are sent as fractions of the stage, the API's x/y centre), then
// upload the file to /api/v2/media and post /api/v1/stories. Opened from an "add yours" prompt, the new
// story is given to the prompt as this viewer's answer.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const LABELS = { text: gettext("Text"), poll: gettext("Poll"), quiz: gettext("Quiz"), question: gettext("Question"), countdown: gettext("Countdown"),
                   slider: gettext("Emoji slider"), add_yours: gettext("Add yours"), hashtag: gettext("Hashtag"), link: gettext("Link"),
                   mention: gettext("Mention"), location: gettext("Location") };
  // what each kind asks for: [field, label, input type]; options are their own list
  const FIELDS = {
    text: [["text", gettext("Text"), "text"], ["color", gettext("Colour"), "color"]],
    poll: [["question", gettext("Question (optional)"), "text"]],
    quiz: [["question", gettext("Question"), "text"]],
    question: [["prompt", gettext("Prompt"), "text"]],
    countdown: [["title", gettext("Title"), "text"], ["ends_at", gettext("Ends"), "datetime-local"]],
    slider: [["question", gettext("Question (optional)"), "text"], ["emoji", gettext("Emoji"), "text"]],
    add_yours: [["prompt", gettext("Prompt"), "text"]],
    hashtag: [["name", gettext("Hashtag"), "text"]],
    link: [["url", gettext("Link (https://…)"), "url"], ["text", gettext("Label (optional)"), "text"]],
    mention: [["acct", gettext("Who (@name or @name@server)"), "text"]],
    location: [["place", gettext("Place (as it is known here)"), "text"]],
  };
  const DEFAULTS = { text: { color: "#ffffff" }, slider: { emoji: "😍" }, add_yours: { prompt: gettext("Add yours") } };

  async function call(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { "Accept": "application/json", "X-CSRF-Token": csrf } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    const response = await fetch(path, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  function composer(form) {
    const stage = form.querySelector("[data-stage]");
    const list = form.querySelector("[data-items]");
    const error = form.querySelector("[data-error]");
    const items = [];
    let kind = "image";

    form.querySelector("[data-file]").addEventListener("change", (event) => {
      const file = event.target.files[0];
      stage.querySelector(".sc-media")?.remove();
      if (!file) return;
      kind = file.type.startsWith("video/") ? "video" : "image";
      const media = document.createElement(kind === "video" ? "video" : "img");
      media.className = "sc-media";
      media.src = URL.createObjectURL(file);
      if (kind === "video") Object.assign(media, { muted: true, loop: true, autoplay: true, playsInline: true });
      else media.alt = "";
      stage.prepend(media);
      form.querySelector("[data-empty]").hidden = true;
    });

    function label(item) {
      const v = item.values;
      if (item.kind === "text") return v.text || gettext("Text");
      if (item.kind === "hashtag") return `#${(v.name || "hashtag").replace(/^#/, "")}`;
      if (item.kind === "mention") return `@${(v.acct || "someone").replace(/^@/, "")}`;
      if (item.kind === "location") return `📍 ${v.place || "Somewhere"}`;
      const main = v.question || v.prompt || v.title || v.url || LABELS[item.kind];
      return item.kind === "slider" ? `${main} ${v.emoji || ""}` : main;
    }

    function refresh(item) {
      item.chip.textContent = label(item);
      if (item.kind === "text") item.chip.style.color = item.values.color || "#ffffff";
      item.chip.style.left = `${item.x * 100}%`;
      item.chip.style.top = `${item.y * 100}%`;
    }

    function drag(item) {
      item.chip.addEventListener("pointerdown", (event) => {
        event.preventDefault();
        item.chip.setPointerCapture(event.pointerId);
        const move = (e) => {
          const box = stage.getBoundingClientRect();
          item.x = Math.min(1, Math.max(0, (e.clientX - box.left) / box.width));
          item.y = Math.min(1, Math.max(0, (e.clientY - box.top) / box.height));
          refresh(item);
        };
        const up = () => {
          item.chip.removeEventListener("pointermove", move);
          item.chip.removeEventListener("pointerup", up);
        };
        item.chip.addEventListener("pointermove", move);
        item.chip.addEventListener("pointerup", up);
      });
      item.chip.addEventListener("keydown", (event) => {  // arrow keys nudge a focused chip
        const step = { ArrowLeft: [-0.02, 0], ArrowRight: [0.02, 0], ArrowUp: [0, -0.02], ArrowDown: [0, 0.02] }[event.key];
        if (!step) return;
        event.preventDefault();
        item.x = Math.min(1, Math.max(0, item.x + step[0]));
        item.y = Math.min(1, Math.max(0, item.y + step[1]));
        refresh(item);
      });
    }

    function input(item, name, text, type) {
      const row = document.createElement("label");
      row.textContent = text + " ";
      const field = document.createElement("input");
      field.type = type;
      field.name = `${item.kind}-${name}`;
      field.dataset.field = name;
      field.value = item.values[name] || "";
      field.addEventListener("input", () => { item.values[name] = field.value; refresh(item); });
      row.append(field);
      return row;
    }

    function optionsEditor(item, box) {
      const options = document.createElement("div");
      options.className = "sc-options";
      const draw = () => {
        options.replaceChildren();
        item.options.forEach((value, i) => {
          const row = document.createElement("label");
          row.className = "sc-option";
          row.textContent = gettext("Option {number}", { number: i + 1 }) + " ";
          const field = document.createElement("input");
          field.name = `${item.kind}-option-${i}`;
          field.dataset.option = String(i);
          field.maxLength = 60;
          field.value = value;
          field.addEventListener("input", () => { item.options[i] = field.value; });
          row.append(field);
          if (item.kind === "quiz") {
            const right = document.createElement("input");
            right.type = "radio";
            right.name = `quiz-correct-${item.id}`;
            right.checked = item.correct === i;
            right.setAttribute("aria-label", gettext("Option {number} is the right answer", { number: i + 1 }));
            right.addEventListener("change", () => { item.correct = i; });
            row.append(right);
          }
          options.append(row);
        });
        if (item.options.length < 4) {
          const more = document.createElement("button");
          more.type = "button";
          more.className = "btn small secondary";
          more.textContent = gettext("Add option");
          more.addEventListener("click", () => { item.options.push(""); draw(); });
          options.append(more);
        }
      };
      draw();
      box.append(options);
    }

    let counter = 0;
    function add(what) {
      const item = { id: ++counter, kind: what, values: { ...(DEFAULTS[what] || {}) }, x: 0.5,
                     y: Math.min(0.85, 0.25 + 0.12 * (items.length % 6)), options: ["", ""], correct: 0 };
      item.chip = document.createElement("div");
      item.chip.className = `sc-chip sc-${what}`;
      item.chip.tabIndex = 0;
      item.chip.dataset.chip = what;
      item.chip.setAttribute("aria-label", gettext("{sticker}: drag or use the arrow keys to place it", { sticker: LABELS[what] }));
      stage.append(item.chip);
      drag(item);
      const row = document.createElement("li");
      row.className = "sc-item";
      row.dataset.item = what;
      const head = document.createElement("p");
      head.className = "sc-item-head";
      head.textContent = LABELS[what];
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link small";
      remove.textContent = gettext("Remove");
      remove.addEventListener("click", () => {
        items.splice(items.indexOf(item), 1);
        item.chip.remove();
        row.remove();
      });
      head.append(" ", remove);
      row.append(head);
      for (const [name, text, type] of FIELDS[what]) row.append(input(item, name, text, type));
      if (what === "poll" || what === "quiz") optionsEditor(item, row);
      list.append(row);
      items.push(item);
      refresh(item);
      row.querySelector("input")?.focus();
    }

    form.addEventListener("click", (event) => {
      const button = event.target.closest("[data-add]");
      if (button) add(button.dataset.add);
    });

    // A mention names an account and a location a place by id: both are looked up when posting.
    async function resolve(spec, item) {
      if (item.kind === "mention") {
        const acct = (item.values.acct || "").trim().replace(/^@/, "");
        const account = await call("GET", `/api/v1/accounts/lookup?acct=${encodeURIComponent(acct)}`)
          .catch(() => { throw new Error(gettext("No account @{acct} known here", { acct })); });
        spec.account_id = account.id;
      } else if (item.kind === "location") {
        const name = (item.values.place || "").trim();
        const places = name ? await call("GET", `/api/v1/places?q=${encodeURIComponent(name)}`) : [];
        if (!places.length) throw new Error(gettext("No place called “{name}” known here", { name }));
        spec.place_id = places[0].id;
      }
      return spec;
    }

    function sticker(item) {
      const v = item.values;
      const spec = { type: item.kind, position: { x: item.x, y: item.y, width: 0.6, height: 0.16, rotation: 0 } };
      if (item.kind === "poll" || item.kind === "quiz") {
        spec.question = v.question || "";
        spec.options = item.options.map((o) => o.trim()).filter(Boolean);
        if (item.kind === "quiz") spec.correct_option = item.correct;
      } else if (item.kind === "countdown") {
        spec.title = v.title || "";
        spec.ends_at = v.ends_at ? new Date(v.ends_at).toISOString() : "";
      } else if (item.kind === "hashtag") {
        spec.name = (v.name || "").replace(/^#/, "");
      } else if (item.kind !== "mention" && item.kind !== "location") {
        for (const [name] of FIELDS[item.kind]) if (v[name]) spec[name] = v[name];
      }
      return spec;
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      const file = form.querySelector("[data-file]").files[0];
      const share = form.querySelector("[data-share]");
      share.disabled = true;
      share.textContent = gettext("Sharing…");
      try {
        if (!file) throw new Error(gettext("Pick a photo or a video first"));
        // names looked up first, so a mistyped mention stops before anything is uploaded
        const stickers = await Promise.all(items.filter((i) => i.kind !== "text").map((i) => resolve(sticker(i), i)));
        const upload = new FormData();
        upload.append("file", file);
        const media = await call("POST", "/api/v2/media", upload);
        const body = {
          media_id: media.id, audience: form.elements.audience.value, stickers,
          can_reply: form.elements.can_reply.checked, can_react: form.elements.can_react.checked,
          description: form.elements.description.value,
          overlays: items.filter((i) => i.kind === "text").map((i) => ({
            text: i.values.text || "", color: i.values.color || "#ffffff",
            position: { x: i.x, y: i.y, width: 0.8, height: 0.1, rotation: 0 } })),
        };
        if (kind === "image") body.duration = Number(form.elements.duration.value);
        const story = await call("POST", "/api/v1/stories", body);
        const answers = form.dataset.answers;
        if (answers) {
          const [storyId, stickerId] = answers.split(":");
          await call("POST", `/api/v1/stories/${storyId}/stickers/${stickerId}/answer`, { story_id: story.id });
        }
        location.href = `/stories/watch/${story.account.id}`;
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
        share.disabled = false;
        share.textContent = gettext("Share to story");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.querySelector("[data-story-compose]");
    if (form) composer(form);
  });
})();
