// Progressive enhancement: every button here is a real form that works without JS. With JS, the
// like/share/save toggles call the JSON API (session cookie + X-CSRF-Token) and update in place.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const counts = { favourite: "favourites_count", reblog: "reblogs_count" };
  const states = { favourite: "favourited", reblog: "reblogged", bookmark: "bookmarked" };

  function applyState(id, kind, on, count) {
    document.querySelectorAll(`form.toggle[data-status="${id}"][data-kind="${kind}"]`).forEach((form) => {
      form.dataset.on = on ? "true" : "false";
      form.action = `/web/statuses/${id}/${on ? "un" : ""}${kind}`;
      const button = form.querySelector("button");
      button.classList.toggle("on", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    if (count !== undefined) {
      document.querySelectorAll(`[data-count="${kind}-${id}"]`).forEach((el) => { el.textContent = count; });
      document.querySelectorAll(`[data-noun="${kind}-${id}"]`).forEach((el) => {
        el.textContent = window.pluralIndex(count) === 0 ? el.dataset.one : el.dataset.many;
      });
    }
  }

  async function toggle(form) {
    const id = form.dataset.status, kind = form.dataset.kind, on = form.dataset.on === "true";
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch(`/api/v1/statuses/${id}/${on ? "un" : ""}${kind}`, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
      });
      if (!response.ok) throw new Error((await response.json().catch(() => ({}))).error || response.statusText);
      let status = await response.json();
      if (kind === "reblog" && status.reblog) status = status.reblog; // reblogging answers with the wrapper
      applyState(id, kind, Boolean(status[states[kind]]), counts[kind] ? status[counts[kind]] : undefined);
      if (kind === "favourite" && !on) button.classList.add("pop");
      setTimeout(() => button.classList.remove("pop"), 400);
    } catch (error) {
      flash(gettext("That did not work: {error}", { error: error.message }));
    } finally {
      button.disabled = false;
    }
  }

  function flash(text) {
    const note = document.createElement("p");
    note.className = "toast";
    note.setAttribute("role", "alert");
    note.textContent = text;
    document.body.append(note);
    setTimeout(() => note.remove(), 4000);
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("form.toggle")) {
      event.preventDefault();
      toggle(form);
    } else if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // Double-tap a photo to like it, as people expect from photo apps.
  document.addEventListener("dblclick", (event) => {
    const media = event.target.closest(".post .media");
    if (!media) return;
    event.preventDefault();
    const form = media.closest(".post").querySelector('form.toggle[data-kind="favourite"][data-on="false"]');
    if (form) toggle(form);
  });

  // The phone navigation's "More" sheet: without JS it opens through #more (:target); with JS it toggles in
  // place, says so to screen readers, and closes on Escape, on "Close" or on a tap outside it.
  function sheet(open, toggle) {
    const panel = document.getElementById(toggle.getAttribute("aria-controls"));
    panel.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) panel.querySelector("a, button")?.focus();
  }
  document.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-sheet]");
    const openToggle = document.querySelector('[data-sheet][aria-expanded="true"]');
    if (toggle) {
      event.preventDefault();
      sheet(toggle.getAttribute("aria-expanded") !== "true", toggle);
    } else if (openToggle && (event.target.closest("[data-sheet-close]") ||
                              !event.target.closest("#" + openToggle.getAttribute("aria-controls")))) {
      if (event.target.closest("[data-sheet-close]")) event.preventDefault();
      sheet(false, openToggle);
      openToggle.focus();
    }
  });
  document.addEventListener("keydown", (event) => {
    const openToggle = document.querySelector('[data-sheet][aria-expanded="true"]');
    if (event.key === "Escape" && openToggle) { sheet(false, openToggle); openToggle.focus(); }
  });
  // The out-of-band authorization code selects itself on a click, ready to copy (no inline handlers:
  // the pages' Content-Security-Policy allows scripts from /static only).
  document.querySelectorAll("input.code[readonly]").forEach((input) => {
    input.addEventListener("click", () => input.select());
  });
})();
