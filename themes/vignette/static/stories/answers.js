// The insights page's question answers: reply privately to one (a direct message to whoever answered) or
// share it as a new story (the question and the answer on a card, without their name), on the JSON API
// with the session cookie and the X-CSRF-Token header.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRF-Token": csrf },
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-answer-reply]");
    if (!form) return;
    event.preventDefault();
    const status = form.querySelector("[data-answer-status]");
    const input = form.querySelector('input[name="status"]');
    try {
      await post(form.dataset.answerReply, { status: input.value });
      input.value = "";
      status.textContent = gettext("Reply sent");
    } catch (error) { status.textContent = error.message; }
  });

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-answer-share]");
    if (!button) return;
    const status = button.closest("form").querySelector("[data-answer-status]");
    button.disabled = true;
    try {
      const story = await post(button.dataset.answerShare, {});
      status.textContent = "";
      const link = document.createElement("a");
      link.href = `/stories/watch/${story.account.id}`;
      link.textContent = gettext("Shared to your story");
      status.append(link);
    } catch (error) { status.textContent = error.message; button.disabled = false; }
  });
})();
