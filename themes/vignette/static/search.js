// Instant suggestions for every search box marked data-suggest: people, hashtags and places from
// /api/v1/search/suggestions while typing; Enter (or a click on "search for ...") runs the full search.
(function () {
  "use strict";
  function debounce(fn, ms) {
    let timer = null;
    return function (...args) { clearTimeout(timer); timer = setTimeout(() => fn.apply(this, args), ms); };
  }
  function item(href, label, detail, picture) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = href;
    if (picture) {  // an avatar for people, a round "#" for hashtags, so a match is recognised at a glance
      const face = document.createElement(picture === "#" ? "span" : "img");
      face.className = "suggest-face";
      if (picture === "#") { face.textContent = "#"; face.setAttribute("aria-hidden", "true"); }
      else { face.src = picture; face.alt = ""; face.width = face.height = 28; }
      a.appendChild(face);
    }
    a.appendChild(document.createTextNode(label));
    if (detail) {
      const span = document.createElement("span");
      span.className = "muted";
      span.textContent = " " + detail;
      a.appendChild(span);
    }
    li.appendChild(a);
    return li;
  }
  function attach(input) {
    const list = document.createElement("ul");
    list.className = "search-suggestions";
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    let latest = 0;
    const update = debounce(async function () {
      const q = input.value.trim();
      const ticket = ++latest;
      if (!q) { list.hidden = true; list.replaceChildren(); return; }
      let body;
      try {
        const response = await fetch("/api/v1/search/suggestions?limit=5&q=" + encodeURIComponent(q),
                                     {credentials: "same-origin"});
        if (!response.ok) return;
        body = await response.json();
      } catch (_) { return; }
      if (ticket !== latest) return; // an older answer arriving after a newer keystroke
      const items = [];
      for (const a of body.accounts || []) items.push(item("/@" + a.acct, a.display_name || a.username, "@" + a.acct, a.avatar));
      for (const t of body.hashtags || []) items.push(item("/tags/" + encodeURIComponent(t.name), t.name, "", "#"));
      for (const p of body.places || []) items.push(item("/search?q=" + encodeURIComponent(p.name), p.name, p.locality));
      items.push(item("/search?q=" + encodeURIComponent(q), gettext("Search for “{query}”", { query: q }), ""));
      list.replaceChildren(...items);
      list.hidden = false;
    }, 120);
    input.addEventListener("input", update);
    input.addEventListener("keydown", (event) => { if (event.key === "Escape") list.hidden = true; });
    input.addEventListener("blur", () => setTimeout(() => { list.hidden = true; }, 150));
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("input[data-suggest]").forEach(attach);
  });
})();
