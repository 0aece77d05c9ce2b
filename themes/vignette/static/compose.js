// The composer, enhanced: photos and videos upload as soon as they are picked (XHR to /api/v2/media, so the
// bar shows real progress), each with a preview, its alt text, remove and reorder (drag, or the arrow
// buttons from the keyboard); poll and content-warning panels; a character count; and the form's own
// inline errors before a round trip. Without JS the form still posts (four plain file slots).
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const MAX_MEDIA = 4, MAX_OPTIONS = 4;

  function showError(el, text) {
    el.textContent = text;
    el.hidden = !text;
  }

  function fieldError(form, anchor, id, text) {
    let note = form.querySelector(`#${id}`);
    if (!note) {
      note = document.createElement("p");
      note.className = "field-error";
      note.id = id;
      note.setAttribute("role", "alert");
      anchor.after(note);
    }
    note.textContent = text;
    return note;
  }

  function pending(form) {
    return form.querySelectorAll(".media-item.uploading").length;
  }

  function refreshSubmit(form) {
    const button = form.querySelector('button[type="submit"]');
    const busy = pending(form) > 0;
    button.disabled = busy;
    if (!button.dataset.label) button.dataset.label = button.textContent;
    button.textContent = busy ? gettext("Uploading…") : button.dataset.label;
    const picker = form.querySelector("[data-media-picker]");
    picker.hidden = !picker.querySelector(".media-item");
    // a post has media or a poll, never both (as Mastodon allows): each tool waits for the other to go
    const poll = form.querySelector(".poll-editor");
    const pollOpen = poll && !poll.hasAttribute("data-panel-closed");
    const pick = form.querySelector("[data-pick-media]");
    pick.disabled = pollOpen || picker.querySelectorAll(".media-item").length >= MAX_MEDIA;
    pick.title = pollOpen ? gettext("A post with a poll cannot have photos or videos") : gettext("Add photos or videos");
    const pollTool = form.querySelector("[data-panel$='-poll']");
    if (pollTool) {
      pollTool.disabled = Boolean(picker.querySelector(".media-item"));
      pollTool.title = pollTool.disabled ? gettext("A post with photos or videos cannot have a poll") : gettext("Add a poll");
    }
  }

  function moveButtons(item) {
    const bar = document.createElement("div");
    bar.className = "media-move";
    [["-1", gettext("Move earlier"), "←"], ["1", gettext("Move later"), "→"]].forEach(([step, label, text]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.move = step;
      button.setAttribute("aria-label", label);
      button.textContent = text;
      bar.append(button);
    });
    item.append(bar);
  }

  function upload(form, file) {
    const list = form.querySelector(".media-list");
    const errors = form.querySelector("[data-media-error]");
    const item = document.createElement("li");
    item.className = "media-item uploading";
    item.draggable = true;
    const preview = document.createElement(file.type.startsWith("video/") ? "video" : "img");
    preview.src = URL.createObjectURL(file);
    if (preview.tagName === "IMG") preview.alt = ""; else { preview.muted = true; preview.setAttribute("aria-hidden", "true"); }
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", gettext("Uploading {name}", { name: file.name }));
    const alt = document.createElement("label");
    alt.className = "alt";
    alt.textContent = gettext("Alt text");
    const text = document.createElement("textarea");
    text.maxLength = 1500;
    text.rows = 2;
    text.placeholder = gettext("Describe it for people who can't see it");
    alt.append(text);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "media-remove";
    remove.dataset.remove = "";
    remove.setAttribute("aria-label", gettext("Remove {name}", { name: file.name }));
    remove.textContent = "×";
    item.append(preview, bar, alt, remove);
    moveButtons(item);
    list.append(item);
    refreshSubmit(form);

    const body = new FormData();
    body.append("file", file);
    const request = new XMLHttpRequest();
    item.request = request;
    request.open("POST", "/api/v2/media");
    request.setRequestHeader("X-CSRF-Token", csrf);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
    });
    request.addEventListener("load", () => {
      let answer = {};
      try { answer = JSON.parse(request.responseText); } catch (error) { /* not JSON: a proxy's page */ }
      if (request.status === 200 || request.status === 202) {
        item.classList.remove("uploading");
        item.dataset.mediaId = answer.id;
        bar.value = 100;
        bar.remove();
        const id = document.createElement("input");
        id.type = "hidden";
        id.name = "media_ids[]";
        id.value = answer.id;
        item.prepend(id);
        text.name = `media_description[${answer.id}]`;
        if (answer.type === "image") text.focus();
      } else {
        item.remove();
        showError(errors, `${file.name}: ${answer.error || request.statusText || gettext("the upload failed")}`);
      }
      refreshSubmit(form);
    });
    request.addEventListener("error", () => {
      item.remove();
      showError(errors, gettext("{name}: the upload did not reach the server", { name: file.name }));
      refreshSubmit(form);
    });
    request.send(body);
  }

  function enhance(form) {
    form.classList.add("enhanced");
    form.querySelectorAll("[data-pick-media], [data-panel], [data-add-option]").forEach((el) => { el.hidden = false; });
    const input = form.querySelector("[data-media-input]");
    const list = form.querySelector(".media-list");
    const errors = form.querySelector("[data-media-error]");
    form.querySelectorAll(".media-item").forEach(moveButtons);
    form.querySelectorAll(".compose-panel[data-panel-closed]").forEach((panel) => {
      if (panel.tagName === "FIELDSET") panel.disabled = true;
    });
    refreshSubmit(form);

    form.querySelector("[data-pick-media]").addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      showError(errors, "");
      const room = MAX_MEDIA - list.querySelectorAll(".media-item").length;
      [...input.files].slice(0, room).forEach((file) => upload(form, file));
      if (input.files.length > room) showError(errors, gettext("A post can have at most {count} photos or videos.", { count: MAX_MEDIA }));
      input.value = "";
    });

    form.addEventListener("click", (event) => {
      const remove = event.target.closest("[data-remove]");
      if (remove) {
        const item = remove.closest(".media-item");
        if (item.request && item.classList.contains("uploading")) item.request.abort();
        item.remove();
        refreshSubmit(form);
        form.querySelector("[data-pick-media]").focus();
        return;
      }
      const move = event.target.closest("[data-move]");
      if (move) {
        const item = move.closest(".media-item");
        const other = move.dataset.move === "-1" ? item.previousElementSibling : item.nextElementSibling;
        if (other) { if (move.dataset.move === "-1") other.before(item); else other.after(item); }
        move.focus();
        return;
      }
      const toggle = event.target.closest("[data-panel]");
      if (toggle) {
        const panel = document.getElementById(toggle.dataset.panel);
        const open = panel.hasAttribute("data-panel-closed");
        panel.toggleAttribute("data-panel-closed", !open);
        if (panel.tagName === "FIELDSET") panel.disabled = !open;
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        if (open) panel.querySelector("input")?.focus();
        refreshSubmit(form);
        return;
      }
      if (event.target.closest("[data-add-option]")) {
        const options = form.querySelector(".poll-options");
        const count = options.children.length;
        if (count >= MAX_OPTIONS) return;
        const li = document.createElement("li");
        li.innerHTML = '<input type="text" name="poll[options][]" maxlength="50">';
        li.firstChild.placeholder = gettext("Choice {index}", { index: count + 1 });
        li.firstChild.setAttribute("aria-label", gettext("Choice {index}", { index: count + 1 }));
        options.append(li);
        li.querySelector("input").focus();
        event.target.closest("[data-add-option]").hidden = count + 1 >= MAX_OPTIONS;
      }
    });

    // drag to reorder: the dragged item moves before the item it is dropped on
    let dragged = null;
    list.addEventListener("dragstart", (event) => { dragged = event.target.closest(".media-item"); event.dataTransfer.effectAllowed = "move"; });
    list.addEventListener("dragover", (event) => { if (dragged) event.preventDefault(); });
    list.addEventListener("drop", (event) => {
      event.preventDefault();
      const target = event.target.closest(".media-item");
      if (dragged && target && target !== dragged) {
        const after = [...list.children].indexOf(dragged) < [...list.children].indexOf(target);
        if (after) target.after(dragged); else target.before(dragged);
      }
      dragged = null;
    });

    const textarea = form.querySelector('textarea[name="status"]');
    const counter = textarea.dataset.counter && document.getElementById(textarea.dataset.counter);
    if (counter) {
      const limit = parseInt(textarea.maxLength, 10);
      const update = () => {
        const left = limit - textarea.value.length;
        counter.textContent = left;
        counter.classList.toggle("low", left < 20);
      };
      textarea.addEventListener("input", update);
      textarea.addEventListener("input", () => {  // the "write something" error goes once there is text
        if (textarea.getAttribute("aria-invalid") === "true" && textarea.value.trim()) {
          textarea.removeAttribute("aria-invalid");
          form.querySelector(`#${textarea.id}-error`)?.remove();
        }
      });
      update();
    }

    form.addEventListener("submit", (event) => {
      if (pending(form)) { event.preventDefault(); return; }
      const items = list.querySelectorAll(".media-item");
      const poll = form.querySelector(".poll-editor");
      const pollOn = poll && !poll.disabled && [...poll.querySelectorAll('input[type="text"]')].some((i) => i.value.trim());
      if (!textarea.value.trim() && !items.length && !pollOn) {
        event.preventDefault();
        textarea.setAttribute("aria-invalid", "true");
        const note = fieldError(form, textarea.closest(".compose-row"), textarea.id + "-error",
                                gettext("Write something, or add a photo, video or poll, before posting."));
        textarea.setAttribute("aria-describedby", note.id);
        textarea.focus();
        return;
      }
      // ask once for the alt text of pictures that have none; posting again sends them as they are
      const bare = [...items].filter((item) => item.querySelector("img") && !item.querySelector("textarea").value.trim());
      if (bare.length && form.dataset.altAsked !== "1") {
        event.preventDefault();
        form.dataset.altAsked = "1";
        showError(errors, ngettext("Add a description to the picture so people who use a screen reader know what is in it, or post again to post without.", "Add a description to each picture so people who use a screen reader know what is in it, or post again to post without.", bare.length));
        bare[0].querySelector("textarea").focus();
      }
    });
  }

  document.querySelectorAll("form[data-compose]").forEach((form) => {
    if (form.querySelector("[data-media-picker]")) enhance(form);
  });
})();
