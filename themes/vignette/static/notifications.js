// The unread notifications badge, live: one WebSocket to Mastodon's streaming API (user:notification, the
// page's session cookie authenticates it), and on each `notification` or `notifications_merged` event the
// badge asks the API for the unread count in groups, as the page computed it. Reconnects with backoff.
// "Mark all as read" works as a plain form; with JS it is sent in place and the page updates.
(function () {
  "use strict";
  const badges = () => document.querySelectorAll("[data-unread-badge]");
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  function show(count) {
    badges().forEach((badge) => {
      badge.textContent = count > 99 ? "99+" : String(count);
      badge.setAttribute("aria-label", ngettext("{num} unread notification", "{num} unread notifications", count));
      badge.hidden = count === 0;
    });
    document.dispatchEvent(new CustomEvent("entativa:unread", { detail: { count } }));
  }

  async function refresh() {
    try {
      const response = await fetch("/api/v2/notifications/unread_count", {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (response.ok) show((await response.json()).count);
    } catch (_) { /* offline: the next event or reconnect tries again */ }
  }

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/api/v1/streaming?stream=user:notification`);
    socket.addEventListener("open", () => { delay = 1000; refresh(); });
    socket.addEventListener("message", (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch (_) { return; }
      if (frame.event === "notification" || frame.event === "notifications_merged") refresh();
    });
    socket.addEventListener("close", () => {
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 60000);
    });
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form[data-mark-read]")) return;
    event.preventDefault();
    const response = await fetch(form.action, {
      method: "POST", credentials: "same-origin", body: new FormData(form), headers: { "X-CSRF-Token": csrf },
    });
    if (!response.ok) { form.submit(); return; }
    document.querySelectorAll(".notification.unread").forEach((item) => item.classList.remove("unread"));
    document.querySelectorAll(".unread-dot").forEach((dot) => dot.remove());
    form.remove();
    show(0);
  });

  if (badges().length) connect();
})();
