// Type-ahead for @mentions and #hashtags in every text area marked data-mentions (the composer, replies,
// Take captions): while the word before the caret starts with @ or #, /api/v1/search/suggestions offers
// people (local and known remote, with their avatars) or hashtags; arrows move, Enter or Tab picks,
// Escape closes. The text area points at the listbox (aria-controls, aria-activedescendant) so screen
// readers announce the highlighted choice.
(function () {
  "use strict";
  const WORD = /(^|[\s(])([@#])([\p{L}\p{N}_.@-]*)$/u;  // the sigil and what follows it, up to the caret
  let serial = 0;

  function debounce(fn, ms) {
    let timer = null;
    return function (...args) { clearTimeout(timer); timer = setTimeout(() => fn.apply(this, args), ms); };
  }

  function attach(area) {
    const list = document.createElement("ul");
    list.className = "search-suggestions mention-suggestions";
    list.id = "mentions-" + (++serial);
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", gettext("Suggestions"));
    list.hidden = true;
    area.insertAdjacentElement("afterend", list);
    area.parentElement.classList.add("mentions-anchor");
    area.setAttribute("aria-autocomplete", "list");
    area.setAttribute("aria-controls", list.id);
    let options = [], active = -1, token = null, latest = 0;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      options = [];
      active = -1;
      area.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      options.forEach((o, i) => o.el.setAttribute("aria-selected", String(i === index)));
      if (index >= 0) area.setAttribute("aria-activedescendant", options[index].el.id);
    }

    function choose(index) {
      const picked = options[index];
      if (!picked || !token) return;
      const before = area.value.slice(0, token.start), after = area.value.slice(token.end);
      const text = picked.insert + (after.startsWith(" ") ? "" : " ");
      area.value = before + text + after;
      const caret = before.length + text.length;
      area.setSelectionRange(caret, caret);
      area.dispatchEvent(new Event("input", {bubbles: true}));  // the character count follows
      close();
      area.focus();
    }

    function option(label, detail, picture, insert) {
      const li = document.createElement("li");
      li.id = list.id + "-" + options.length;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      const face = document.createElement(picture === "#" ? "span" : "img");
      face.className = "suggest-face";
      if (picture === "#") { face.textContent = "#"; face.setAttribute("aria-hidden", "true"); }
      else { face.src = picture; face.alt = ""; face.width = face.height = 28; }
      li.append(face, document.createTextNode(label));
      if (detail) {
        const span = document.createElement("span");
        span.className = "muted";
        span.textContent = " " + detail;
        li.appendChild(span);
      }
      // mousedown, not click: the text area keeps its focus and caret
      li.addEventListener("mousedown", (event) => { event.preventDefault(); choose(options.indexOf(entry)); });
      const entry = {el: li, insert};
      options.push(entry);
      return li;
    }

    const lookup = debounce(async function () {
      const caret = area.selectionStart;
      const match = area.selectionStart === area.selectionEnd && WORD.exec(area.value.slice(0, caret));
      if (!match || !match[3]) { token = null; close(); return; }
      token = {start: caret - match[2].length - match[3].length, end: caret};
      const sigil = match[2], q = match[3];
      const ticket = ++latest;
      let body;
      try {
        const type = sigil === "@" ? "accounts" : "hashtags";
        const response = await fetch(`/api/v1/search/suggestions?limit=6&type=${type}&q=${encodeURIComponent(q)}`,
                                     {credentials: "same-origin"});
        if (!response.ok) return;
        body = await response.json();
      } catch (_) { return; }
      if (ticket !== latest) return;  // an older answer arriving after a newer keystroke
      options = [];
      const items = sigil === "@"
        ? (body.accounts || []).map((a) => option(a.display_name || a.username, "@" + a.acct, a.avatar, "@" + a.acct))
        : (body.hashtags || []).map((t) => option(t.name, "", "#", "#" + t.name));
      if (!items.length) { close(); return; }
      list.replaceChildren(...items);
      list.hidden = false;
      highlight(0);
    }, 120);

    area.addEventListener("input", lookup);
    area.addEventListener("keydown", (event) => {
      if (list.hidden || !options.length) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + options.length) % options.length);
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        choose(active < 0 ? 0 : active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    area.addEventListener("blur", () => setTimeout(close, 150));
  }

  function attachAll(root) {
    root.querySelectorAll("textarea[data-mentions]:not([aria-controls])").forEach(attach);
  }
  document.addEventListener("DOMContentLoaded", () => attachAll(document));
  window.entativaMentions = attachAll;  // for composers added to the page later (an opened reply box)
})();
