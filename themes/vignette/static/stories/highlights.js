// The highlight editor: Save sends the title, the ticked stories (in page order) and the starred cover
// with PUT /api/v1/highlights/:id; Delete asks first, then DELETE and back to the profile. A cover that is
// no longer ticked is left to the server (the first story).
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const form = document.querySelector("[data-highlight-edit]");
  if (!form) return;
  const path = `/api/v1/highlights/${form.dataset.highlightEdit}`;
  const error = form.querySelector("[data-error]");
  const status = form.querySelector("[data-status]");

  async function send(method, body) {
    const init = { method, credentials: "same-origin", headers: { "Accept": "application/json", "X-CSRF-Token": csrf } };
    if (body) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    const response = await fetch(path, init);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  function fail(message) { error.textContent = message; error.hidden = false; status.textContent = ""; }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const ids = [...form.querySelectorAll('input[name="story_ids[]"]:checked')].map((box) => box.value);
    if (!ids.length) { fail(gettext("Keep at least one story, or delete the highlight.")); return; }
    const cover = form.querySelector('input[name="cover_story_id"]:checked')?.value;
    const body = { title: form.elements.title.value, story_ids: ids };
    if (cover && ids.includes(cover)) body.cover_story_id = cover;
    try {
      const saved = await send("PUT", body);
      form.querySelectorAll('input[name="cover_story_id"]').forEach((r) => { r.checked = r.value === saved.cover_story_id; });
      status.textContent = gettext("Saved");
    } catch (e) { fail(e.message); }
  });

  form.querySelector("[data-highlight-delete]").addEventListener("click", async () => {
    if (!window.confirm(gettext("Delete this highlight? Its stories stay in your archive."))) return;
    try {
      await send("DELETE");
      location.href = form.dataset.profile;
    } catch (e) { fail(e.message); }
  });
})();
